"""Forecast consumption: which demand MRP plans per item at a plant.

Customer order lines consume the active forecast of their item around their due date: first
the bucket holding the due date, then earlier buckets reaching into the plant's backward
window (nearest first), then later buckets starting within the forward window (nearest
first); windows count calendar days. What the orders do not consume stays as forecast demand,
so per bucket the demand planned is the greater of remaining forecast and orders, and nothing
is counted twice.

`consume` is the pure core over plain data. `planned_demand`, which the MRP loader calls, reads
its input with a handful of queries: the window, the active versions, each version's lines
(one version per plan) and the open order lines.
"""

import bisect
import contextlib
import gc
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from django.db import connection

from integrations.bulk import id_array, ids_in
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


_new = object.__new__


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


# The core works on plain tuples sorted by item: half a million buckets make a 52-week plan for
# 10,000 items, and an object per bucket on the way in would cost more than the consumption.
BucketRow = tuple[int, date, date, Decimal, str]
"""item_id, period_start, period_end (first day after), quantity, ref; sorted by item, start."""
OrderRow = tuple[int, date, Decimal, str]
"""item_id, due_date, quantity, ref; sorted by item, due date, ref."""


def _consumption_order(
    starts: list[date], ends: list[date], due: date, backward: int, forward: int
) -> list[int]:
    """The indexes of the buckets an order due on `due` consumes, in the order it consumes them."""
    # Buckets of one item do not overlap, so the last one starting on or before `due` is the
    # one holding it, when it has not ended yet.
    at_or_before = bisect.bisect_right(starts, due)
    chosen: list[int] = []
    first_back = due - timedelta(days=backward)
    index = at_or_before - 1
    if index >= 0 and ends[index] > due:
        chosen.append(index)
        index -= 1
    while index >= 0 and ends[index] > first_back:
        chosen.append(index)
        index -= 1
    last_forward = due + timedelta(days=forward)
    index = at_or_before
    while index < len(starts) and starts[index] <= last_forward:
        chosen.append(index)
        index += 1
    return chosen


def _consume_item(
    buckets: list[BucketRow],
    orders: list[OrderRow],
    backward: int,
    forward: int,
    trail: list[Consumption] | None,
) -> list[Decimal]:
    """What remains of each of one item's buckets after its orders, earliest order first."""
    remaining = [bucket[3] for bucket in buckets]
    starts = [bucket[1] for bucket in buckets]
    ends = [bucket[2] for bucket in buckets]
    for _, due, quantity, ref in orders:
        open_quantity = quantity
        for index in _consumption_order(starts, ends, due, backward, forward):
            if open_quantity <= 0:
                break
            left = remaining[index]
            if left <= 0:
                continue
            taken = open_quantity if open_quantity < left else left
            remaining[index] = left - taken
            open_quantity -= taken
            if trail is not None:
                trail.append(Consumption(ref, buckets[index][4], taken))
    return remaining


def consume_sorted(
    buckets: list[BucketRow],
    orders: list[OrderRow],
    *,
    start: date,
    end: date,
    backward_days: int,
    forward_days: int,
    trail: list[Consumption] | None = None,
) -> list[PlannedDemand]:
    """The core of `consume`, over tuples already sorted by item (see BucketRow, OrderRow)."""
    result: list[PlannedDemand] = []
    append = result.append
    new = _new

    def planned(item_id, day, quantity, kind, ref) -> None:
        # Filling the instance dict skips the frozen dataclass's per-field __setattr__ guard.
        row = new(PlannedDemand)
        fields = row.__dict__
        fields["item_id"] = item_id
        fields["date"] = day
        fields["quantity"] = quantity
        fields["source_kind"] = kind
        fields["source_ref"] = ref
        append(row)

    b, o = 0, 0
    bucket_count, order_count = len(buckets), len(orders)
    while b < bucket_count or o < order_count:
        item_id = min(
            buckets[b][0] if b < bucket_count else orders[o][0],
            orders[o][0] if o < order_count else buckets[b][0],
        )
        o_end = o
        while o_end < order_count and orders[o_end][0] == item_id:
            o_end += 1
        b_end = b
        while b_end < bucket_count and buckets[b_end][0] == item_id:
            b_end += 1
        item_buckets = buckets[b:b_end]
        if o_end > o:
            item_orders = orders[o:o_end]
            for _, due, quantity, ref in item_orders:
                if due <= end:
                    planned(item_id, due if due > start else start, quantity, DEMAND_ORDER, ref)
            if item_buckets:
                remaining = _consume_item(
                    item_buckets, item_orders, backward_days, forward_days, trail
                )
                item_buckets = [
                    (i, s, e, left, r)
                    for (i, s, e, _, r), left in zip(item_buckets, remaining, strict=True)
                ]
        # Every forecast row passes here: the hot loop, so it builds rows inline.
        for _, period_start, ends_on, quantity, ref in item_buckets:
            if quantity > 0 and ends_on > start and period_start <= end:
                row = new(PlannedDemand)
                fields = row.__dict__
                fields["item_id"] = item_id
                fields["date"] = period_start if period_start > start else start
                fields["quantity"] = quantity
                fields["source_kind"] = FORECAST
                fields["source_ref"] = ref
                append(row)
        b, o = b_end, o_end
    return result


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
    bucket_rows = sorted(
        ((b.item_id, b.period_start, b.period_end, b.quantity, b.ref) for b in buckets),
        key=lambda row: (row[0], row[1]),
    )
    order_rows = sorted(
        ((o.item_id, o.due_date, o.quantity, o.ref) for o in orders),
        key=lambda row: (row[0], row[1], row[3]),
    )
    return consume_sorted(
        bucket_rows,
        order_rows,
        start=start,
        end=end,
        backward_days=backward_days,
        forward_days=forward_days,
        trail=trail,
    )


@contextlib.contextmanager
def _collector_paused():
    """Half a million fresh rows would trigger the cyclic garbage collector dozens of times, for
    more CPU than building them; none of them is part of a cycle, so pause it meanwhile."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def consumption_window(plant) -> tuple[int, int]:
    """The plant's backward and forward consumption days, or the defaults when it has none."""
    row = (
        PlantPlanningSettings.objects.filter(plant=plant)
        .values_list("consumption_backward_days", "consumption_forward_days")
        .first()
    )
    return row if row is not None else (DEFAULT_BACKWARD_DAYS, DEFAULT_FORWARD_DAYS)


FORECAST_SQL = """
SELECT item_id, period_start, quantity FROM {line}
WHERE version_id = %s AND period_start BETWEEN %s AND %s AND quantity > 0 {item_filter}
"""
# A few hundred items of a version of thousands (a net change's): one probe of the (version,
# item, period) index per item. OFFSET 0 keeps the subquery from being flattened into a join,
# for which PostgreSQL, misjudging how many of the version's lines the items hold, reads them all.
FORECAST_ITEMS_SQL = """
SELECT f.item_id, f.period_start, f.quantity
FROM unnest(%s::bigint[]) AS wanted(item_id) CROSS JOIN LATERAL (
    SELECT item_id, period_start, quantity FROM {line}
    WHERE version_id = %s AND item_id = wanted.item_id AND period_start BETWEEN %s AND %s
      AND quantity > 0
    OFFSET 0
) f
"""
ORDER_SQL = """
SELECT dl.item_id, dl.due_date, dl.quantity, o.number || '/' || dl.line AS ref
FROM {line} dl JOIN {order} o ON o.id = dl.order_id
WHERE dl.plant_id = %s AND dl.status = %s AND dl.due_date <= %s {item_filter}
ORDER BY dl.item_id, dl.due_date, ref
"""


def _item_filter(column: str, item_ids) -> tuple[str, list]:
    """`AND column IN the items`, or nothing when every item is wanted."""
    if item_ids is None:
        return "", []
    sql, params = ids_in(column, item_ids)
    return f"AND {sql}", params


def _forecast_rows(plant_id, item_ids, low: date, high: date) -> list[BucketRow]:
    """The active versions' lines at the plant, sorted by item and start: one query per version
    (a plant has one per plan), sorted here, where rows that come nearly in order cost little."""
    versions = ForecastVersion.objects.filter(
        plant_id=plant_id, status=ForecastVersion.Status.ACTIVE
    ).values_list("pk", "plan", "version", "bucket")
    line = ForecastLine._meta.db_table
    # The parameters around (version, low, high): the items before them or after them.
    if item_ids is not None and connection.vendor == "postgresql":
        sql, before, after = FORECAST_ITEMS_SQL.format(line=line), [id_array(item_ids)], []
    else:
        item_filter, after = _item_filter("item_id", item_ids)
        sql, before = FORECAST_SQL.format(line=line, item_filter=item_filter), []
    result: list[BucketRow] = []
    append = result.append
    for version_id, plan, number, bucket in versions:
        params = [*before, version_id, low, high, *after]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        # Every item shares the version's periods: one end date and one ref string per period.
        periods: dict[date, tuple[date, str]] = {}
        for item_id, period_start, quantity in rows:
            period = periods.get(period_start)
            if period is None:
                period = periods[period_start] = (
                    period_end(bucket, period_start),
                    f"{plan}/{number}/{period_start.isoformat()}",
                )
            append((item_id, period_start, period[0], quantity, period[1]))
    result.sort()  # tuples: by item, then start (ties only between versions of two plans)
    return result


def _order_rows(plant_id, item_ids, high: date) -> list[OrderRow]:
    item_filter, item_params = _item_filter("dl.item_id", item_ids)
    sql = ORDER_SQL.format(
        line=DemandOrderLine._meta.db_table,
        order=DemandOrderLine._meta.get_field("order").related_model._meta.db_table,
        item_filter=item_filter,
    )
    params = [plant_id, DemandOrderLine.Status.OPEN, high, *item_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def planned_demand(
    plant, *, item_ids: Collection[int] | None, start: date, end: date
) -> list[PlannedDemand]:
    """Independent demand at `plant` from `start` to `end` after forecast consumption.

    `item_ids` None means every item. Open order lines due before `start` come on `start`; the
    forecast bucket holding `start` counts whole, on `start`. A handful of
    queries (four with one plan), whatever the size.
    """
    plant_id = getattr(plant, "pk", plant)
    backward, forward = consumption_window(plant_id)
    # Orders just after `end` may consume buckets inside it, and buckets just outside the
    # horizon may be consumed by orders inside it; both are read, neither is returned.
    longest_bucket = 31
    with _collector_paused():
        buckets = _forecast_rows(
            plant_id,
            item_ids,
            start - timedelta(days=backward + longest_bucket),
            end + timedelta(days=forward),
        )
        orders = _order_rows(
            plant_id, item_ids, end + timedelta(days=max(backward, longest_bucket))
        )
        return consume_sorted(
            buckets, orders, start=start, end=end, backward_days=backward, forward_days=forward
        )
