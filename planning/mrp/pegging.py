"""Pegging: which supply serves which demand, first in, first out, up to the end demands.

Within an item, supplies (on hand, then scheduled receipts and planned orders by bucket)
serve demands (independent and dependent, by bucket) first in, first out. A dependent
demand is a parent planned order; the stretch of it a supply serves maps, in the same FIFO
order, onto the stretch of the parent order that serves the parent's own demands, and so
on up to independent demand: customer orders and forecast.

The run stores one level of pegs (supply to independent demand or parent order) with where
each sits inside its supply and its demand. End-demand pegs are traced from those on request
rather than stored: a raw-material lot serves thousands of weekly forecasts through its
parents, so storing them for every supply multiplies the rows (12 million for the bench
network, against 0.9 million one-level pegs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from planning.mrp.explosion import expand_ranges, explode
from planning.mrp.lot_sizing import TOLERANCE
from planning.mrp.network import Network
from planning.mrp.tables import (
    NONE,
    ON_HAND,
    PLANNED_ORDER,
    SCHEDULED_RECEIPT,
    OrderTable,
    PegTable,
)

# Overlaps thinner than this are float noise from the interval arithmetic, not pegs.
SLIVER = 1e-6


def overlapping(
    query_start: np.ndarray, query_stop: np.ndarray, start: np.ndarray, stop: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (query, interval) pair that overlaps; the intervals are sorted and disjoint."""
    first = np.searchsorted(stop, query_start + SLIVER, side="right")
    last = np.searchsorted(start, query_stop - SLIVER, side="left")
    count = np.maximum(last - first, 0)
    query = np.repeat(np.arange(query_start.size), count)
    interval = expand_ranges(first, count)
    overlap = np.minimum(query_stop[query], stop[interval]) - np.maximum(
        query_start[query], start[interval]
    )
    return query, interval, overlap


def _tile(
    owner: np.ndarray, quantity: np.ndarray, base: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Lay quantities end to end per owner, each owner's line starting at its base."""
    if quantity.size == 0:
        return quantity.copy(), quantity.copy()
    stop = np.cumsum(quantity)
    first = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    carried = stop[first] - quantity[first]
    stop = stop + np.repeat(base[owner[first]] - carried, np.diff(np.r_[first, owner.size]))
    return stop - quantity, stop


@dataclass(frozen=True, slots=True)
class Matches:
    """Supply-demand pairs with the quantity and where the pair starts inside each."""

    supply: np.ndarray
    demand: np.ndarray
    quantity: np.ndarray
    supply_offset: np.ndarray
    demand_offset: np.ndarray


def match_first_in_first_out(
    supply_owner: np.ndarray,
    supply_quantity: np.ndarray,
    demand_owner: np.ndarray,
    demand_quantity: np.ndarray,
    owner_count: int,
) -> Matches:
    """Match supplies to demands FIFO per owner; both are sorted by owner, then bucket."""
    supplied = np.bincount(supply_owner, weights=supply_quantity, minlength=owner_count)
    demanded = np.bincount(demand_owner, weights=demand_quantity, minlength=owner_count)
    span = np.maximum(supplied, demanded) + 1.0
    base = np.cumsum(span) - span
    supply_start, supply_stop = _tile(supply_owner, supply_quantity, base)
    demand_start, demand_stop = _tile(demand_owner, demand_quantity, base)
    # Supplies are fewer than demands: search for each supply the demands it overlaps.
    supply, demand, overlap = overlapping(supply_start, supply_stop, demand_start, demand_stop)
    begins = np.maximum(demand_start[demand], supply_start[supply])
    keep = overlap > SLIVER
    demand, supply, overlap, begins = demand[keep], supply[keep], overlap[keep], begins[keep]
    return Matches(
        supply=supply,
        demand=demand,
        quantity=overlap,
        supply_offset=begins - supply_start[supply],
        demand_offset=begins - demand_start[demand],
    )


def peg(
    network: Network, orders: OrderTable, receipt_bucket: np.ndarray, items: np.ndarray
) -> PegTable:
    """Peg the items' supplies to their demands, first in, first out by bucket.

    Supplies: on hand first, then open orders at the bucket netting counted them in
    (`receipt_bucket`, aligned with the network's receipts), then planned orders at their
    due bucket. Demands: independent before dependent within a bucket.
    """
    buckets, k = network.bucket_count, items.size
    local = np.full(network.item_count, -1, dtype=np.int64)
    local[items] = np.arange(k)

    stock = items[network.on_hand[items] > TOLERANCE]
    receipt = expand_ranges(network.receipt_start[items], network.receipt_count[items])
    receipt = receipt[receipt_bucket[receipt] < buckets]
    order = expand_ranges(orders.start_of_item[items], orders.count_of_item[items])
    supply_item = np.concatenate((stock, network.receipt_item[receipt], orders.item[order]))
    supply_bucket = np.concatenate(
        (np.full(stock.size, -1), receipt_bucket[receipt], orders.due[order])
    )
    supply_kind = np.concatenate(
        (
            np.full(stock.size, ON_HAND),
            np.full(receipt.size, SCHEDULED_RECEIPT),
            np.full(order.size, PLANNED_ORDER),
        )
    )
    supply_ref = np.concatenate(
        (np.full(stock.size, NONE), network.receipt_ordinal[receipt], orders.due[order])
    )
    supply_quantity = np.concatenate(
        (network.on_hand[stock], network.receipt_quantity[receipt], orders.quantity[order])
    )
    # Each part is already in (item, bucket) order; a stable sort merges them, ties by kind.
    supply = np.argsort(
        (local[supply_item] * (buckets + 1) + supply_bucket + 1) * 3 + supply_kind, kind="stable"
    )

    independent = expand_ranges(network.demand_start[items], network.demand_count[items])
    independent = independent[network.demand_quantity[independent] > 0]
    dependent = explode(
        network, orders.release, orders.quantity, orders.start_of_item, orders.count_of_item, items
    )
    count = independent.size
    demand_owner = local[np.concatenate((network.demand_item[independent], dependent.component))]
    demand_bucket = np.concatenate((network.demand_bucket[independent], dependent.bucket))
    is_dependent = np.r_[np.zeros(count, dtype=bool), np.ones(dependent.order.size, dtype=bool)]
    demand = np.argsort((demand_owner * buckets + demand_bucket) * 2 + is_dependent, kind="stable")
    demand_item = np.concatenate((network.demand_item[independent], orders.item[dependent.order]))
    demand_ref = np.concatenate((network.demand_ordinal[independent], orders.due[dependent.order]))
    edge = np.concatenate((np.full(count, NONE), network.edge_ordinal[dependent.edge]))
    demand_quantity = np.concatenate((network.demand_quantity[independent], dependent.quantity))

    matches = match_first_in_first_out(
        local[supply_item[supply]],
        supply_quantity[supply],
        demand_owner[demand],
        demand_quantity[demand],
        k,
    )
    supply, demand = supply[matches.supply], demand[matches.demand]
    return PegTable(
        supply_item=supply_item[supply],
        supply_kind=supply_kind[supply],
        supply_ref=supply_ref[supply],
        demand_item=demand_item[demand],
        demand_ref=demand_ref[demand],
        edge=edge[demand],
        quantity=matches.quantity,
        supply_offset=matches.supply_offset,
        demand_offset=matches.demand_offset,
    )


def trace_to_end_demand(
    serves: Callable[[int, int, float, float], Iterable[tuple[float, float, int, int, int, float]]],
    factor_of: Callable[[int, int], float],
    pegs: Iterable[tuple[float, float, int, int, int, float]],
) -> dict[tuple[int, int], float]:
    """Sum, per end demand (item, ordinal), what the given pegs serve through their parents.

    A peg is (supply_offset, quantity, demand_item, demand_ref, edge, demand_offset); edge -1
    means demand_ref is the ordinal of an independent demand of demand_item, otherwise the
    due bucket of demand_item's planned order, reached through its BOM line `edge`.
    `serves(item, due, start, stop)` gives the pegs of that planned order overlapping
    [start, stop) of it; `factor_of(item, edge)` its BOM line's quantity per with scrap.
    """
    served: dict[tuple[int, int], float] = {}
    pending = [(peg, 1.0) for peg in pegs]
    while pending:
        (_, quantity, item, ref, edge, demand_offset), scale = pending.pop()
        if quantity * scale <= SLIVER:
            continue
        if edge < 0:
            served[(item, ref)] = served.get((item, ref), 0.0) + quantity * scale
            continue
        factor = factor_of(item, edge)
        start = demand_offset / factor
        stop = start + quantity / factor
        for peg in serves(item, ref, start, stop):
            offset, length = peg[0], peg[1]
            begin, end = max(offset, start), min(offset + length, stop)
            if end - begin <= 0:
                continue
            clipped = (begin, end - begin, peg[2], peg[3], peg[4], peg[5] + (begin - offset))
            pending.append((clipped, scale * factor))
    return served
