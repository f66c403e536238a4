"""MRP end to end on PostgreSQL at demo scale: full run against its floor, then net change.

    .venv/bin/python bench/mrp_run.py [--items 10000] [--levels 6] [--runs 3]

Seeds `seed_demo --items 10000 --levels 6` (6 BOM levels, open POs and work orders) on a fresh
database, gives every finished good 52 weeks of active forecast and a few customer orders,
then, at plant P100 (every item):

- full run: load + plan + write, median of --runs, with the process's peak memory;
- floor: in the same process, reading the rows the loader reads (the same SELECTs, fetched raw)
  and writing the rows the writer wrote (COPY of the same tuples, rolled back) — nothing else;
- net change: one finished good's forecast (its BENCH line) changes; the time from the request to
  the new plan stored (its items and everything below them), median of 5. Measured right after
  the full runs, as after the nightly run, and before the floor: the floor's rolled-back COPYs
  leave a million dead rows in the plan tables that no run leaves. A full run then plans the
  plant whole again, so the floor reads and writes exactly what a full run stores.

Floors (issue 6): full run at most 2x the floor and under 15 s, peak memory under 1 GiB, net
change under 300 ms. Exits 1 when one is missed.
"""

import argparse
import resource
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import PYTHON, ROOT, bench_database, django_setup, verdict

MAX_RATIO = 2.0
MAX_FULL_SECONDS = 15.0
MAX_PEAK_MIB = 1024
MAX_NET_CHANGE_MS = 300.0


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--levels", type=int, default=6)
    parser.add_argument("--runs", type=int, default=3)
    return parser.parse_args()


def add_demand(plant) -> list:
    """An active forecast for every end item, 52 weeks, and a customer order for one in five."""
    from django.utils import timezone

    from masterdata.models import Item
    from planning.models import DemandOrder, DemandOrderLine, ForecastLine, ForecastVersion

    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    ends = list(
        Item.objects.filter(low_level_code=0, plants__plant=plant)
        .order_by("id")
        .values_list("id", flat=True)
    )
    version = ForecastVersion.objects.create(
        plan="BENCH",
        plant=plant,
        version="1",
        bucket="week",
        source_system="DP-CLOUD",
        status=ForecastVersion.Status.ACTIVE,
    )
    ForecastLine.objects.bulk_create(
        [
            ForecastLine(
                version=version,
                item_id=item,
                period_start=monday + timedelta(weeks=week),
                quantity=Decimal(20 + (item * 7 + week * 3) % 40),
            )
            for item in ends
            for week in range(52)
        ],
        batch_size=5000,
    )
    lines = []
    for n, item in enumerate(ends[::5]):
        header = DemandOrder.objects.create(
            number=f"SO-B{n}", customer="Bench", source_system="ERP"
        )
        lines.append(
            DemandOrderLine(
                order=header,
                line=1,
                item_id=item,
                plant=plant,
                quantity=Decimal(30 + n % 50),
                entered_quantity=Decimal(30 + n % 50),
                entered_uom="EA",
                due_date=monday + timedelta(weeks=1 + n % 20),
            )
        )
    DemandOrderLine.objects.bulk_create(lines)
    return ends


def floor_seconds(plant, run) -> float:
    """Read what the loader reads and write what the writer wrote: the I/O alone.

    The inputs: the loader's own SELECTs, captured and fetched raw. The outputs: the stored plan
    taken out as COPY text beforehand, then deleted and written back with COPY (rolled back).
    """
    from django.db import connection, transaction

    from planning.mrp.loader import load

    captured: list[str] = []

    def capture(execute, sql, params, many, context):
        captured.append(connection.ops.compose_sql(sql, params) if params else sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        load(plant, today=run.started_at.date())
    outputs = {}
    with connection.cursor() as cursor:
        for model, columns in OUTPUT_COLUMNS.items():
            names = ", ".join(
                f'"{model._meta.get_field(c.removesuffix("_id")).column}"' for c in columns
            )
            table = model._meta.db_table
            select = f'SELECT {names} FROM "{table}" WHERE plant_id = {int(plant.pk)}'
            with cursor.cursor.copy(f"COPY ({select}) TO STDOUT") as copy:
                outputs[model] = (names, b"".join(bytes(block) for block in copy))
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in captured:
            cursor.execute(sql)
            cursor.fetchall()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for model, (names, text) in outputs.items():
                table = model._meta.db_table
                cursor.execute(f'DELETE FROM "{table}" WHERE plant_id = %s', [plant.pk])
                with cursor.cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                    copy.write(text)
            raise _Rollback
    except _Rollback:
        pass
    return time.perf_counter() - started


class _Rollback(Exception):
    pass


OUTPUT_COLUMNS: dict = {}


def main() -> int:
    args = arguments()
    with bench_database("mrp") as environment:
        print(f"Seeding {args.items} items over {args.levels} levels ...", flush=True)
        subprocess.run(
            [
                PYTHON,
                "manage.py",
                "seed_demo",
                "--items",
                str(args.items),
                "--levels",
                str(args.levels),
            ],
            cwd=ROOT,
            env=environment,
            check=True,
        )
        django_setup(environment)
        from masterdata.models import Plant
        from planning.models import (
            ForecastLine,
            MrpMessage,
            MrpRecord,
            MrpRun,
            PlannedOrder,
        )
        from planning.runs import mrp_run_full, net_change_drain, net_change_request

        OUTPUT_COLUMNS.update(
            {
                PlannedOrder: (
                    "number", "run_id", "plant_id", "item_id", "kind", "quantity",
                    "release_date", "due_date", "past_due", "supplier_id", "status",
                    "external_number",
                ),
                MrpMessage: (
                    "plant_id", "item_id", "run_id", "kind", "date", "to_date", "quantity",
                    "reason", "po_line_id", "work_order_id", "planned_order_id",
                ),
                MrpRecord: (
                    "plant_id", "item_id", "run_id", "first_bucket", "bucket_count",
                    "today_bucket", "safety_stock", "on_hand", "values", "make", "supplier_id",
                    "lead_time_buckets", "digest", "planned_at",
                ),
            }
        )  # fmt: skip
        plant = Plant.objects.get(code="P100")
        ends = add_demand(plant)
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        durations, runs = [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            run = mrp_run_full(plant=plant, trigger="bench")
            durations.append(time.perf_counter() - started)
            runs.append(run)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        full = statistics.median(durations)
        item = ends[len(ends) // 2]
        line = ForecastLine.objects.filter(version__plan="BENCH", item_id=item).order_by(
            "period_start"
        )[3]
        timings = []
        for attempt in range(5):
            ForecastLine.objects.filter(pk=line.pk).update(quantity=Decimal(100 + attempt * 10))
            started = time.perf_counter()
            net_change_request(plant=plant, item_ids=[item], reason="forecast changed")
            (run,) = net_change_drain(plant)
            timings.append((time.perf_counter() - started) * 1000)
        net = statistics.median(timings)
        run = MrpRun.objects.filter(mode=MrpRun.Mode.NET_CHANGE).latest("id")
        replaced = PlannedOrder.objects.filter(run=run).count()
        # The floor reads and writes what a full run stores: plan the plant whole again first.
        runs.append(mrp_run_full(plant=plant, trigger="bench"))
        floors = [floor_seconds(plant, runs[-1]) for _ in range(args.runs)]
        floor = statistics.median(floors)
        last = runs[-1]
        print(
            f"Full run at P100: {last.items_planned} items x 52 weeks, {last.planned_orders} "
            f"planned orders, {last.exceptions} exceptions; phases {last.timings}"
        )
        ratio = full / floor
        print(
            f"  full run       {full:.2f} s (median of {args.runs}; limit {MAX_FULL_SECONDS:.0f} s)"
        )
        print(f"  floor (I/O)    {floor:.2f} s   ratio {ratio:.2f}x (limit {MAX_RATIO:.1f}x)")
        print(
            f"  peak memory    {peak:.0f} MiB (process before runs: {baseline:.0f} MiB; "
            f"limit {MAX_PEAK_MIB} MiB)"
        )
        print(
            f"  net change     {net:.0f} ms median of 5 "
            f"({', '.join(f'{t:.0f}' for t in timings)} ms; {run.items_planned} items replanned, "
            f"{replaced} of their {run.planned_orders} planned orders replaced; "
            f"limit {MAX_NET_CHANGE_MS:.0f} ms)"
        )

        passed = (
            full <= MAX_FULL_SECONDS
            and ratio <= MAX_RATIO
            and peak <= MAX_PEAK_MIB
            and net <= MAX_NET_CHANGE_MS
        )
        print(verdict(passed))
        return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
