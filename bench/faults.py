"""Faults during intake: a worker killed with SIGKILL mid-drain, Redis restarted, PostgreSQL restarted.

    .venv/bin/python bench/faults.py [--messages 3000] [--max-wait 480]
        [--faults worker redis postgres]

Runs on its own database and its own Redis (a private redis-server on a free port, so the
restart hurts nobody else). Stores the messages, starts a real `inbound` worker, kills it with
SIGKILL once some are applied, starts a new one, and plays the beat's stale-message sweep
every 10 s. Then does the same with a Redis restart (its queued tasks and drain flags are
lost: Redis runs without persistence here). Prints, per fault, how long recovery took and
whether every message was applied exactly once (one Item per message, one history row each).
Exits 1 when a message is lost or applied twice.

PostgreSQL restarted during intake: a private PostgreSQL cluster (initdb as the postgres user
on a free port under /tmp, so the restart hurts nobody else on this machine), gunicorn with the
production settings and an `inbound` worker on it. Eight partner threads post batches of 100
envelopes to /api/v1/inbound/batch/ and retry a 503 after its Retry-After; midway the cluster
is stopped for 5 s (`pg_ctl stop -m fast`, then start). Prints every answer's status counts:
the outage must show 503s with Retry-After and never a 500, and afterwards every message is
applied exactly once.

Recovery after a SIGKILL is bounded by the drain's heartbeat (HEARTBEAT_SECONDS, 60 s) plus
the sweep's age threshold: a kick takes over a flag whose drain stopped beating.
"""

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import PYTHON, ROOT, bench_database, django_setup, free_port, verdict


@contextlib.contextmanager
def private_redis(bind: str = "127.0.0.1", port: int | None = None):
    """A throwaway redis-server without persistence; yields its URL and a restart function."""
    port = port or free_port()
    folder = Path(f"/tmp/weft-bench-redis-{port}")
    folder.mkdir(exist_ok=True)
    command = [
        shutil.which("redis-server") or "redis-server",
        "--port",
        str(port),
        "--bind",
        bind,
        "--protected-mode",
        "no",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(folder),
    ]
    state = {"process": subprocess.Popen(command, stdout=subprocess.DEVNULL)}
    time.sleep(0.5)

    def restart():
        state["process"].send_signal(signal.SIGTERM)
        state["process"].wait(timeout=10)
        state["process"] = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        time.sleep(0.5)

    try:
        yield f"redis://127.0.0.1:{port}/0", restart
    finally:
        state["process"].send_signal(signal.SIGTERM)
        state["process"].wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


PG_BIN = Path("/usr/lib/postgresql/15/bin")


@contextlib.contextmanager
def private_postgres():
    """A throwaway PostgreSQL cluster; yields its URL and (stop, start) functions."""
    port = free_port()
    folder = Path(f"/tmp/weft-bench-pg-{port}")
    folder.mkdir()
    shutil.chown(folder, "postgres", "postgres")

    def as_postgres(*command: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *command],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    data = folder / "data"
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"

    def start() -> None:
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-w", "start")

    def stop() -> None:
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")

    as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust")
    start()
    try:
        yield f"postgres://postgres@127.0.0.1:{port}", stop, start
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            stop()
        shutil.rmtree(folder, ignore_errors=True)


def postgres_restart(args) -> bool:
    """Partners post batches while PostgreSQL goes away and comes back; see the module doc."""
    import threading
    from collections import Counter

    import requests

    from bench import support

    with contextlib.ExitStack() as stack:
        url, stop_postgres, start_postgres = stack.enter_context(private_postgres())
        broker, _restart = stack.enter_context(private_redis())
        support.POSTGRES = url
        environment = stack.enter_context(bench_database("faults_pg"))
        environment = environment | {
            "CELERY_BROKER_URL": broker,
            "CELERY_TASK_ALWAYS_EAGER": "false",
        }
        django_setup(environment)
        from django.db import connection

        from integrations.services import api_key_create, external_system_register, ownership_set
        from masterdata.models import Item, UnitOfMeasure

        system = external_system_register(code="FAULT-ERP", name="Fault ERP", kind="erp")
        ownership_set(object_type="item", system=system)
        UnitOfMeasure.objects.create(code="EA", name="Each", dimension="count")
        _, key = api_key_create(system=system, scopes=["inbound:write", "messages:read"])
        connection.close()

        run = uuid.uuid4().hex[:6]
        batches = max(1, args.messages // 100)
        answers: Counter = Counter()
        retry_after_missing = 0
        lock = threading.Lock()
        queue = list(range(batches))
        base = stack.enter_context(support.gunicorn(environment, workers=2, threads=4))
        worker = start_worker(environment)
        stack.callback(stop, worker)

        def partner() -> None:
            nonlocal retry_after_missing
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {key}"
            while True:
                with lock:
                    if not queue:
                        return
                    batch = queue.pop()
                body = {
                    "messages": [envelope(run, batch * 100 + n) for n in range(100)],
                }
                for _attempt in range(120):
                    try:
                        response = session.post(
                            f"{base}/api/v1/inbound/batch/", json=body, timeout=60
                        )
                    except requests.RequestException:
                        with lock:
                            answers["connection error"] += 1
                        time.sleep(1)
                        continue
                    with lock:
                        answers[response.status_code] += 1
                        if response.status_code == 503 and "Retry-After" not in response.headers:
                            retry_after_missing += 1
                    if response.status_code in (200, 201, 202, 207):
                        break
                    if response.status_code == 503:
                        time.sleep(min(float(response.headers.get("Retry-After", 1)), 5))
                        continue
                    return  # anything else is a failure the counts will show

        threads = [threading.Thread(target=partner) for _ in range(8)]
        for thread in threads:
            thread.start()
        while len(queue) > batches * 2 // 3:
            time.sleep(0.1)
        stop_postgres()
        outage_started = time.monotonic()
        time.sleep(5)
        start_postgres()
        outage = time.monotonic() - outage_started
        for thread in threads:
            thread.join()

        started = time.monotonic()
        total = batches * 100
        applied = items = history = 0
        while time.monotonic() - started < args.max_wait:
            try:
                from integrations.inbox import stale_received_messages_requeue
                from integrations.models import InboundMessage

                messages = InboundMessage.objects.filter(idempotency_key__startswith=f"{run}-")
                applied = messages.filter(status="applied").count()
                if applied == total:
                    break
                if time.monotonic() - started > 10 and int(time.monotonic() - started) % 10 == 0:
                    stale_received_messages_requeue()
            except Exception:
                connection.close()
            time.sleep(1)
        stored = InboundMessage.objects.filter(idempotency_key__startswith=f"{run}-").count()
        items = Item.objects.filter(code__startswith=f"F{run}-").count()
        history = Item.history.filter(code__startswith=f"F{run}-").count()
        connection.close()

    server_errors = sum(
        n
        for status, n in answers.items()
        if isinstance(status, int) and status >= 500 and status != 503
    )
    once = stored == applied == items == history == total
    passed = once and server_errors == 0 and answers[503] > 0 and retry_after_missing == 0
    print(
        f"PostgreSQL restart ({outage:.1f} s down) during intake of {total} messages in batches "
        f"of 100: answers {dict(sorted(answers.items(), key=str))}; 503s without Retry-After "
        f"{retry_after_missing}; other 5xx {server_errors}; stored {stored}, applied {applied}, "
        f"items {items}, history rows {history} (exactly once: {once}) {verdict(passed)}"
    )
    return passed


def start_worker(environment: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [
            PYTHON,
            "-m",
            "celery",
            "--app",
            "config",
            "worker",
            "--queues",
            "inbound",
            "--concurrency",
            "2",
            "--loglevel",
            "WARNING",
            "--hostname",
            f"fault-{uuid.uuid4().hex[:6]}@%h",
        ],
        cwd=ROOT,
        env=environment,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill_hard(worker: subprocess.Popen) -> None:
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)


def stop(worker: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        worker.wait(timeout=30)


def envelope(run: str, n: int) -> dict:
    return {
        "type": "item.upserted",
        "version": 1,
        "id": f"{run}-{n}",
        "source": "FAULT-ERP",
        "occurred_at": "2026-11-22T10:00:00+00:00",
        "data": {
            "code": f"F{run}-{n:06d}",
            "description": "Fault bench part",
            "base_uom": "EA",
            "item_type": "buy",
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--max-wait", type=float, default=480)
    parser.add_argument(
        "--faults",
        nargs="+",
        choices=["worker", "redis", "postgres"],
        default=["worker", "redis", "postgres"],
    )
    args = parser.parse_args()
    results = []
    if "postgres" in args.faults:
        results.append(postgres_restart(args))
    chosen = [
        name
        for key, name in (("worker", "worker SIGKILL"), ("redis", "Redis restart"))
        if key in args.faults
    ]
    if not chosen:
        return 0 if all(results) else 1

    with private_redis() as (broker, restart_redis), bench_database("faults") as environment:
        environment = environment | {
            "CELERY_BROKER_URL": broker,
            "CELERY_TASK_ALWAYS_EAGER": "false",
        }
        django_setup(environment)
        from django.db import transaction

        from integrations.inbox import inbound_receive_batch, stale_received_messages_requeue
        from integrations.models import InboundMessage
        from integrations.services import external_system_register, ownership_set
        from masterdata.models import Item, UnitOfMeasure

        system = external_system_register(code="FAULT-ERP", name="Fault ERP", kind="erp")
        ownership_set(object_type="item", system=system)
        UnitOfMeasure.objects.create(code="EA", name="Each", dimension="count")

        def intake(run: str) -> None:
            for start in range(0, args.messages, 1000):
                stop_at = min(start + 1000, args.messages)
                with transaction.atomic():
                    inbound_receive_batch(
                        system=system,
                        envelopes=[envelope(run, n) for n in range(start, stop_at)],
                        correlation_id=None,
                    )

        def applied(run: str) -> int:
            return InboundMessage.objects.filter(
                idempotency_key__startswith=f"{run}-", status="applied"
            ).count()

        def recover(run: str, started: float) -> float | None:
            last_sweep = 0.0
            while time.monotonic() - started < args.max_wait:
                if applied(run) == args.messages:
                    return time.monotonic() - started
                if time.monotonic() - last_sweep > 10:
                    stale_received_messages_requeue()
                    last_sweep = time.monotonic()
                time.sleep(1)
            return None

        def exactly_once(run: str) -> tuple[int, int]:
            items = Item.objects.filter(code__startswith=f"F{run}-")
            history = Item.history.filter(code__startswith=f"F{run}-").count()
            return items.count(), history

        for fault in chosen:
            run = uuid.uuid4().hex[:6]
            intake(run)
            worker = start_worker(environment)
            while applied(run) < args.messages // 4:
                time.sleep(0.2)
            at_fault = applied(run)
            if fault == "worker SIGKILL":
                kill_hard(worker)
                worker = start_worker(environment)
            else:
                restart_redis()
            recovered = recover(run, time.monotonic())
            stop(worker)
            items, history = exactly_once(run)
            passed = recovered is not None and items == args.messages and history == args.messages
            results.append(passed)
            waited = f"{recovered:.0f} s" if recovered is not None else "not within the wait"
            print(
                f"{fault}: {at_fault} of {args.messages} applied when it struck; all applied "
                f"after {waited}; items {items}, history rows {history} "
                f"(exactly once: {items == history == args.messages}) {verdict(passed)}"
            )
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
