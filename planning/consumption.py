"""Forecast consumption: which demand MRP plans per item at a plant.

Customer order lines consume the active forecast of their item around their due date: first
the bucket holding the due date, then earlier buckets reaching into the plant's backward
window (nearest first), then later buckets starting within the forward window (nearest
first); windows count calendar days. What the orders do not consume stays as forecast demand, so per bucket the demand
planned is the greater of remaining forecast and orders, and nothing is counted twice.

`consume` is the pure core over plain data; `planned_demand` loads its input with three
queries and is what the MRP loader calls.
"""

import bisect
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from django.db import connection

from planning.models import (
    DemandOrderLine,
    ForecastLine,
    ForecastVersion,
    PlantPlanningSettings,
)
from planning.services.forecasts import period_end

DEMAND_ORDER = "demand_order"
FORECAST = "forecast"
ZERO = Decimal(0)
DEFAULT_BACKWARD_DAYS = PlantPlanningSettings._meta.get_field("consumption_backward_days").default
DEFAULT_FORWARD_DAYS = PlantPlanningSettings._meta.get_field("consumption_forward_days").default


@dataclass(frozen=True)
class PlannedDemand:
    """One independent demand MRP plans: an order line, or what is left of a forecast bucket."""

    item_id: int
    date: date
    quantity: Decimal
    source_kind: Literal["demand_order", "forecast"]
    source_ref: str


def _planned(item_id, day, quantity, kind, ref) -> PlannedDemand:
    # Half a million of these make a 52-week plan for 10,000 items; filling the instance dict
    # directly skips the frozen __setattr__ guard that would triple the cost.
    row = object.__new__(PlannedDemand)
    row.__dict__.update(
        item_id=item_id, date=day, quantity=quantity, source_kind=kind, source_ref=ref
    )
    return row


@dataclass(frozen=True)
class ForecastBucket:
    item_id: int
    period_start: date
    period_end: date
    """The first day after the bucket."""
    quantity: Decimal
    ref: str


@dataclass(frozen=True)
class OrderDemand:
    item_id: int
    due_date: date
    quantity: Decimal
    ref: str


@dataclass(frozen=True)
class Consumption:
    """How much of one forecast bucket one order line consumed (for tests and explanations)."""

    order_ref: str
    forecast_ref: str
    quantity: Decimal


def _consumption_order(
    buckets: list[ForecastBucket], starts: list[date], due: date, backward: int, forward: int
) -> list[int]:
    """The indexes of the buckets an order due on `due` consumes, in the order it consumes them."""
    # Buckets of one item do not overlap, so the last one starting on or before `due` is the
    # one holding it, when it has not ended yet.
    at_or_before = bisect.bisect_right(starts, due)
    chosen: list[int] = []
    first_back = due - timedelta(days=backward)
    index = at_or_before - 1
    if index >= 0 and buckets[index].period_end > due:
        chosen.append(index)
        index -= 1
    while index >= 0 and buckets[index].period_end > first_back:
        chosen.append(index)
        index -= 1
    last_forward = due + timedelta(days=forward)
    index = at_or_before
    while index < len(buckets) and starts[index] <= last_forward:
        chosen.append(index)
        index += 1
    return chosen


def consume_item(
    buckets: list[ForecastBucket],
    orders: list[OrderDemand],
    *,
    backward_days: int,
    forward_days: int,
    trail: list[Consumption] | None = None,
) -> list[Decimal]:
    """What remains of each bucket (same order as `buckets`, sorted by start) after the orders."""
    remaining = [bucket.quantity for bucket in buckets]
    if not orders or not buckets:
        return remaining
    starts = [bucket.period_start for bucket in buckets]
    for order in sorted(orders, key=lambda o: (o.due_date, o.ref)):
        open_quantity = order.quantity
        for index in _consumption_order(
            buckets, starts, order.due_date, backward_days, forward_days
        ):
            if open_quantity <= 0:
                break
            taken = min(open_quantity, remaining[index])
            if taken <= 0:
                continue
            remaining[index] -= taken
            open_quantity -= taken
            if trail is not None:
                trail.append(Consumption(order.ref, buckets[index].ref, taken))
    return remaining


def consume(
    buckets: Iterable[ForecastBucket],
    orders: Iterable[OrderDemand],
    *,
    start: date,
    end: date,
    backward_days: int = DEFAULT_BACKWARD_DAYS,
    forward_days: int = DEFAULT_FORWARD_DAYS,
    trail: list[Consumption] | None = None,
) -> list[PlannedDemand]:
    """Planned demand from `start` to `end`: every order line due by `end` (past due ones on
    `start`) and what the orders left of each forecast bucket that has not ended by `start`."""
    by_item: dict[int, list[ForecastBucket]] = {}
    for bucket in buckets:
        by_item.setdefault(bucket.item_id, []).append(bucket)
    orders_by_item: dict[int, list[OrderDemand]] = {}
    for order in orders:
        orders_by_item.setdefault(order.item_id, []).append(order)
    result: list[PlannedDemand] = []
    append = result.append
    for item_id in sorted(by_item.keys() | orders_by_item.keys()):
        item_orders = orders_by_item.get(item_id, [])
        for order in item_orders:
            if order.due_date <= end:
                day = order.due_date if order.due_date > start else start
                append(_planned(item_id, day, order.quantity, DEMAND_ORDER, order.ref))
        item_buckets = by_item.get(item_id)
        if not item_buckets:
            continue
        item_buckets.sort(key=lambda b: b.period_start)
        remaining = consume_item(
            item_buckets,
            item_orders,
            backward_days=backward_days,
            forward_days=forward_days,
            trail=trail,
        )
        for bucket, left in zip(item_buckets, remaining, strict=True):
            if left > 0 and bucket.period_end > start and bucket.period_start <= end:
                day = bucket.period_start if bucket.period_start > start else start
                append(_planned(item_id, day, left, FORECAST, bucket.ref))
    return result


def consumption_window(plant) -> tuple[int, int]:
    """The plant's backward and forward consumption days, or the defaults when it has none."""
    row = (
        PlantPlanningSettings.objects.filter(plant=plant)
        .values_list("consumption_backward_days", "consumption_forward_days")
        .first()
    )
    return row if row is not None else (DEFAULT_BACKWARD_DAYS, DEFAULT_FORWARD_DAYS)


FORECAST_SQL = """
SELECT fl.item_id, fl.period_start, fl.quantity, v.bucket,
       v.plan || '/' || v.version || '/' || to_char(fl.period_start, 'YYYY-MM-DD')
FROM {line} fl JOIN {version} v ON v.id = fl.version_id
WHERE v.plant_id = %s AND v.status = %s AND fl.period_start BETWEEN %s AND %s
  AND fl.quantity > 0 {item_filter}
"""
ORDER_SQL = """
SELECT dl.item_id, dl.due_date, dl.quantity, o.number || '/' || dl.line
FROM {line} dl JOIN {order} o ON o.id = dl.order_id
WHERE dl.plant_id = %s AND dl.status = %s AND dl.due_date <= %s {item_filter}
"""


def _forecast_buckets(plant_id, item_ids, low: date, high: date) -> list[ForecastBucket]:
    sql = FORECAST_SQL.format(
        line=ForecastLine._meta.db_table,
        version=ForecastVersion._meta.db_table,
        item_filter="AND fl.item_id = ANY(%s)" if item_ids is not None else "",
    )
    params = [plant_id, ForecastVersion.Status.ACTIVE, low, high]
    if item_ids is not None:
        params.append(list(item_ids))
    ends: dict[tuple[str, date], date] = {}
    result = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for item_id, period_start, quantity, bucket, ref in cursor.fetchall():
            key = (bucket, period_start)
            ending = ends.get(key)
            if ending is None:
                ending = ends[key] = period_end(bucket, period_start)
            result.append(ForecastBucket(item_id, period_start, ending, quantity, ref))
    return result


def _order_lines(plant_id, item_ids, high: date) -> list[OrderDemand]:
    sql = ORDER_SQL.format(
        line=DemandOrderLine._meta.db_table,
        order=DemandOrderLine._meta.get_field("order").related_model._meta.db_table,
        item_filter="AND dl.item_id = ANY(%s)" if item_ids is not None else "",
    )
    params = [plant_id, DemandOrderLine.Status.OPEN, high]
    if item_ids is not None:
        params.append(list(item_ids))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [OrderDemand(*row) for row in cursor.fetchall()]


def planned_demand(
    plant, *, item_ids: Collection[int] | None, start: date, end: date
) -> list[PlannedDemand]:
    """Independent demand at `plant` from `start` to `end` after forecast consumption.

    `item_ids` None means every item. Open order lines due before `start` come on `start`; the
    forecast bucket holding `start` counts whole, on `start`. Three queries, whatever the size.
    """
    plant_id = getattr(plant, "pk", plant)
    backward, forward = consumption_window(plant_id)
    # Orders just after `end` may consume buckets inside it, and buckets just outside the
    # horizon may be consumed by orders inside it; both are read, neither is returned.
    longest_bucket = 31
    buckets = _forecast_buckets(
        plant_id,
        item_ids,
        start - timedelta(days=backward + longest_bucket),
        end + timedelta(days=forward),
    )
    orders = _order_lines(plant_id, item_ids, end + timedelta(days=max(backward, longest_bucket)))
    return consume(
        buckets, orders, start=start, end=end, backward_days=backward, forward_days=forward
    )
