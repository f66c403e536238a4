"""Scale-out: the same inbound messages applied by one worker "host", then by two.

    .venv/bin/python bench/scale_out.py [--messages 50000] [--max-wait 1800]

Each "host" is a Linux network namespace (`ip netns add`) joined to this one by a veth pair
with addresses on its own private /24 (10.231.N.0/24: .1 here, .2 inside). A worker inside
reaches PostgreSQL and Redis only over its veth: PostgreSQL listens on 127.0.0.1, so a
`socat` forwarder listens on each host-side veth address (the shared server's settings stay
untouched), and the bench's private redis-server binds the veth addresses too. Both runs go
through the namespaces, so the forwarders cost the same per message in each.

Per run: the messages are stored through the batch intake service (1,000 per call) with no
worker running, then one worker process (`--concurrency 1`) per host is started. Throughput
is messages over the span from the first to the last `processed_at`, so worker start-up is
not counted. Exactly once: one Item and one history row per message, every inbox row
`applied`. Needs root (ip netns). Namespaces, links and forwarders are removed on exit, even
on failure.

Two cores are shared by everything on this machine (PostgreSQL, Redis, the workers, other
users): two workers cannot run at twice the speed here. The ratio shows the second host adds
throughput while the applied-exactly-once counts hold; on separate machines each host brings
its own CPU.
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

from bench.faults import envelope, private_redis
from bench.support import PYTHON, ROOT, bench_database, django_setup, free_port, verdict

SUBNET = "10.231"
PG_PORT = 5432


def sh(*command: str, check: bool = True) -> None:
    subprocess.run(command, check=check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@contextlib.contextmanager
def hosts(count: int, redis_port: int):
    """`count` network namespaces with a veth pair each and a PostgreSQL forwarder per pair."""
    tag = uuid.uuid4().hex[:4]
    made: list[tuple[str, str]] = []
    forwarders: list[subprocess.Popen] = []
    try:
        for n in range(1, count + 1):
            namespace, outside, inside = f"weft-{tag}-h{n}", f"wv{tag}{n}o", f"wv{tag}{n}i"
            sh("ip", "netns", "add", namespace)
            made.append((namespace, outside))
            sh("ip", "link", "add", outside, "type", "veth", "peer", "name", inside)
            sh("ip", "link", "set", inside, "netns", namespace)
            sh("ip", "addr", "add", f"{SUBNET}.{n}.1/24", "dev", outside)
            sh("ip", "link", "set", outside, "up")
            sh(
                "ip",
                "netns",
                "exec",
                namespace,
                "ip",
                "addr",
                "add",
                f"{SUBNET}.{n}.2/24",
                "dev",
                inside,
            )
            sh("ip", "netns", "exec", namespace, "ip", "link", "set", inside, "up")
            sh("ip", "netns", "exec", namespace, "ip", "link", "set", "lo", "up")
            forwarders.append(
                subprocess.Popen(
                    [
                        shutil.which("socat") or "socat",
                        f"TCP-LISTEN:{PG_PORT},bind={SUBNET}.{n}.1,fork,reuseaddr,nodelay",
                        f"TCP:127.0.0.1:{PG_PORT},nodelay",
                    ],
                    start_new_session=True,
                )
            )
        time.sleep(0.3)
        yield [(namespace, f"{SUBNET}.{n}.1") for n, (namespace, _) in enumerate(made, start=1)]
    finally:
        for forwarder in forwarders:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(forwarder.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                forwarder.wait(timeout=5)
        for namespace, outside in made:
            sh("ip", "link", "del", outside, check=False)
            sh("ip", "netns", "del", namespace, check=False)


def start_worker(namespace: str, address: str, environment: dict, database: str, redis_port: int):
    remote = environment | {
        "DATABASE_URL": f"postgres://postgres@{address}:{PG_PORT}/{database}",
        "CELERY_BROKER_URL": f"redis://{address}:{redis_port}/0",
    }
    return subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            namespace,
            PYTHON,
            "-m",
            "celery",
            "--app",
            "config",
            "worker",
            "--queues",
            "inbound",
            "--concurrency",
            "1",
            "--loglevel",
            "WARNING",
            "--hostname",
            f"scale-{namespace}@{namespace}",
        ],
        cwd=ROOT,
        env=remote,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
    )


def stop(worker: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--max-wait", type=float, default=1800)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("bench/scale_out.py needs root for ip netns")
        return 2

    binds = " ".join(["127.0.0.1"] + [f"{SUBNET}.{n}.1" for n in (1, 2)])
    with contextlib.ExitStack() as stack:
        # The veth addresses must exist before redis-server binds them.
        redis_port = free_port()
        namespaces = stack.enter_context(hosts(2, redis_port))
        broker, _restart = stack.enter_context(private_redis(binds, port=redis_port))
        environment = stack.enter_context(bench_database("scale_out"))
        database = environment["DATABASE_URL"].rsplit("/", 1)[1]
        environment = environment | {
            "CELERY_BROKER_URL": broker,
            "CELERY_TASK_ALWAYS_EAGER": "false",
        }
        django_setup(environment)
        from django.db import transaction
        from django.db.models import Count, Max, Min

        from integrations.inbox import inbound_receive_batch
        from integrations.models import InboundMessage
        from integrations.services import external_system_register, ownership_set
        from masterdata.models import Item, UnitOfMeasure

        system = external_system_register(code="FAULT-ERP", name="Scale-out ERP", kind="erp")
        ownership_set(object_type="item", system=system)
        UnitOfMeasure.objects.create(code="EA", name="Each", dimension="count")

        def run(label: str, count: int) -> tuple[float, bool]:
            tag = uuid.uuid4().hex[:6]
            messages = InboundMessage.objects.filter(idempotency_key__startswith=f"{tag}-")
            for start in range(0, args.messages, 1000):
                with transaction.atomic():
                    inbound_receive_batch(
                        system=system,
                        envelopes=[
                            envelope(tag, n) for n in range(start, min(start + 1000, args.messages))
                        ],
                        correlation_id=None,
                    )
            workers = [
                start_worker(namespace, address, environment, database, redis_port)
                for namespace, address in namespaces[:count]
            ]
            started = time.monotonic()
            try:
                while messages.exclude(status="received").count() < args.messages:
                    if time.monotonic() - started > args.max_wait:
                        break
                    if any(worker.poll() is not None for worker in workers):
                        print(f"{label}: a worker exited early")
                        break
                    time.sleep(1)
            finally:
                for worker in workers:
                    stop(worker)
            statuses = dict(
                messages.values("status").annotate(n=Count("id")).values_list("status", "n")
            )
            applied = messages.filter(status="applied").count()
            span = messages.aggregate(first=Min("processed_at"), last=Max("processed_at"))
            items = Item.objects.filter(code__startswith=f"F{tag}-").count()
            history = Item.history.filter(code__startswith=f"F{tag}-").count()
            once = applied == items == history == args.messages
            seconds = (
                (span["last"] - span["first"]).total_seconds() if span["first"] else float("nan")
            )
            rate = applied / seconds if seconds else float("nan")
            print(
                f"{label}: {applied} of {args.messages} applied in {seconds:.1f} s = {rate:,.0f} "
                f"messages/s; items {items}, history rows {history}, statuses "
                f"{statuses} (exactly once: {once}) {verdict(once)}"
            )
            return rate, once

        one, once_one = run("1 worker process on 1 host", 1)
        two, once_two = run("2 worker processes on 2 hosts", 2)
        print(
            f"throughput ratio two hosts / one host: {two / one:.2f} "
            f"(both hosts share this machine's {os.cpu_count()} cores with PostgreSQL, Redis "
            "and the forwarders, so this is a floor for separate machines, not a prediction)"
        )
        return 0 if once_one and once_two else 1


if __name__ == "__main__":
    sys.exit(main())
