"""Load run against `make serve`'s layout: 50 partner clients and 20 portal users.

    .venv/bin/python bench/load.py [--seconds 300] [--partners 50] [--portal 20]

Starts scripts/serve.sh (honcho with the Procfile: gunicorn, a Celery worker per queue and
beat, config.settings.production) on its own database and a private Redis, seeds 20 suppliers
with a portal user and 40 purchase orders each, and runs a hand-rolled thread pool with
requests: each partner client (its own API key) reads (whoami, its inbound messages, message
stats) and posts single item.upserted envelopes; each portal user signs in through the login
form (CSRF and session cookies) and opens its PO list and PO details. Every client waits
0.5-2 s between requests, like a person or a polling integration, not a flood.

Plain HTTP with `X-Forwarded-Proto: https` from 127.0.0.1 (gunicorn trusts it), so the
production settings' secure cookies and HSTS stay as they are. Prints requests, errors and
p50/p99 per kind; afterwards waits for the posted messages to be applied exactly once.
Exits 1 on any error.
"""

import argparse
import contextlib
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.faults import envelope, private_redis
from bench.support import ROOT, bench_database, django_setup, free_port, percentile, verdict

ORDERS_PER_SUPPLIER = 40


def seed(partners: int, portal: int):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from integrations.services import api_key_create, external_system_register, ownership_set
    from masterdata.models import Item, Plant, Supplier, SupplierMembership, UnitOfMeasure
    from procurement.models import PurchaseOrder, PurchaseOrderLine

    system = external_system_register(code="FAULT-ERP", name="Load ERP", kind="erp")
    ownership_set(object_type="item", system=system)
    each = UnitOfMeasure.objects.create(code="EA", name="Each", dimension="count")
    plant = Plant.objects.create(code="P100", name="Load plant")
    items = [
        Item.objects.create(code=f"LOAD-{n}", base_uom=each, item_type="buy") for n in range(10)
    ]
    keys = [
        api_key_create(system=system, scopes=["inbound:write", "messages:read"])[1]
        for _ in range(partners)
    ]
    users, numbers = [], {}
    now, today = timezone.now(), timezone.localdate()
    for s in range(portal):
        supplier = Supplier.objects.create(
            code=f"S-LOAD{s}", name=f"Load supplier {s}", status="approved"
        )
        username = f"load-supplier-{s}"
        user = get_user_model().objects.create_user(username=username, password="load-pass-" * 3)
        SupplierMembership.objects.create(user=user, supplier=supplier)
        pos = PurchaseOrder.objects.bulk_create(
            PurchaseOrder(
                number=f"46{s:03d}{n:05d}",
                supplier=supplier,
                plant=plant,
                status="issued",
                issued_at=now - timedelta(minutes=n),
                ack_due_at=now + timedelta(hours=48),
            )
            for n in range(ORDERS_PER_SUPPLIER)
        )
        PurchaseOrderLine.objects.bulk_create(
            PurchaseOrderLine(
                po=po,
                line_number=10,
                item=items[n % len(items)],
                quantity=Decimal("40"),
                uom=each,
                base_quantity=Decimal("40"),
                unit_price=Decimal("2.5"),
                requested_date=today + timedelta(days=n % 30),
            )
            for n, po in enumerate(pos)
        )
        users.append(username)
        numbers[username] = [po.number for po in pos]
    return keys, users, numbers


@contextlib.contextmanager
def serve(environment: dict, port: int):
    """scripts/serve.sh (honcho and the Procfile) on `port`; yields the base URL."""
    process = subprocess.Popen(
        ["bash", "scripts/serve.sh"],
        cwd=ROOT,
        env=environment | {"PORT": str(port), "HOST": "127.0.0.1"},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise RuntimeError("make serve's layout exited before it served")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{base}/healthz", timeout=30).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("no answer on /healthz in time")
            time.sleep(0.5)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        for leftover in Path("/tmp").glob(f"weft-load-beat-{port}*"):
            leftover.unlink(missing_ok=True)


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)

    def call(self, kind: str, send, expected: int) -> requests.Response | None:
        started = time.perf_counter()
        try:
            response = send()
        except requests.RequestException as error:
            with self.lock:
                self.errors[kind].append(repr(error))
            return None
        elapsed = time.perf_counter() - started
        with self.lock:
            self.latencies[kind].append(elapsed)
            if response.status_code != expected:
                self.errors[kind].append(f"{response.status_code} {response.url}")
        return response


def unsecure(session: requests.Session) -> None:
    # The server sets Secure cookies (it believes the proxy's https); this client talks plain
    # HTTP to it, so it must be told to send them back anyway.
    for cookie in session.cookies:
        cookie.secure = False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--partners", type=int, default=50)
    parser.add_argument("--portal", type=int, default=20)
    args = parser.parse_args()

    with private_redis() as (broker, _restart), bench_database("load") as environment:
        port = free_port()
        environment = environment | {
            "CELERY_BROKER_URL": broker,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_BEAT_SCHEDULE_FILE": f"/tmp/weft-load-beat-{port}",
        }
        django_setup(environment)
        keys, users, numbers = seed(args.partners, args.portal)
        from integrations.models import InboundMessage
        from masterdata.models import Item

        recorder = Recorder()
        run = uuid.uuid4().hex[:6]
        sequence = iter(range(10**9))
        sequence_lock = threading.Lock()
        proto = {"X-Forwarded-Proto": "https"}

        with serve(environment, port) as base:
            stop_at = time.monotonic() + args.seconds

            def partner(key: str) -> None:
                session = requests.Session()
                session.headers.update(proto | {"Authorization": f"Bearer {key}"})
                while time.monotonic() < stop_at:
                    roll = random.random()
                    if roll < 0.4:
                        with sequence_lock:
                            n = next(sequence)
                        recorder.call(
                            "partner POST /api/v1/inbound/",
                            lambda n=n: session.post(
                                f"{base}/api/v1/inbound/", json=envelope(run, n), timeout=60
                            ),
                            202,
                        )
                    elif roll < 0.7:
                        recorder.call(
                            "partner GET /api/v1/messages/inbound/",
                            lambda: session.get(f"{base}/api/v1/messages/inbound/", timeout=60),
                            200,
                        )
                    elif roll < 0.85:
                        recorder.call(
                            "partner GET /api/v1/whoami/",
                            lambda: session.get(f"{base}/api/v1/whoami/", timeout=60),
                            200,
                        )
                    else:
                        recorder.call(
                            "partner GET /api/v1/messages/stats/",
                            lambda: session.get(f"{base}/api/v1/messages/stats/", timeout=60),
                            200,
                        )
                    time.sleep(random.uniform(0.5, 2.0))

            def portal_user(username: str) -> None:
                session = requests.Session()
                origin = base.replace("http://", "https://")
                session.headers.update(proto | {"Origin": origin, "Referer": f"{origin}/login/"})
                page = recorder.call(
                    "portal GET /login/", lambda: session.get(f"{base}/login/", timeout=60), 200
                )
                unsecure(session)
                token = re.search(
                    r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text if page else ""
                )
                answer = recorder.call(
                    "portal POST /login/",
                    lambda: session.post(
                        f"{base}/login/",
                        data={
                            "username": username,
                            "password": "load-pass-" * 3,
                            "csrfmiddlewaretoken": token.group(1) if token else "",
                            "next": "/portal/",
                        },
                        allow_redirects=False,
                        timeout=60,
                    ),
                    302,
                )
                unsecure(session)
                if answer is None or answer.status_code != 302:
                    return
                while time.monotonic() < stop_at:
                    if random.random() < 0.4:
                        recorder.call(
                            "portal GET /portal/orders/",
                            lambda: session.get(f"{base}/portal/orders/", timeout=60),
                            200,
                        )
                    else:
                        number = random.choice(numbers[username])
                        recorder.call(
                            "portal GET /portal/orders/<number>/",
                            lambda number=number: session.get(
                                f"{base}/portal/orders/{number}/", timeout=60
                            ),
                            200,
                        )
                    time.sleep(random.uniform(0.5, 2.0))

            threads = [threading.Thread(target=partner, args=(key,)) for key in keys]
            threads += [threading.Thread(target=portal_user, args=(user,)) for user in users]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started

            posted = len(recorder.latencies["partner POST /api/v1/inbound/"])
            messages = InboundMessage.objects.filter(idempotency_key__startswith=f"{run}-")
            wait_until = time.monotonic() + 300
            while (
                messages.filter(status="applied").count() < posted and time.monotonic() < wait_until
            ):
                time.sleep(2)
            applied = messages.filter(status="applied").count()
            items = Item.objects.filter(code__startswith=f"F{run}-").count()
            history = Item.history.filter(code__startswith=f"F{run}-").count()

        total = sum(len(values) for values in recorder.latencies.values())
        error_count = sum(len(values) for values in recorder.errors.values())
        print(
            f"{args.partners} partner clients and {args.portal} portal users for {elapsed:.0f} s "
            f"against make serve's layout: {total} requests ({total / elapsed:.1f}/s), "
            f"{error_count} errors"
        )
        for kind in sorted(recorder.latencies):
            values = recorder.latencies[kind]
            print(
                f"  {kind:40} {len(values):6d} requests  {len(recorder.errors[kind]):3d} errors  "
                f"p50 {percentile(values, 0.5) * 1000:7.1f} ms  p99 {percentile(values, 0.99) * 1000:7.1f} ms"
            )
        for kind, problems in recorder.errors.items():
            for problem in problems[:5]:
                print(f"  error {kind}: {problem}")
        once = applied == items == history == posted
        print(
            f"posted envelopes {posted}: applied {applied}, items {items}, history rows {history} "
            f"(exactly once: {once})"
        )
        passed = error_count == 0 and once
        print(f"load run: {verdict(passed)}")
        return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
