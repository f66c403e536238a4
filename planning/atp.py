"""Available to promise per weekly bucket: discrete ATP with look-ahead, from the stored plan.

Supply is what the plan expects to arrive (open orders and planned receipts) plus stock in the
first bucket; committed demand is the open customer orders. Each bucket with supply promises its
supply less the orders due before the next supply arrives; a shortfall is covered by the earlier
buckets (look-ahead), so nothing promised later is taken back. Cumulative ATP sums the buckets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from integrations.errors import NotFoundError
from planning.models import DemandOrderLine, MrpRecord

SCHEDULED, PLANNED = 1, 4


def discrete_atp(
    on_hand: float, supply: Sequence[float], orders: Sequence[float]
) -> tuple[list[float], list[float]]:
    """ATP per bucket and cumulative ATP, with look-ahead; bucket 0 always opens a block."""
    count = len(supply)
    starts = [b for b in range(count) if b == 0 or supply[b] > 0]
    atp = [0.0] * count
    for index, start in enumerate(starts):
        stop = starts[index + 1] if index + 1 < len(starts) else count
        atp[start] = (on_hand if start == 0 else 0.0) + supply[start] - sum(orders[start:stop])
    for index in range(len(starts) - 1, 0, -1):
        bucket = starts[index]
        if atp[bucket] < 0:
            atp[starts[index - 1]] += atp[bucket]
            atp[bucket] = 0.0
    cumulative, total = [], 0.0
    for value in atp:
        total += value
        cumulative.append(total)
    return atp, cumulative


@dataclass(frozen=True)
class AtpBucket:
    start: date
    supply: float
    orders: float
    atp: float
    cumulative_atp: float


def atp_for(*, item, plant) -> list[AtpBucket]:
    """ATP of the item at the plant from its last planned record and today's open orders."""
    record = MrpRecord.objects.filter(item=item, plant=plant).first()
    if record is None:
        raise NotFoundError(
            f"{item.code} has no plan at {plant.code} yet: run MRP first.",
            {"field": "item", "value": item.code},
        )
    starts = record.bucket_starts
    rows = record.rows
    supply = [rows[SCHEDULED][b] + rows[PLANNED][b] for b in range(len(starts))]
    orders = [0.0] * len(starts)
    end = starts[-1] + timedelta(days=7)
    for due, quantity in (
        DemandOrderLine.objects.open()
        .filter(item=item, plant=plant, due_date__lt=end)
        .values_list("due_date", "quantity")
    ):
        bucket = max(0, (due - starts[0]).days // 7)
        orders[bucket] += float(quantity)
    atp, cumulative = discrete_atp(float(record.on_hand), supply, orders)
    return [
        AtpBucket(starts[b], supply[b], orders[b], round(atp[b], 6), round(cumulative[b], 6))
        for b in range(len(starts))
    ]
