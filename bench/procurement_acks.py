"""Supplier acknowledgements through the API, on gunicorn and PostgreSQL, as a supplier system sends them.

    .venv/bin/python bench/procurement_acks.py [--count 1000] [--clients 16]

Issues `count` purchase orders (one line each) to a supplier, then its system answers every
one through `POST /api/v1/purchase-orders/{id}/acknowledge/` (half accepted, half changed
within tolerance), then sends every answer a second time. Prints acknowledgements per second
with p50/p99 latency next to a trivial authenticated endpoint's rate on the same server in the
same run (floor: at least 15% of it; an answer is one locked transaction of some twenty
statements with history and an outbox event, the trivial endpoint one key lookup), and the
net effect, which must equal the count: one recorded answer, one confirmation and one
`purchase_order.confirmed` event per PO, nothing from the repeats. Exits 1 on a failed
request, a wrong net effect or a rate below the floor.
"""

import argparse
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import bench_database, django_setup, gunicorn, percentile, verdict

FLOOR = 0.15


def seed(count: int) -> tuple[str, list[tuple[int, str]]]:
    """A supplier with its own system and key, and `count` issued POs; (key, [(po id, body)])."""
    from django.utils import timezone

    from integrations.services import api_key_create, external_system_register
    from masterdata.models import Item, Plant, SourcingRule, Supplier, UnitOfMeasure
    from procurement import services

    system = external_system_register(code="BENCH-SUP", name="Bench supplier", kind="supplier")
    _, key = api_key_create(
        system=system, scopes=["procurement:read", "procurement:write", "messages:read"]
    )
    each = UnitOfMeasure.objects.create(code="EA", name="Each", dimension="count")
    plant = Plant.objects.create(code="P100", name="Bench plant")
    item = Item.objects.create(code="BENCH-1", base_uom=each, item_type="buy")
    supplier = Supplier.objects.create(
        code="S-BENCH", name="Bench supplier", status="approved", external_system=system
    )
    SourcingRule.objects.create(item=item, supplier=supplier, plant=plant, unit_price=2)
    day = timezone.localdate() + timedelta(days=20)
    answers = []
    for n in range(count):
        po = services.purchase_order_create(
            number=f"BENCH-{n:06d}",
            supplier="S-BENCH",
            plant="P100",
            lines=[
                {
                    "line": 1,
                    "item": "BENCH-1",
                    "quantity": "100",
                    "uom": "EA",
                    "requested_date": day,
                }
            ],
        )
        services.purchase_order_issue(po=po)
        line = {"line": 1, "status": "accepted"}
        if n % 2:
            line = {
                "line": 1,
                "status": "changed",
                "confirmed_date": (day + timedelta(days=1)).isoformat(),
            }
        answers.append((po.pk, json.dumps({"revision": 0, "lines": [line]})))
    return key, answers


def send_all(base: str, key: str, answers, clients: int, *, expect: str):
    """POST every answer from `clients` threads (with `expect` None: GET the trivial endpoint
    as often); (seconds, latencies, failures)."""
    local = threading.local()
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def post(entry) -> None:
        po_id, body = entry
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.headers["Authorization"] = f"Bearer {key}"
            local.session.headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        if expect is None:
            response = local.session.get(f"{base}/api/v1/whoami/", timeout=60)
        else:
            response = local.session.post(
                f"{base}/api/v1/purchase-orders/{po_id}/acknowledge/", data=body, timeout=60
            )
        elapsed = time.perf_counter() - started
        ok = response.status_code == 200 and (expect is None or response.json().get(expect) == [1])
        with lock:
            latencies.append(elapsed)
            if not ok:
                failures.append(f"PO {po_id}: {response.status_code} {response.text[:200]}")

    started = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(post, answers))
    return time.monotonic() - started, latencies, failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    args = parser.parse_args()

    with bench_database("procurement_acks") as environment:
        environment["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
        django_setup(environment)
        seeding = time.monotonic()
        key, answers = seed(args.count)
        print(f"seeded {args.count:,} issued POs in {time.monotonic() - seeding:.1f} s")

        with gunicorn(environment, workers=args.workers, threads=args.threads) as base:
            trivial = [(0, "")] * args.count
            send_all(base, key, trivial[:200], args.clients, expect=None)  # warm every worker
            trivial_seconds, trivial_latencies, trivial_failures = send_all(
                base, key, trivial, args.clients, expect=None
            )
            seconds, latencies, failures = send_all(
                base, key, answers, args.clients, expect="applied"
            )
            again_seconds, again_latencies, again_failures = send_all(
                base, key, answers, args.clients, expect="unchanged"
            )

        from integrations.models import Event
        from procurement.models import Acknowledgement, AcknowledgementLine, PurchaseOrderLine

        effect = {
            "answers recorded": Acknowledgement.objects.count(),
            "answer lines recorded": AcknowledgementLine.objects.count(),
            "lines confirmed": PurchaseOrderLine.objects.filter(
                ack_status__in=["accepted", "changed"]
            ).count(),
            "purchase_order.confirmed events": Event.objects.filter(
                event_type="purchase_order.confirmed"
            ).count(),
            "POs acknowledged": Acknowledgement.objects.values("po").distinct().count(),
        }

    rate = args.count / seconds
    again_rate = args.count / again_seconds
    trivial_rate = args.count / trivial_seconds
    ratio = rate / trivial_rate
    effect_ok = all(value == args.count for value in effect.values())
    failures = trivial_failures + failures
    print(
        f"trivial DRF endpoint (GET /api/v1/whoami/): {trivial_rate:,.0f} req/s, "
        f"p50 {percentile(trivial_latencies, 0.5) * 1000:.1f} ms"
    )
    print(
        f"acknowledgements (POST /api/v1/purchase-orders/{{id}}/acknowledge/): {args.count:,} in "
        f"{seconds:.1f} s = {rate:,.0f}/s, p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms, failed {len(failures)}"
    )
    print(
        f"the same {args.count:,} again: {again_rate:,.0f}/s, "
        f"p50 {percentile(again_latencies, 0.5) * 1000:.1f} ms, failed {len(again_failures)} "
        "(each answered 'unchanged')"
    )
    for name, value in effect.items():
        print(f"  net effect: {name} = {value:,} (want {args.count:,})")
    passed = ratio >= FLOOR and effect_ok and not failures and not again_failures
    print(
        f"acknowledgements at {ratio:.0%} of the trivial endpoint; floor {FLOOR:.0%}, net effect "
        f"equal to the count -> {verdict(passed)}"
    )
    for failure in (failures + again_failures)[:5]:
        print(f"  {failure}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
