"""Intake through gunicorn on PostgreSQL, as partners will call it.

    .venv/bin/python bench/intake.py [--seconds 10] [--clients 16]

Prints single-envelope throughput next to a trivial authenticated DRF endpoint's on the same
server in the same run (floor: at least 50% of it), p50/p99 latency, and batch intake in
messages stored per second (floor: 5,000/s, 1,000 per request). Exits 1 below a floor.
"""

import argparse
import itertools
import json
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import bench_database, django_setup, gunicorn, percentile, verdict

SINGLE_FLOOR = 0.5
BATCH_FLOOR = 5000


def envelope(n: int, run: str) -> dict:
    return {
        "type": "item.upserted",
        "version": 1,
        "id": f"{run}-{n}",
        "source": "BENCH-ERP",
        "occurred_at": "2026-05-13T10:00:00+00:00",
        "data": {
            "code": f"BENCH-{n:07d}",
            "description": "Bench part",
            "base_uom": "EA",
            "item_type": "buy",
        },
    }


def load(
    base: str, key: str, *, seconds: float, clients: int, request
) -> tuple[float, list[float], int]:
    """Run `request(session, n)` from `clients` threads for `seconds`; requests/s, latencies, errors."""
    counter = itertools.count()
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client() -> None:
        nonlocal errors
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {key}"
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            ok = request(session, next(counter))
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                errors += 0 if ok else 1

    started = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client) for _ in range(clients)]:
            future.result()
    return len(latencies) / (time.monotonic() - started), latencies, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers (default: one per core)"
    )
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    args = parser.parse_args()
    run = uuid.uuid4().hex[:8]

    with bench_database("intake") as environment:
        django_setup(environment)
        from integrations.services import api_key_create, external_system_register, ownership_set
        from masterdata.models import UnitOfMeasure

        system = external_system_register(code="BENCH-ERP", name="Bench ERP", kind="erp")
        ownership_set(object_type="item", system=system)
        UnitOfMeasure.objects.create(code="EA", name="Each", dimension="count")
        _, key = api_key_create(system=system, scopes=["inbound:write", "messages:read"])

        with gunicorn(environment, workers=args.workers, threads=args.threads) as base:

            def trivial(session, n) -> bool:
                return session.get(f"{base}/api/v1/whoami/").status_code == 200

            def single(session, n) -> bool:
                body = json.dumps(envelope(n, run))
                headers = {"Content-Type": "application/json"}
                return (
                    session.post(f"{base}/api/v1/inbound/", data=body, headers=headers).status_code
                    == 202
                )

            load(base, key, seconds=2, clients=args.clients, request=trivial)  # warm every worker
            trivial_rps, trivial_lat, trivial_errors = load(
                base, key, seconds=args.seconds, clients=args.clients, request=trivial
            )
            single_rps, single_lat, single_errors = load(
                base, key, seconds=args.seconds, clients=args.clients, request=single
            )

            batch_counter = itertools.count(10_000_000)

            def batch(session, n) -> bool:
                body = {"messages": [envelope(next(batch_counter), run) for _ in range(1000)]}
                response = session.post(
                    f"{base}/api/v1/inbound/batch/",
                    data=json.dumps(body),
                    headers={"Content-Type": "application/json"},
                )
                return response.status_code == 200 and response.json()["accepted"] == 1000

            batch_started = time.monotonic()
            with ThreadPoolExecutor(2) as pool:
                sessions = [requests.Session() for _ in range(2)]
                for session in sessions:
                    session.headers["Authorization"] = f"Bearer {key}"
                outcomes = list(pool.map(lambda n: batch(sessions[n % 2], n), range(args.batches)))
            batch_seconds = time.monotonic() - batch_started

        from integrations.models import InboundMessage

        stored = InboundMessage.objects.filter(channel="batch").count()

    ratio = single_rps / trivial_rps
    batch_rate = stored / batch_seconds
    print(
        f"trivial DRF endpoint (GET /api/v1/whoami/): {trivial_rps:,.0f} req/s, p50 {percentile(trivial_lat, 0.5) * 1000:.1f} ms, p99 {percentile(trivial_lat, 0.99) * 1000:.1f} ms, errors {trivial_errors}"
    )
    print(
        f"single-envelope intake (POST /api/v1/inbound/): {single_rps:,.0f} req/s, p50 {percentile(single_lat, 0.5) * 1000:.1f} ms, p99 {percentile(single_lat, 0.99) * 1000:.1f} ms, errors {single_errors}"
    )
    print(
        f"  ratio {ratio:.0%} of the trivial endpoint; floor {SINGLE_FLOOR:.0%} -> {verdict(ratio >= SINGLE_FLOOR and not single_errors)}"
    )
    print(
        f"batch intake: {stored:,} messages stored in {batch_seconds:.1f} s = {batch_rate:,.0f} messages/s ({sum(outcomes)}/{len(outcomes)} batches fully accepted); floor {BATCH_FLOOR:,}/s -> {verdict(batch_rate >= BATCH_FLOOR and all(outcomes))}"
    )
    return (
        0
        if ratio >= SINGLE_FLOOR
        and batch_rate >= BATCH_FLOOR
        and not single_errors
        and all(outcomes)
        else 1
    )


if __name__ == "__main__":
    sys.exit(main())
