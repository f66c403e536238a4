"""Forecast consumption bench: `planned_demand` for 10,000 items × 52 weekly buckets.

    .venv/bin/python bench/planned_demand.py [--items 10000] [--weeks 52] [--orders 20000]

Seeds one plant with an active forecast version of `items` × `weeks` weekly lines and `orders`
open customer order lines spread over the items and the horizon (a tenth past due), then calls
`planning.consumption.planned_demand(plant, item_ids=None, ...)` five times and prints the
median wall time, the queries it made and the rows it returned. Floor: FLOOR_SECONDS (the
issue asks for well under 1 s) and at most 3 queries. Exits 1 otherwise.

Runs on its own database (`weft_bench_demand`, made, migrated and dropped by bench/support.py).
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import bench_database, django_setup, verdict

FLOOR_SECONDS = 1.0
FLOOR_QUERIES = 4


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--orders", type=int, default=20_000)
    return parser.parse_args()


def seed(items: int, weeks: int, orders: int, monday: date):
    from django.db import transaction

    from masterdata.models import Item, Plant, UnitOfMeasure
    from planning.models import DemandOrder, DemandOrderLine, ForecastLine, ForecastVersion

    rng = random.Random(6)
    with transaction.atomic():
        unit = UnitOfMeasure.objects.create(code="EA", name="Each", dimension="count")
        plant = Plant.objects.create(code="P100", name="Plant")
        Item.objects.bulk_create(
            [
                Item(code=f"FG-{n:05d}", description="", base_uom=unit, item_type="make")
                for n in range(items)
            ],
            batch_size=5000,
        )
        item_ids = list(Item.objects.values_list("pk", flat=True))
        version = ForecastVersion.objects.create(
            plan="DP",
            plant=plant,
            version="1",
            bucket="week",
            source_system="bench",
            status="active",
        )
        ForecastLine.objects.bulk_create(
            (
                ForecastLine(
                    version=version,
                    item_id=item_id,
                    period_start=monday + timedelta(weeks=w),
                    quantity=Decimal(rng.randint(0, 200)),
                )
                for item_id in item_ids
                for w in range(weeks)
            ),
            batch_size=10_000,
        )
        lines_per_order = 5
        for first in range(0, orders, lines_per_order):
            order = DemandOrder.objects.create(
                number=f"SO-{first}", customer="C", source_system="b"
            )
            DemandOrderLine.objects.bulk_create(
                [
                    DemandOrderLine(
                        order=order,
                        line=k + 1,
                        item_id=rng.choice(item_ids),
                        plant=plant,
                        quantity=Decimal(rng.randint(1, 300)),
                        entered_quantity=Decimal(1),
                        entered_uom="EA",
                        due_date=monday + timedelta(days=rng.randint(-weeks // 10 * 7, weeks * 7)),
                    )
                    for k in range(min(lines_per_order, orders - first))
                ]
            )
    return plant


def main() -> int:
    options = arguments()
    with bench_database("demand") as environment:
        django_setup(environment)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from planning.consumption import planned_demand

        today = date.today()
        monday = today - timedelta(days=today.weekday())
        started = time.perf_counter()
        plant = seed(options.items, options.weeks, options.orders, monday)
        print(f"seeded in {time.perf_counter() - started:.1f} s", flush=True)
        end = monday + timedelta(weeks=options.weeks) - timedelta(days=1)
        times, cpu = [], []
        for _ in range(5):
            with CaptureQueriesContext(connection) as queries:
                started, started_cpu = time.perf_counter(), time.process_time()
                rows = planned_demand(plant, item_ids=None, start=today, end=end)
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
        median = statistics.median(times)
        from planning import consumption

        started = time.perf_counter()
        with consumption._collector_paused():
            buckets = consumption._forecast_rows(plant.pk, None, today - timedelta(days=40), end)
            read = time.perf_counter()
            orders = consumption._order_rows(plant.pk, None, end + timedelta(days=31))
            read_orders = time.perf_counter()
            consumption.consume_sorted(
                buckets, orders, start=today, end=end, backward_days=7, forward_days=7
            )
        done = time.perf_counter()
        print(
            f"one run in parts: forecast read {read - started:.3f} s, orders read "
            f"{read_orders - read:.3f} s, consumption {done - read_orders:.3f} s"
        )
        passed = median < FLOOR_SECONDS and len(queries) <= FLOOR_QUERIES
        print(
            f"planned_demand: {options.items} items x {options.weeks} weeks, "
            f"{options.orders} order lines -> {len(rows)} rows"
        )
        print(f"median {median:.3f} s (runs: {', '.join(f'{t:.3f}' for t in times)})")
        print(f"CPU of this process: median {statistics.median(cpu):.3f} s")
        print(f"queries: {len(queries)} (floor {FLOOR_QUERIES})")
        print(f"load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
        print(f"floor: under {FLOOR_SECONDS:.1f} s -> {verdict(passed)}")
        return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
