"""A stand-in cloud ERP on 127.0.0.1: what connectors are developed, tested and demonstrated against.

It serves paginated items, purchase orders and inventory with updated-since filtering, an
OAuth2 client-credentials token endpoint, and a requisition endpoint that answers with document
numbers. Every list endpoint pages in any of four ways, chosen by the query parameters the
caller sends: `page`/`per_page` (and a `Link: <...>; rel="next"` header), `offset`/`limit`,
or `cursor`/`limit` (the next cursor in the body). Records come oldest first by
(updated_at, id), as most ERPs' delta APIs give them.

It misbehaves on purpose: a share of requests (`failure_rate`, drawn from a seeded hash of the
request and how often it was asked, so a run is reproducible) answers 429 with Retry-After or
500; `fail_next(...)` scripts answers; `outage(500)` fails every call until `outage(None)`;
`delay_seconds` makes it slow.

    with StandinErp(items=1000, auth="oauth2") as erp:
        erp.url          # http://127.0.0.1:<port>/api/v1
        erp.touch(["SM-000007"])   # changes a record (updated_at = now)

`manage.py run_erp_standin` serves one for the demo.
"""

import base64
import bisect
import hashlib
import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
API_PREFIX = "/api/v1"
RESOURCES = ("items", "purchase-orders", "inventory")
PLANTS = ("P100", "P200")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse_instant(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def item_record(number: int, updated_at: datetime) -> dict:
    """An item as the ERP keeps it: its own field names and codes, quantities as strings."""
    make = number % 5 == 0
    return {
        "id": f"SM-{number:06d}",
        "material": f"SM-{number:06d}",
        "text": f"Material {number}",
        "unit": "KG" if number % 7 == 0 else "EA",
        "procurement_type": "E" if make else "F",
        "status": "OBSOLETE" if number % 97 == 0 else "ACTIVE",
        "plants": [
            {
                "plant": PLANTS[number % 2],
                "lead_time_days": 3 + number % 20,
                "safety_stock": str(number % 50),
                "lot_size": "EX" if number % 3 else "FX",
                "lot_size_quantity": "0" if number % 3 else "100",
                "moq": str(number % 4 * 5),
                "rounding": "1",
            }
        ],
        "updated_at": _iso(updated_at),
    }


def purchase_order_record(number: int, updated_at: datetime) -> dict:
    return {
        "id": f"45{number:08d}",
        "po_number": f"45{number:08d}",
        "vendor": f"S{1 + number % 12:03d}",
        "plant": PLANTS[number % 2],
        "currency": "EUR",
        "revision": 1,
        "items": [
            {
                "item_no": 10,
                "material": f"SM-{1 + number % 500:06d}",
                "quantity": str(10 * (1 + number % 9)),
                "unit": "EA",
                "net_price": "12.50",
                "delivery_date": (EPOCH + timedelta(days=30 + number % 60)).date().isoformat(),
                "status": "OPEN",
            }
        ],
        "updated_at": _iso(updated_at),
    }


def inventory_record(number: int, updated_at: datetime) -> dict:
    return {
        "id": f"{PLANTS[number % 2]}-SM-{number:06d}",
        "plant": PLANTS[number % 2],
        "material": f"SM-{number:06d}",
        "unrestricted": str(number % 300),
        "unit": "EA",
        "updated_at": _iso(updated_at),
    }


BUILDERS = {
    "items": item_record,
    "purchase-orders": purchase_order_record,
    "inventory": inventory_record,
}


@dataclass
class Served:
    method: str
    path: str
    query: dict
    status: int
    headers: dict


@dataclass
class _Collection:
    """Records of one resource, kept sorted by (updated_at, id) for delta queries."""

    records: dict[str, dict] = field(default_factory=dict)
    order: list[tuple[str, str]] = field(default_factory=list)

    def put(self, record: dict) -> None:
        old = self.records.get(record["id"])
        if old is not None:
            self.order.remove((old.get("updated_at", ""), old["id"]))
        self.records[record["id"]] = record
        # A record without updated_at (a broken one, on purpose) sorts first.
        bisect.insort(self.order, (record.get("updated_at", ""), record["id"]))

    def since(self, since: str | None) -> list[tuple[str, str]]:
        if since is None:
            return self.order
        return self.order[bisect.bisect_left(self.order, (since, "")) :]


class StandinErp:
    """A thread-safe stand-in ERP server on a free (or given) port; one per test."""

    def __init__(
        self,
        *,
        items: int = 100,
        purchase_orders: int = 20,
        inventory: int = 20,
        auth: str = "none",
        api_key: str = "standin-key",
        username: str = "weft",
        password: str = "standin-password",
        client_id: str = "weft-client",
        client_secret: str = "standin-secret",
        token_lifetime_seconds: int = 3600,
        failure_rate: float = 0.0,
        seed: int = 7,
        retry_after_seconds: int = 1,
        delay_seconds: float = 0.0,
        port: int = 0,
        epoch: datetime = EPOCH,
    ):
        self.auth = auth
        self.api_key = api_key
        self.username, self.password = username, password
        self.client_id, self.client_secret = client_id, client_secret
        self.token_lifetime_seconds = token_lifetime_seconds
        self.failure_rate = failure_rate
        self.seed = seed
        self.retry_after_seconds = retry_after_seconds
        self.delay_seconds = delay_seconds
        self.port = port
        self.lock = threading.RLock()
        self.collections = {name: _Collection() for name in RESOURCES}
        self.served: list[Served] = []
        self.tokens: dict[str, float] = {}
        self.token_requests = 0
        self.requisitions: dict[str, dict] = {}
        self.requisition_numbers = itertools.count(1000001)
        self._asked: dict[str, int] = {}
        self._scripted: deque[tuple[int, dict]] = deque()
        self._outage: int | None = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        counts = {"items": items, "purchase-orders": purchase_orders, "inventory": inventory}
        for resource, count in counts.items():
            builder = BUILDERS[resource]
            for number in range(1, count + 1):
                self.collections[resource].put(builder(number, epoch + timedelta(seconds=number)))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def token_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/oauth/token"

    # ------------------------------------------------------------------ changing its data

    def touch(self, ids: list[str], *, resource: str = "items", at: datetime | None = None) -> None:
        """Change records as a user in the ERP would: a new text and a new updated_at."""
        moment = _iso(at or datetime.now(UTC))
        with self.lock:
            collection = self.collections[resource]
            for record_id in ids:
                record = dict(collection.records[record_id])
                record["updated_at"] = moment
                if "text" in record:
                    record["text"] = f"{record['text'].split(' (rev')[0]} (rev {moment})"
                collection.put(record)

    def put(self, record: dict, *, resource: str = "items") -> None:
        with self.lock:
            self.collections[resource].put(record)

    def fail_next(self, *statuses: int, retry_after: int | None = None) -> None:
        """The next API requests answer these statuses, in order."""
        with self.lock:
            for status in statuses:
                headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
                self._scripted.append((status, headers))

    def outage(self, status: int | None) -> None:
        """Answer every API request with `status` (e.g. 500) until `outage(None)`."""
        with self.lock:
            self._outage = status

    def revoke_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def requests_to(self, path_part: str) -> list[Served]:
        with self.lock:
            return [s for s in self.served if path_part in s.path]

    # ------------------------------------------------------------------ serving

    def start(self) -> "StandinErp":
        self._server = _Server(("127.0.0.1", self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def serve_forever(self) -> None:
        self._server = _Server(("127.0.0.1", self.port), self)
        self.port = self._server.server_address[1]
        self._server.serve_forever()

    def __enter__(self) -> "StandinErp":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def answer(self, method: str, target: str, headers: dict, body: bytes):
        """(status, headers, body) for one request; records it."""
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        status, out_headers, payload = self._route(method, parts.path, query, headers, body)
        with self.lock:
            self.served.append(Served(method, parts.path, query, status, out_headers))
        return status, out_headers, json.dumps(payload).encode()

    def _route(self, method, path, query, headers, body):
        if path == "/oauth/token" and method == "POST":
            return self._token(headers, body)
        if not path.startswith(API_PREFIX + "/"):
            return 404, {}, {"error": "not_found", "path": path}
        if not self._authorized(headers):
            return 401, {"WWW-Authenticate": "Bearer"}, {"error": "unauthorized"}
        trouble = self._trouble(method, path, query)
        if trouble is not None:
            return trouble
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        resource = path[len(API_PREFIX) + 1 :]
        if method == "GET" and resource in self.collections:
            return self._list(resource, path, query)
        if method == "POST" and resource == "requisitions":
            return self._requisition(headers, body)
        return 404, {}, {"error": "not_found", "path": path}

    def _trouble(self, method, path, query):
        with self.lock:
            if self._scripted:
                status, headers = self._scripted.popleft()
                return status, headers, {"error": f"scripted {status}"}
            if self._outage is not None:
                return self._outage, {}, {"error": "the ERP is down for maintenance"}
            signature = f"{method} {path}?{urlencode(sorted(query.items()))}"
            asked = self._asked[signature] = self._asked.get(signature, 0) + 1
        if not self.failure_rate:
            return None
        draw = hashlib.sha256(f"{self.seed}|{signature}|{asked}".encode()).digest()
        if int.from_bytes(draw[:8], "big") / 2**64 >= self.failure_rate:
            return None
        if draw[8] % 2:
            return (
                429,
                {"Retry-After": str(self.retry_after_seconds)},
                {"error": "rate_limited", "detail": "Too many requests"},
            )
        return 500, {}, {"error": "internal", "detail": "Something went wrong in the ERP"}

    def _authorized(self, headers: dict) -> bool:
        if self.auth == "none":
            return True
        given = headers.get("authorization", "")
        if self.auth == "api_key":
            return headers.get("x-api-key") == self.api_key
        if self.auth == "basic":
            expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            return given == f"Basic {expected}"
        if self.auth == "oauth2" and given.startswith("Bearer "):
            with self.lock:
                expires = self.tokens.get(given[7:])
            return expires is not None and expires > time.time()
        return False

    def _token(self, headers: dict, body: bytes):
        with self.lock:
            self.token_requests += 1
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = headers.get("authorization", "")
        if basic.startswith("Basic "):
            client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
        if form.get("grant_type") != "client_credentials":
            return 400, {}, {"error": "unsupported_grant_type"}
        if client_id != self.client_id or secret != self.client_secret:
            return 401, {}, {"error": "invalid_client"}
        token = hashlib.sha256(f"{time.time_ns()}|{client_id}".encode()).hexdigest()
        with self.lock:
            self.tokens[token] = time.time() + self.token_lifetime_seconds
        return (
            200,
            {"Cache-Control": "no-store"},
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": self.token_lifetime_seconds,
            },
        )

    def _list(self, resource: str, path: str, query: dict):
        since = query.get("updated_since")
        since_key = None
        if since:
            moment = _parse_instant(since)
            if moment is None:
                return 400, {}, {"error": "bad_request", "detail": f"updated_since={since}"}
            since_key = _iso(moment)
        with self.lock:
            collection = self.collections[resource]
            keys = collection.since(since_key)
            total = len(keys)
            headers = {}
            body: dict = {"total": total}
            if "cursor" in query or ("limit" in query and "offset" not in query):
                limit = max(1, min(int(query.get("limit", 100)), 1000))
                start = 0
                if query.get("cursor"):
                    after = tuple(json.loads(base64.urlsafe_b64decode(query["cursor"])))
                    start = bisect.bisect_right(keys, after)
                chosen = keys[start : start + limit]
                more = start + limit < total
                body["next_cursor"] = (
                    base64.urlsafe_b64encode(json.dumps(list(chosen[-1])).encode()).decode()
                    if more and chosen
                    else None
                )
            elif "offset" in query:
                offset, limit = (
                    int(query["offset"]),
                    max(1, min(int(query.get("limit", 100)), 1000)),
                )
                chosen = keys[offset : offset + limit]
                body.update(offset=offset, limit=limit)
            else:
                page = max(1, int(query.get("page", 1)))
                per_page = max(1, min(int(query.get("per_page", 100)), 1000))
                chosen = keys[(page - 1) * per_page : page * per_page]
                pages = max(1, -(-total // per_page))
                body.update(page=page, per_page=per_page, total_pages=pages)
                if page < pages:
                    following = urlencode({**query, "page": page + 1})
                    headers["Link"] = (
                        f'<http://127.0.0.1:{self.port}{path}?{following}>; rel="next"'
                    )
            body["data"] = [collection.records[record_id] for _, record_id in chosen]
        return 200, headers, body

    def _requisition(self, headers: dict, body: bytes):
        try:
            request = json.loads(body or b"null")
        except ValueError:
            return 400, {}, {"error": "bad_request", "detail": "body is not JSON"}
        if not isinstance(request, dict) or not request.get("material"):
            return 422, {}, {"error": "unprocessable", "detail": "material is required"}
        key = headers.get("idempotency-key") or hashlib.sha256(body).hexdigest()
        with self.lock:
            if key not in self.requisitions:
                number = f"PR{next(self.requisition_numbers)}"
                self.requisitions[key] = {"document_number": number, "request": request}
            stored = self.requisitions[key]
        return 201, {}, {"document_number": stored["document_number"], "status": "CREATED"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: "_Server"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        status, out_headers, payload = self.server.erp.answer(
            self.command, self.path, headers, body
        )
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            for name, value in out_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = _serve

    def log_message(self, format: str, *args) -> None:
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, erp: StandinErp):
        self.erp = erp
        super().__init__(address, _Handler)
