"""The supplier portal's PO list for a supplier with 10,000 purchase orders.

    .venv/bin/python bench/portal_po_list.py [--orders 10000] [--requests 30]

Seeds one supplier with `orders` issued POs of two lines each (bulk inserts, answers spread
over awaiting, accepted, changed and proposed), signs a portal user in, and asks for the first
page of `/portal/orders/` through Django's test Client `requests` times after a warm-up, on
PostgreSQL with the production settings. Prints the median and p90 server time (the whole
request through the middleware stack and the template, no network), the number of queries of
one request, and the same for the "awaiting response" view and a search. Floor: the first page
of the default list in under 150 ms median. Exits 1 below the floor or on a non-200 answer.
"""

import argparse
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import bench_database, django_setup, percentile, verdict

FLOOR_MS = 150.0


def seed(orders: int):
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from masterdata.models import Item, Plant, Supplier, SupplierMembership, UnitOfMeasure
    from procurement.models import PurchaseOrder, PurchaseOrderLine

    each = UnitOfMeasure.objects.create(code="EA", name="Each", dimension="count")
    plant = Plant.objects.create(code="P100", name="Bench plant")
    items = [
        Item.objects.create(code=f"BENCH-{n}", base_uom=each, item_type="buy") for n in range(20)
    ]
    supplier = Supplier.objects.create(code="S-BENCH", name="Bench supplier", status="approved")
    other = Supplier.objects.create(code="S-OTHER", name="Other supplier", status="approved")
    user = get_user_model().objects.create_user(username="bench-supplier", password="x" * 20)
    SupplierMembership.objects.create(user=user, supplier=supplier)

    now = timezone.now()
    today = timezone.localdate()
    statuses = ["issued", "issued", "acknowledged", "issued"]
    answers = ["awaiting", "accepted", "changed", "proposed"]
    pos = [
        PurchaseOrder(
            number=f"45{n:08d}",
            supplier=supplier if n < orders else other,
            plant=plant,
            status=statuses[n % 4],
            issued_at=now - timedelta(minutes=n),
            ack_due_at=now + timedelta(hours=48 - n % 96),
        )
        for n in range(orders + orders // 10)
    ]
    PurchaseOrder.objects.bulk_create(pos, batch_size=2000)
    lines = []
    for n, po in enumerate(pos):
        for number in (10, 20):
            answer = answers[(n + number) % 4] if po.status == "issued" else "accepted"
            lines.append(
                PurchaseOrderLine(
                    po=po,
                    line_number=number,
                    item=items[n % len(items)],
                    quantity=Decimal("40"),
                    uom=each,
                    base_quantity=Decimal("40"),
                    unit_price=Decimal("2.5"),
                    requested_date=today + timedelta(days=n % 60),
                    ack_status=answer,
                    confirmed_quantity=Decimal("40") if answer != "awaiting" else None,
                    confirmed_date=today + timedelta(days=n % 60) if answer != "awaiting" else None,
                )
            )
    PurchaseOrderLine.objects.bulk_create(lines, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    mine = PurchaseOrder.objects.filter(supplier=supplier).count()
    return user, mine


def measure(client, url: str, requests: int, verbose: bool = False) -> tuple[list[float], int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        client.get(url, secure=True)
    timings = []
    status = 200
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url, secure=True)
        timings.append((time.perf_counter() - started) * 1000)
        status = max(status, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url, secure=True)
    if verbose:
        for query in sorted(queries, key=lambda q: -float(q["time"]))[:4]:
            print(f"    {float(query['time']) * 1000:6.1f} ms  {query['sql'][:150]}")
    return timings, len(queries), status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--verbose", action="store_true", help="print the slowest queries")
    args = parser.parse_args()
    with bench_database("portal_po_list") as environment:
        environment["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
        django_setup(environment)
        from django.test import Client
        from django.test.utils import override_settings

        # The production manifest needs collectstatic; the page's static URLs cost the same either way.
        plain_static = override_settings(
            STORAGES={
                "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
            }
        )
        plain_static.enable()

        started = time.perf_counter()
        user, mine = seed(args.orders)
        print(f"seeded {mine} POs for the supplier in {time.perf_counter() - started:.1f} s")
        client = Client()
        client.force_login(user)
        passed = True
        for label, url, floored in (
            ("first page (all, newest issued)", "/portal/orders/", True),
            ("awaiting response", "/portal/orders/?view=awaiting", False),
            ("search '450000012'", "/portal/orders/?q=450000012", False),
            ("page 200", "/portal/orders/?page=200", False),
            ("portal home (tiles)", "/portal/", False),
        ):
            timings, query_count, status = measure(client, url, args.requests, args.verbose)
            median = statistics.median(timings)
            ok = status == 200 and (median < FLOOR_MS if floored else True)
            passed = passed and ok
            floor = f"floor < {FLOOR_MS:.0f} ms" if floored else "(no floor)"
            print(
                f"{label:34} median {median:6.1f} ms  p90 {percentile(timings, 0.9):6.1f} ms  "
                f"{query_count:2d} queries  status {status}  {floor}  "
                f"{verdict(ok) if floored else ''}"
            )
        print(f"portal PO list, {mine} POs: {verdict(passed)}")
        return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
