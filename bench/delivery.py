"""Delivery bench: 10,000 events to a flaky local partner, through a real Celery worker on Redis.

    DJANGO_SETTINGS_MODULE=config.settings.test .venv/bin/python bench/delivery.py

The partner (tests/partner_server.py on 127.0.0.1) answers 500 to 30% of attempts and is down
(connection refused) for 20 s once half of the events are applied. Events are emitted in
committed batches; a Celery worker process (prefork) dispatches and delivers them; this process
plays the beat, queueing due retries every second. The partner dedupes on `Idempotency-Key`,
checks every signature and the order of each purchase order's events.

Floor: all events delivered, none lost, none applied twice (and no bad signature, none out of
order). Exits 1 below the floor. It runs on its own database (`weft_bench_delivery`, made,
migrated and dropped by bench/support.py) and Redis database 12, never the developer's.
"""

import argparse
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import ROOT, bench_database, django_setup, verdict

BROKER_URL = os.environ.get("BENCH_DELIVERY_REDIS", "redis://127.0.0.1:6379/12")
# Retries shrunk from production's 10 s / 1 h so the bench measures delivery, not waiting.
POLICY = {
    "DELIVERY_BACKOFF_BASE_SECONDS": 0.5,
    "DELIVERY_BACKOFF_CAP_SECONDS": 5,
    "DELIVERY_ORDERING_RECHECK_SECONDS": 1,
}
MAX_ATTEMPTS = 50
TIME_LIMIT_SECONDS = 280


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--failure-rate", type=float, default=0.3)
    parser.add_argument("--outage-seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=4, help="worker processes")
    parser.add_argument("--orders", type=int, default=2000, help="distinct aggregate keys")
    parser.add_argument(
        "--time-limit", type=float, default=TIME_LIMIT_SECONDS, help="seconds before giving up"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--emit", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def shrink_retries():
    """The bench policy in this process; returns the Celery app, sending to the broker."""
    from django.conf import settings

    from config.celery import app

    settings.WEFT = {**settings.WEFT, **POLICY}
    app.conf.task_always_eager = False
    return app


def run_worker(concurrency: int) -> None:
    import django

    django.setup()
    from celery.signals import task_postrun
    from django.db import close_old_connections

    app = shrink_retries()
    # Celery's Django fixup closes the database connection around every task unless told to
    # reuse it; a new PostgreSQL backend per task costs more than a delivery. Reuse it, and let
    # Django drop one that is broken or past CONN_MAX_AGE, as it does between web requests.
    app.conf.CELERY_DB_REUSE_MAX = 1_000_000
    task_postrun.connect(lambda **kwargs: close_old_connections(), weak=False)
    app.worker_main(
        [
            "worker",
            "--queues=default,outbound",
            f"--concurrency={concurrency}",
            "--pool=prefork",
            "--loglevel=WARNING",
            "--hostname=bench-delivery@%h",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ]
    )


class Receiver:
    """The partner's side: verify, fail some attempts, apply each event id once, in order."""

    def __init__(self, secret: str, failure_rate: float):
        self.secret = secret
        self.failure_rate = failure_rate
        self.random = random.Random(20260513)
        self.lock = threading.Lock()
        self.receipts = 0
        self.failed_on_purpose = 0
        self.bad_signatures = 0
        self.duplicates = 0
        self.out_of_order = 0
        self.applied: Counter[str] = Counter()
        self.last_event_of_order: dict[str, int] = {}

    def __call__(self, received):
        import json

        from integrations.webhooks import verify
        from tests.partner_server import Answer

        key = received.header("Idempotency-Key")
        with self.lock:
            self.receipts += 1
            if not verify(self.secret, received.header("X-Weft-Signature"), received.body):
                self.bad_signatures += 1
                return Answer(401, b"bad signature")
            if self.random.random() < self.failure_rate:
                self.failed_on_purpose += 1
                return Answer(500, b"flaky on purpose")
            if self.applied[key]:
                self.duplicates += 1
                return Answer(200, b"already applied")
            envelope = json.loads(received.body)
            order, event_number = envelope["data"]["po"], int(key.rsplit("-", 1)[1])
            if self.last_event_of_order.get(order, 0) > event_number:
                self.out_of_order += 1
            self.last_event_of_order[order] = event_number
            self.applied[key] += 1
            return Answer(200, b"applied")

    def applied_count(self) -> int:
        with self.lock:
            return len(self.applied)


def start_worker_process(concurrency: int, log_path: Path) -> subprocess.Popen:
    log = log_path.open("w")
    return subprocess.Popen(
        [sys.executable, __file__, "--worker", f"--concurrency={concurrency}"],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_for_worker(app, worker: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            sys.exit(f"the worker exited with {worker.returncode}")
        if app.control.ping(timeout=0.5):
            return
    sys.exit("the worker did not answer a ping within a minute")


def stop_worker_process(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def emit_events(count: int, orders: int) -> None:
    """As a service would: `emit` inside committed transactions, 500 events each."""
    import django

    django.setup()
    shrink_retries()
    from django.db import transaction

    from integrations.outbox import emit
    from tests.integrations.delivery_factories import purchase_order_data

    for start in range(0, count, 500):
        with transaction.atomic():
            for n in range(start, min(start + 500, count)):
                po = str(4_500_000 + n % orders)
                emit(
                    "purchase_order.change_requested",
                    purchase_order_data(po=po, revision=n // orders + 1),
                    key=f"po:{po}",
                )


def start_emitter_process(options: argparse.Namespace) -> subprocess.Popen:
    # Its own process, so the partner's threads here do not wait on the emitter for the GIL.
    return subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--emit",
            f"--events={options.events}",
            f"--orders={options.orders}",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )


def plan_outage(partner, receiver: Receiver, events: int, seconds: float) -> threading.Thread:
    def outage() -> None:
        while receiver.applied_count() < events // 2:
            time.sleep(0.05)
        partner.go_down()
        time.sleep(seconds)
        partner.come_up()

    thread = threading.Thread(target=outage, daemon=True)
    thread.start()
    return thread


def main() -> int:
    options = arguments()
    if options.worker:
        run_worker(options.concurrency)
        return 0
    if options.emit:
        emit_events(options.events, options.orders)
        return 0
    with bench_database("delivery") as environment:
        environment = {**environment, "CELERY_BROKER_URL": BROKER_URL}
        django_setup(environment)
        return run(options)


@dataclass
class Run:
    emitted_in: float = 0.0
    elapsed: float = 0.0
    emitter_cpu: float = 0.0
    load_before: float = 0.0
    children_cpu_before: float = 0.0


def run(options: argparse.Namespace) -> int:
    import redis

    from integrations.delivery import due_outbound_messages_enqueue, subscription_create
    from integrations.models import OutboundMessage
    from integrations.services import external_system_register
    from tests.partner_server import PartnerServer

    app = shrink_retries()
    broker = redis.Redis.from_url(BROKER_URL)
    broker.flushdb()
    figures = Run(load_before=os.getloadavg()[0], children_cpu_before=sum(os.times()[2:4]))
    log_path = Path("/tmp") / f"weft-bench-delivery-worker-{os.getpid()}.log"
    worker = start_worker_process(options.concurrency, log_path)
    partner = PartnerServer()
    try:
        wait_for_worker(app, worker)
        partner.start()
        system = external_system_register(code="SUP-BENCH", name="Bench supplier", kind="supplier")
        _, secret = subscription_create(
            system=system,
            url=partner.url,
            event_types=["*"],
            max_attempts=MAX_ATTEMPTS,
            timeout_seconds=5,
        )
        receiver = Receiver(secret, options.failure_rate)
        partner.respond = receiver
        outage = plan_outage(partner, receiver, options.events, options.outage_seconds)

        started = last_report = time.monotonic()
        emitter = start_emitter_process(options)
        while time.monotonic() - started < options.time_limit:
            if not figures.emitted_in and emitter.poll() is not None:
                figures.emitted_in = time.monotonic() - started
                figures.emitter_cpu = sum(os.times()[2:4]) - figures.children_cpu_before
            due_outbound_messages_enqueue()
            delivered = OutboundMessage.objects.filter(status="delivered").count()
            if delivered >= options.events:
                break
            if time.monotonic() - last_report >= 10:
                last_report = time.monotonic()
                queued = {name: broker.llen(name) for name in ("default", "outbound")}
                print(
                    f"  {last_report - started:5.0f} s: {delivered:,} delivered, "
                    f"{receiver.receipts:,} receipts, queued {queued}, "
                    f"load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
            time.sleep(1)
        figures.elapsed = time.monotonic() - started
        outage.join(timeout=1)
        emitter.wait()
    finally:
        stop_worker_process(worker)
        partner.stop()
    passed = report(options, figures, receiver)
    if not passed:
        print(f"Worker log: {log_path}")
    from django.db import connections

    connections.close_all()
    return 0 if passed else 1


def report(options: argparse.Namespace, figures: Run, receiver: Receiver) -> bool:
    from django.db import connection

    from integrations.models import DeliveryAttempt, Event, OutboundMessage

    cpu = os.times()
    statuses = Counter(OutboundMessage.objects.values_list("status", flat=True))
    attempts = DeliveryAttempt.objects.count()
    refused = DeliveryAttempt.objects.filter(error__startswith="Connection failed").count()
    expected = {f"weft-event-{pk}" for pk in Event.objects.values_list("pk", flat=True)}
    applied = set(receiver.applied)
    lost = options.events - len(expected & applied)
    applied_twice = sum(1 for count in receiver.applied.values() if count > 1)
    delivered = statuses["delivered"]
    checks = {
        f"all {options.events:,} delivered": delivered == options.events == len(expected),
        "0 lost": lost == 0,
        "0 applied twice": applied_twice == 0 and applied <= expected,
        "0 bad signatures": receiver.bad_signatures == 0,
        "0 out of order per purchase order": receiver.out_of_order == 0,
    }
    worker_cpu = (
        cpu.children_user + cpu.children_system - figures.emitter_cpu - figures.children_cpu_before
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        sessions = cursor.fetchone()[0]
    print(
        f"""
Delivery bench: {options.events:,} events, {options.concurrency} worker processes, partner failing
{options.failure_rate:.0%} of attempts and down {options.outage_seconds:.0f} s mid-run; {os.cpu_count()} cores,
load average {figures.load_before:.1f} before and {os.getloadavg()[0]:.1f} after
  emitted and committed in       {figures.emitted_in:6.1f} s
  all delivered after            {figures.elapsed:6.1f} s  ({delivered / figures.elapsed:,.0f} events/s end to end)
  messages                       {dict(statuses)}
  attempts logged                {attempts:,}  (of which connection refused: {refused:,})
  partner receipts (raw)         {receiver.receipts:,}
    answered 500 on purpose      {receiver.failed_on_purpose:,}
    duplicates deduped           {receiver.duplicates:,}
    applied (distinct event ids) {len(applied):,}
  lost                           {lost:,}
  applied twice                  {applied_twice:,}
  bad signatures                 {receiver.bad_signatures:,}
  out of order                   {receiver.out_of_order:,}
  CPU seconds                    worker {worker_cpu:.0f}, emitter {figures.emitter_cpu:.0f}, partner and beat {cpu.user + cpu.system:.0f}
  database sessions opened       {sessions:,}
Floor: {", ".join(checks)}."""
    )
    for name, passed in checks.items():
        print(f"  {verdict(passed)}  {name}")
    return all(checks.values())


if __name__ == "__main__":
    sys.exit(main())
