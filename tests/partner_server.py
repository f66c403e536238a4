"""A partner's webhook receiver on 127.0.0.1, for tests and benches.

It listens on a free port, records every request, and answers as scripted: queued answers
first (`script(Answer(500), Answer(200))`), then its `respond` function (200 by default). An
answer can be delayed past the caller's timeout, and the whole server can go down (connection
refused, open connections dropped) and come up again on the same port.

    with PartnerServer() as partner:
        partner.script(Answer(429, headers={"Retry-After": "30"}))
        ...  # send to partner.url
        assert partner.received[0].header("Idempotency-Key") == "weft-event-1"
"""

import contextlib
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b'{"ok": true}'
    headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def answer_ok(received: Received) -> Answer:
    return Answer()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the body waits for a delayed ACK.
    disable_nagle_algorithm = True
    server: "_Server"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        received = Received(
            method=self.command,
            path=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(length),
            received_at=time.time(),
        )
        answer = self.server.partner.take(received)
        if answer.delay_seconds:
            time.sleep(answer.delay_seconds)
        try:
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)
        except OSError:
            # The caller gave up waiting (a scripted timeout): nobody is left to answer.
            self.close_connection = True

    do_PUT = do_POST

    def log_message(self, format: str, *args) -> None:
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, partner: "PartnerServer"):
        self.partner = partner
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request, client_address) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        with self.connections_lock:
            open_connections, self.connections = self.connections, set()
        for connection in open_connections:
            # A handler may have closed it already; either way it must be gone.
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()


class PartnerServer:
    """A local HTTP receiver on a free port; thread-safe, one instance per test."""

    def __init__(self, respond: Callable[[Received], Answer] = answer_ok, path: str = "/weft"):
        self.respond = respond
        self.path = path
        self.port: int | None = None
        self._lock = threading.Lock()
        self._scripted: deque[Answer] = deque()
        self._received: list[Received] = []
        self._arrived = threading.Condition(self._lock)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def script(self, *answers: Answer) -> None:
        with self._lock:
            self._scripted.extend(answers)

    def take(self, received: Received) -> Answer:
        with self._lock:
            self._received.append(received)
            self._arrived.notify_all()
            scripted = self._scripted.popleft() if self._scripted else None
        return scripted or self.respond(received)

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until at least `count` requests arrived; False on timeout."""
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self._received) >= count, timeout)

    def start(self) -> "PartnerServer":
        self._listen(self.port or 0)
        return self

    def _listen(self, port: int) -> None:
        for _ in range(50):
            try:
                self._server = _Server(("127.0.0.1", port), self)
                break
            except OSError:
                if port == 0:
                    raise
                time.sleep(0.1)  # the port is still held by the connections just dropped
        else:
            raise OSError(f"port {port} did not come free")
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def go_down(self) -> None:
        """Stop listening and drop open connections: callers get 'connection refused'."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server.drop_connections()
        self._thread.join(timeout=5)
        self._server = None

    def come_up(self) -> None:
        """Listen again on the same port."""
        if self._server is None:
            self._listen(self.port)

    stop = go_down

    def __enter__(self) -> "PartnerServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
