"""The planning input compiled to arrays: one row per item, one column per bucket."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planning.mrp.records import Item, ItemId, PlanningInput

LOT_FOR_LOT, FIXED, PERIOD = 0, 1, 2
RULE_CODES = {"lot_for_lot": LOT_FOR_LOT, "fixed": FIXED, "period": PERIOD}
ALWAYS_FROM = np.iinfo(np.int64).min
ALWAYS_TO = np.iinfo(np.int64).max


@dataclass(frozen=True, eq=False)
class Network:
    """Item parameters, demand, open orders and BOM edges as NumPy columns.

    Rows are items ordered by low-level code (input order within a code), so each level is
    one contiguous block: `level_start[code]` .. `level_start[code + 1]`.
    """

    inputs: PlanningInput
    item_ids: list[ItemId]
    index: dict[ItemId, int]
    position: np.ndarray
    level_start: np.ndarray
    bucket_count: int
    today: int
    level: np.ndarray
    lead_time: np.ndarray
    on_hand: np.ndarray
    safety_stock: np.ndarray
    rule: np.ndarray
    fixed_quantity: np.ndarray
    periods: np.ndarray
    minimum: np.ndarray
    multiple: np.ndarray
    is_make: np.ndarray
    supplier_ids: list
    independent: np.ndarray
    demand_item: np.ndarray
    demand_ordinal: np.ndarray
    demand_bucket: np.ndarray
    demand_quantity: np.ndarray
    demand_start: np.ndarray
    demand_count: np.ndarray
    receipt_item: np.ndarray
    receipt_ordinal: np.ndarray
    receipt_bucket: np.ndarray
    receipt_quantity: np.ndarray
    receipt_is_purchase: np.ndarray
    receipt_requested: np.ndarray
    receipt_confirmed: np.ndarray
    receipt_start: np.ndarray
    receipt_count: np.ndarray
    edge_parent: np.ndarray
    edge_component: np.ndarray
    edge_ordinal: np.ndarray
    edge_factor: np.ndarray
    edge_from: np.ndarray
    edge_to: np.ndarray
    edges_of_component_start: np.ndarray
    edges_of_component_count: np.ndarray
    edges_all_apply: bool

    @property
    def item_count(self) -> int:
        return len(self.item_ids)

    def item(self, row: int) -> Item:
        return self.inputs.items[self.position[row]]

    def receipt_id(self, row: int, ordinal: int) -> str:
        return self.item(row).scheduled_receipts[ordinal].receipt_id

    def demand_source(self, row: int, ordinal: int) -> tuple[str, str]:
        return self.item(row).demands[ordinal].source

    def rows_of_level(self, code: int) -> slice:
        return slice(int(self.level_start[code]), int(self.level_start[code + 1]))


def _group_bounds(owner: np.ndarray, item_count: int) -> tuple[np.ndarray, np.ndarray]:
    """Start and length of each item's rows in an array sorted by owner."""
    count = np.bincount(owner, minlength=item_count)
    start = np.zeros(item_count, dtype=np.int64)
    np.cumsum(count[:-1], out=start[1:])
    return start, count


def _owners(sizes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Owner item and ordinal within the item for rows laid out item after item."""
    count = np.array(sizes, dtype=np.int64)
    owner = np.repeat(np.arange(count.size), count)
    start = np.cumsum(count) - count
    return owner, np.arange(owner.size) - start[owner]


def _ints(values: list, missing: int) -> np.ndarray:
    """Integers, with `missing` for None (mostly all None: effectivity, confirmations)."""
    if values.count(None) == len(values):
        return np.full(len(values), missing, dtype=np.int64)
    return np.array([missing if value is None else value for value in values], dtype=np.int64)


def compile_network(inputs: PlanningInput) -> Network:
    """Check the input and lay it out as arrays the engine can plan level by level."""
    horizon = inputs.horizon
    given = inputs.items
    n = len(given)
    buckets = horizon.bucket_count
    today = horizon.today_bucket
    codes = np.array([item.low_level_code for item in given], dtype=np.int64)
    if n and codes.min() < 0:
        raise ValueError("low-level codes start at 0")
    position = np.argsort(codes, kind="stable")
    items = [given[at] for at in position.tolist()]
    item_ids = [item.item_id for item in items]
    index = {item_id: row for row, item_id in enumerate(item_ids)}
    if len(index) != n:
        raise ValueError("item ids must be unique")
    level = codes[position]
    level_start = np.searchsorted(level, np.arange(int(level.max(initial=-1)) + 2))

    lead_time = np.array([item.lead_time for item in items], dtype=np.int64)
    on_hand = np.array([item.on_hand for item in items], dtype=np.float64)
    safety_stock = np.array([item.safety_stock for item in items], dtype=np.float64)
    lot_sizing = [item.lot_sizing for item in items]
    rule = np.array([RULE_CODES[lots.rule] for lots in lot_sizing], dtype=np.int8)
    fixed_quantity = np.array([lots.fixed_quantity for lots in lot_sizing], dtype=np.float64)
    periods = np.array([lots.periods for lots in lot_sizing], dtype=np.int64)
    minimum = np.array([item.minimum_order_quantity for item in items], dtype=np.float64)
    multiple = np.array([item.order_multiple for item in items], dtype=np.float64)
    is_make = np.array([item.make_or_buy == "make" for item in items], dtype=np.bool_)
    if n and (lead_time.min() < 0 or on_hand.min() < 0 or safety_stock.min() < 0):
        raise ValueError("lead times, on hand and safety stock cannot be negative")
    if n and (minimum.min() < 0 or multiple.min() < 0):
        raise ValueError("minimum order quantity and order multiple cannot be negative")

    demands = [item.demands for item in items]
    demand_item, demand_ordinal = _owners([len(of_item) for of_item in demands])
    flat = [demand for of_item in demands for demand in of_item]
    # Past-due demand is added to today's bucket, the usual MRP convention (Orlicky, ch. 9).
    demand_bucket = np.maximum(np.array([demand.bucket for demand in flat], dtype=np.int64), today)
    demand_quantity = np.array([demand.quantity for demand in flat], dtype=np.float64)
    if demand_quantity.size and demand_quantity.min() < 0:
        raise ValueError("demand quantities cannot be negative")
    inside = demand_bucket < buckets
    demand_item, demand_ordinal = demand_item[inside], demand_ordinal[inside]
    demand_bucket, demand_quantity = demand_bucket[inside], demand_quantity[inside]
    independent = (
        np.bincount(
            demand_item * buckets + demand_bucket, weights=demand_quantity, minlength=n * buckets
        )
        .astype(np.float64, copy=False)  # integers when there is no demand at all
        .reshape(n, buckets)
    )
    demand_start, demand_count = _group_bounds(demand_item, n)
    for row in [row for row, item in enumerate(items) if item.outside_requirements is not None]:
        outside = np.asarray(items[row].outside_requirements, dtype=np.float64)
        if outside.shape != (buckets,) or (buckets and outside.min() < 0):
            raise ValueError(
                f"outside requirements of {item_ids[row]!r} must be {buckets} values, none negative"
            )
        independent[row] += outside

    receipts = [item.scheduled_receipts for item in items]
    receipt_item, receipt_ordinal = _owners([len(of_item) for of_item in receipts])
    flat = [receipt for of_item in receipts for receipt in of_item]
    receipt_bucket = np.maximum(
        np.array([receipt.bucket for receipt in flat], dtype=np.int64), today
    )
    receipt_quantity = np.array([receipt.quantity for receipt in flat], dtype=np.float64)
    if receipt_quantity.size and receipt_quantity.min() < 0:
        raise ValueError("scheduled receipt quantities cannot be negative")
    receipt_is_purchase = np.array(
        [receipt.kind == "purchase_order" for receipt in flat], dtype=np.bool_
    )
    receipt_requested = _ints([receipt.requested_bucket for receipt in flat], -1)
    receipt_confirmed = _ints([receipt.confirmed_bucket for receipt in flat], -1)
    order = np.lexsort((receipt_ordinal, receipt_bucket, receipt_item))
    receipt_item, receipt_ordinal = receipt_item[order], receipt_ordinal[order]
    receipt_bucket, receipt_quantity = receipt_bucket[order], receipt_quantity[order]
    receipt_is_purchase = receipt_is_purchase[order]
    receipt_requested, receipt_confirmed = receipt_requested[order], receipt_confirmed[order]
    receipt_start, receipt_count = _group_bounds(receipt_item, n)

    boms = [item.bom for item in items]
    edge_parent, edge_ordinal = _owners([len(bom) for bom in boms])
    flat = [line for bom in boms for line in bom]
    try:
        edge_component = np.array([index[line.component_id] for line in flat], dtype=np.int64)
    except KeyError as missing:
        raise ValueError(f"BOM component {missing} is not among the items") from None
    scrap = np.array([line.scrap_percent for line in flat], dtype=np.float64)
    edge_factor = np.array([line.quantity_per for line in flat], dtype=np.float64) * (
        1.0 + scrap / 100.0
    )
    edge_from = _ints([line.effective_from_bucket for line in flat], ALWAYS_FROM)
    edge_to = _ints([line.effective_to_bucket for line in flat], ALWAYS_TO)
    if edge_factor.size and edge_factor.min() < 0:
        raise ValueError("quantity per and scrap cannot make a negative requirement")
    if edge_factor.size and np.any(level[edge_component] <= level[edge_parent]):
        bad = int(np.flatnonzero(level[edge_component] <= level[edge_parent])[0])
        raise ValueError(
            f"low-level code of {item_ids[edge_component[bad]]!r} must be below its parent "
            f"{item_ids[edge_parent[bad]]!r} (see low_level_codes())"
        )
    order = np.lexsort((edge_ordinal, edge_parent, edge_component))
    edge_parent, edge_component, edge_ordinal = (
        edge_parent[order],
        edge_component[order],
        edge_ordinal[order],
    )
    edge_factor, edge_from, edge_to = edge_factor[order], edge_from[order], edge_to[order]
    edges_start, edges_count = _group_bounds(edge_component, n)

    return Network(
        inputs=inputs,
        item_ids=item_ids,
        index=index,
        position=position,
        level_start=level_start,
        bucket_count=buckets,
        today=today,
        level=level,
        lead_time=lead_time,
        on_hand=on_hand,
        safety_stock=safety_stock,
        rule=rule,
        fixed_quantity=fixed_quantity,
        periods=periods,
        minimum=minimum,
        multiple=multiple,
        is_make=is_make,
        supplier_ids=[item.supplier_id for item in items],
        independent=independent,
        demand_item=demand_item,
        demand_ordinal=demand_ordinal,
        demand_bucket=demand_bucket,
        demand_quantity=demand_quantity,
        demand_start=demand_start,
        demand_count=demand_count,
        receipt_item=receipt_item,
        receipt_ordinal=receipt_ordinal,
        receipt_bucket=receipt_bucket,
        receipt_quantity=receipt_quantity,
        receipt_is_purchase=receipt_is_purchase,
        receipt_requested=receipt_requested,
        receipt_confirmed=receipt_confirmed,
        receipt_start=receipt_start,
        receipt_count=receipt_count,
        edge_parent=edge_parent,
        edge_component=edge_component,
        edge_ordinal=edge_ordinal,
        edge_factor=edge_factor,
        edge_from=edge_from,
        edge_to=edge_to,
        edges_of_component_start=edges_start,
        edges_of_component_count=edges_count,
        edges_all_apply=bool(
            np.all(edge_from == ALWAYS_FROM)
            and np.all(edge_to == ALWAYS_TO)
            and np.all(edge_factor > 0)
        ),
    )


def low_level_codes(inputs: PlanningInput) -> dict[ItemId, int]:
    """Each item's lowest level in any BOM: 0 for end items, one below its deepest parent."""
    parents: dict[ItemId, list[ItemId]] = {item.item_id: [] for item in inputs.items}
    for item in inputs.items:
        for line in item.bom:
            parents.setdefault(line.component_id, []).append(item.item_id)
    codes: dict[ItemId, int] = {}
    visiting: set[ItemId] = set()

    def code(item_id: ItemId) -> int:
        if item_id in codes:
            return codes[item_id]
        if item_id in visiting:
            raise ValueError(f"the BOM has a cycle through {item_id!r}")
        visiting.add(item_id)
        value = max((code(parent) + 1 for parent in parents[item_id]), default=0)
        visiting.discard(item_id)
        codes[item_id] = value
        return value

    for item_id in parents:
        code(item_id)
    return codes


def descendants(
    edge_parent: np.ndarray, edge_component: np.ndarray, seeds: np.ndarray, item_count: int
) -> np.ndarray:
    """A mask of the seed items and everything below them in the BOM."""
    reached = np.zeros(item_count, dtype=bool)
    reached[seeds] = True
    while True:
        below = edge_component[reached[edge_parent]]
        fresh = below[~reached[below]]
        if fresh.size == 0:
            return reached
        reached[fresh] = True


def previous_rows(before: Network, now: Network) -> np.ndarray | None:
    """Where each row of a previous run's network sits now; None when nothing moved."""
    if before.item_ids == now.item_ids:
        return None
    return np.array([now.index[item_id] for item_id in before.item_ids], dtype=np.int64)
