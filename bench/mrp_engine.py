"""MRP engine alone: a synthetic 10,000-item, 6-level, 52-week network, planned in memory.

    .venv/bin/python bench/mrp_engine.py [--items 10000] [--buckets 52] [--runs 5] [--seed 7]

No database: the network is generated here as the loader would hand it over (dataclasses).
The figure is plan() from that input to its output (records, planned orders, exceptions),
median of the runs, in item-buckets per CPU second of this process: the engine is single
threaded, so on an idle machine that equals wall clock, and on a shared one it leaves out
the time spent waiting for a core (wall clock and the load average are printed beside it).
Pegging runs when the result's pegs are first read; it is timed and printed separately,
and together with plan(). Exits 1 below the floor of 2,000,000. Peak memory of plan and
pegging is measured with tracemalloc in a separate run, so tracing slows no timed one.

The network: end items at level 0 with weekly forecast and early customer orders; every
lower item has a parent one level up (so its low-level code is exact), make items take 2 to
5 components from the levels below (shared parts), about a third of the intermediate items
are bought, level 5 is raw material. Lot-for-lot, period and fixed order quantities, some
with minimum and multiple; safety stock on some items; open purchase and work orders in the
first weeks, some confirmed later than requested.
"""

import argparse
import os
import random
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from planning.mrp import (
    BomLine,
    Demand,
    Horizon,
    Item,
    LotSizing,
    PlanningInput,
    ScheduledReceipt,
    low_level_codes,
    plan,
)

FLOOR = 2_000_000
LEVEL_SHARES = (0.08, 0.14, 0.18, 0.2, 0.2, 0.2)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--buckets", type=int, default=52)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args()


def network(item_count: int, buckets: int, seed: int) -> PlanningInput:
    """A random but realistic multi-level network, the same for the same seed."""
    rng = random.Random(seed)
    sizes = [int(item_count * share) for share in LEVEL_SHARES]
    sizes[-1] += item_count - sum(sizes)
    levels: list[list[str]] = []
    for level, size in enumerate(sizes):
        levels.append([f"L{level}-{number:05d}" for number in range(size)])
    bought = {
        item_id
        for level, ids in enumerate(levels)
        for item_id in ids
        if level == len(levels) - 1 or (level >= 2 and rng.random() < 0.3)
    }
    components: dict[str, list[str]] = {item_id: [] for ids in levels for item_id in ids}
    for level in range(1, len(levels)):
        makers = [item_id for item_id in levels[level - 1] if item_id not in bought]
        for item_id in levels[level]:
            components[rng.choice(makers)].append(item_id)
    for level, ids in enumerate(levels[:-1]):
        below = [item_id for deeper in levels[level + 1 :] for item_id in deeper]
        next_level = levels[level + 1]
        for item_id in ids:
            if item_id in bought:
                continue
            wanted = rng.randint(2, 5)
            while len(components[item_id]) < wanted:
                pool = next_level if rng.random() < 0.7 else below
                candidate = rng.choice(pool)
                if candidate not in components[item_id]:
                    components[item_id].append(candidate)

    end_items = set(levels[0])
    service_parts = {item_id for ids in levels[2:] for item_id in ids if rng.random() < 0.05}
    draft = []
    for ids in levels:
        for item_id in ids:
            make = item_id not in bought
            demands: list[Demand] = []
            if item_id in end_items:
                weekly = rng.randint(20, 200)
                for bucket in range(buckets):
                    quantity = max(0, round(rng.gauss(weekly, weekly * 0.2)))
                    demands.append(
                        Demand(bucket, quantity, ("forecast", f"{item_id}/W{bucket:02d}"))
                    )
                for number in range(rng.randint(1, 5)):
                    bucket = rng.randint(0, 7)
                    demands.append(
                        Demand(bucket, rng.randint(5, 80), ("order", f"SO-{item_id}-{number}/10"))
                    )
            elif item_id in service_parts:
                for bucket in range(0, buckets, 4):
                    demands.append(
                        Demand(bucket, rng.randint(1, 20), ("forecast", f"{item_id}/W{bucket:02d}"))
                    )
            receipts = []
            for number in range(rng.choice((0, 1, 1, 2))):
                quantity = rng.randint(50, 800)
                if make:
                    due = rng.randint(0, 6)
                    receipts.append(
                        ScheduledReceipt.work_order(
                            f"WO-{item_id}-{number}", quantity, due_bucket=due
                        )
                    )
                else:
                    requested = rng.randint(0, 8)
                    confirmed = (
                        requested + rng.choice((0, 0, 0, 1, 2, -1)) if rng.random() < 0.8 else None
                    )
                    receipts.append(
                        ScheduledReceipt.purchase_order(
                            f"PO-{item_id}-{number}",
                            quantity,
                            requested_bucket=requested,
                            confirmed_bucket=confirmed,
                        )
                    )
            draw = rng.random()
            if draw < 0.45:
                lot_sizing = LotSizing.lot_for_lot()
            elif draw < 0.75:
                lot_sizing = LotSizing.period(rng.randint(2, 4))
            else:
                lot_sizing = LotSizing.fixed(rng.choice((100, 250, 500, 1000)))
            draft.append(
                {
                    "item_id": item_id,
                    "make_or_buy": "make" if make else "buy",
                    "lead_time": rng.randint(1, 3) if make else rng.randint(1, 8),
                    "on_hand": rng.choice((0, rng.randint(0, 2000))),
                    "safety_stock": rng.choice((0, 0, 0, rng.randint(10, 200))),
                    "lot_sizing": lot_sizing,
                    "minimum_order_quantity": rng.choice((0, 0, 0, 0, 50, 200)),
                    "order_multiple": rng.choice((0, 0, 0, 0, 10, 25)),
                    "bom": tuple(
                        BomLine(component, rng.choice((1, 1, 1, 2, 4)), rng.choice((0, 0, 0, 2, 5)))
                        for component in components[item_id]
                    ),
                    "demands": tuple(demands),
                    "scheduled_receipts": tuple(receipts),
                    "supplier_id": None if make else f"SUP-{rng.randint(1, 300):03d}",
                }
            )
    horizon = Horizon(buckets)
    unleveled = PlanningInput(horizon, tuple(Item(low_level_code=0, **fields) for fields in draft))
    codes = low_level_codes(unleveled)
    return PlanningInput(
        horizon, tuple(Item(low_level_code=codes[fields["item_id"]], **fields) for fields in draft)
    )


def main() -> int:
    options = arguments()
    inputs = network(options.items, options.buckets, options.seed)
    item_buckets = options.items * options.buckets
    levels = len({item.low_level_code for item in inputs.items})
    edges = sum(len(item.bom) for item in inputs.items)
    print(
        f"network: {options.items:,} items, {levels} levels, {options.buckets} buckets, {edges:,} BOM lines, "
        f"{sum(len(item.demands) for item in inputs.items):,} demands, "
        f"{sum(len(item.scheduled_receipts) for item in inputs.items):,} open orders"
    )
    warm = plan(inputs)
    assert warm.peg_table.quantity.size
    runs = []
    for _ in range(options.runs):
        # Keep only the last result: holding them all would time the allocator, not the engine.
        result, *seconds = timed_run(inputs)
        runs.append(seconds)
    pegs = result.peg_table
    plan_wall, plan_cpu, peg_wall, peg_cpu = (
        statistics.median(run[at] for run in runs) for at in range(4)
    )

    started = time.perf_counter()
    orders, exceptions = result.planned_orders, result.exceptions
    as_objects = time.perf_counter() - started

    tracemalloc.start()
    traced = plan(inputs)
    assert traced.peg_table.quantity.size
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    kinds = Counter(exception.kind for exception in exceptions)
    print(
        f"plan: {len(orders):,} planned orders, {pegs.quantity.size:,} pegs, exceptions {dict(sorted(kinds.items()))}"
    )
    print(f"load average while timing: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(
        f"plan (records, planned orders, exceptions), median of {options.runs}: "
        f"{plan_cpu * 1000:.0f} ms CPU, {plan_wall * 1000:.0f} ms wall (min {min(run[0] for run in runs) * 1000:.0f})"
    )
    print(
        f"pegging (all items, on first read of the pegs): {peg_cpu * 1000:.0f} ms CPU, {peg_wall * 1000:.0f} ms wall"
    )
    print(
        f"planned orders and exceptions as dataclasses, once: {as_objects * 1000:.0f} ms wall (not in the figure)"
    )
    print(
        f"engine with pegging: {item_buckets / (plan_cpu + peg_cpu):,.0f} item-buckets per CPU second"
    )
    print(f"engine, wall clock: {item_buckets / plan_wall:,.0f} item-buckets/s")
    rate = item_buckets / plan_cpu
    passed = rate >= FLOOR
    print(
        f"engine: {rate:,.0f} item-buckets per CPU second (floor {FLOOR:,}) {'PASS' if passed else 'FAIL'}"
    )
    print(f"engine peak memory, plan and pegging: {peak / 2**20:.1f} MiB (tracemalloc)")
    return 0 if passed else 1


def timed_run(inputs: PlanningInput) -> tuple:
    """One run: the result, then wall and CPU seconds of plan(), then of pegging."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = plan(inputs)
    planned_wall, planned_cpu = time.perf_counter(), time.process_time()
    assert result.peg_table.quantity.size
    return (
        result,
        planned_wall - wall,
        planned_cpu - cpu,
        time.perf_counter() - planned_wall,
        time.process_time() - planned_cpu,
    )


if __name__ == "__main__":
    sys.exit(main())
