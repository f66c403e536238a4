"""The MRP engine: plain data in, records, planned orders, exceptions and pegs out.

Choices, so a planner can predict the plan:

- Records are textbook (Orlicky): scheduled receipts sit where their orders say. Before
  planning new orders, each open order is matched to the bucket it is first needed in;
  netting counts it from there (never later than its own bucket), so an open order that
  comes late is advised in (`reschedule_in`) rather than duplicated by a planned order. Until
  the planner moves it, the record's projected on hand shows the dip that advice removes.
  Early orders get `reschedule_out`, unneeded ones `cancel`, and a purchase order confirmed
  after both its requested bucket and its need gets `late_confirmation`.
- Safety stock is protected: a bucket is short when projected on hand would fall below it.
- A planned order is due in the bucket of need and released lead time earlier. A release
  before today is past due: it is released today (`expedite`), still due in the bucket of
  need, so the record shows the plan the planner has to make happen. Where that plan needs
  the past-due orders to stay above zero, a `shortage` names the first bucket and how much.
- Component requirements come from parent releases (the clamped one when past due) times
  quantity per times (1 + scrap %), using the BOM lines effective in the release bucket.
  Open work orders do not explode: their components are allocated, which the loader passes
  as the component's demand.
- Pegging is first in, first out by bucket at every level, and through a parent planned
  order onto the parent's own pegs in the same order (see pegging.py). It is computed when
  the result's pegs are first read, one level of pegs for all items at once; end-demand
  pegs are traced from those on request.
- Net change replans the given items and everything below them, taking parent releases,
  exceptions and pegs of the untouched items from the previous run; it equals a full run.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from planning.mrp.explosion import dependent_requirements, expand_ranges
from planning.mrp.lot_sizing import TOLERANCE, plan_lots
from planning.mrp.network import Network, compile_network, descendants, previous_rows
from planning.mrp.records import ItemId, PlanningInput
from planning.mrp.rescheduling import exclusive_running_total, need_buckets, receipt_exceptions
from planning.mrp.result import MATRICES, PlanResult
from planning.mrp.tables import EXPEDITE, NONE, SHORTAGE, ExceptionTable, OrderTable

INT = np.int64


class _Orders:
    """The run's planned orders, appended level by level, each item's orders together."""

    def __init__(self, capacity: int, item_count: int) -> None:
        self.item = np.empty(capacity, dtype=INT)
        self.due = np.empty(capacity, dtype=INT)
        self.release = np.empty(capacity, dtype=INT)
        self.planned_release = np.empty(capacity, dtype=INT)
        self.quantity = np.empty(capacity)
        self.size = 0
        self.start_of_item = np.zeros(item_count, dtype=INT)
        self.count_of_item = np.zeros(item_count, dtype=INT)

    def append(
        self,
        item: np.ndarray,
        due: np.ndarray,
        release: np.ndarray,
        planned_release: np.ndarray,
        quantity: np.ndarray,
    ) -> None:
        count = item.size
        at = slice(self.size, self.size + count)
        self.item[at], self.due[at], self.release[at] = item, due, release
        self.planned_release[at], self.quantity[at] = planned_release, quantity
        if count:
            first = np.flatnonzero(np.r_[True, item[1:] != item[:-1]])
            self.start_of_item[item[first]] = self.size + first
            self.count_of_item[item[first]] = np.diff(np.r_[first, count])
        self.size += count

    def table(self) -> OrderTable:
        size = self.size
        return OrderTable(
            item=self.item[:size].copy(),
            due=self.due[:size].copy(),
            release=self.release[:size].copy(),
            planned_release=self.planned_release[:size].copy(),
            quantity=self.quantity[:size].copy(),
            start_of_item=self.start_of_item,
            count_of_item=self.count_of_item,
        )


class _Run:
    """One planning run over the active items, low-level code by low-level code."""

    def __init__(self, network: Network, active: np.ndarray, previous: PlanResult | None) -> None:
        self.network = network
        self.active = active
        n, buckets = network.item_count, network.bucket_count
        self.orders = _Orders(n * buckets, n)
        self.exceptions: list[tuple[np.ndarray, ...]] = []
        # Where netting counted each open order in; bucket_count when it never did.
        self.receipt_bucket = np.full(network.receipt_item.size, buckets, dtype=INT)
        self.local = np.full(n, -1, dtype=INT)
        if previous is None:
            self.matrices = {name: np.zeros((n, buckets)) for name in MATRICES}
        else:
            self._carry_over(previous)

    def _carry_over(self, previous: PlanResult) -> None:
        """Keep what the untouched items had: records, planned orders, exceptions, open orders."""
        before, now = previous.network, self.network
        moved = previous_rows(before, now)
        self.matrices = {}
        for name, matrix in previous.matrices().items():
            self.matrices[name] = matrix.copy() if moved is None else np.empty_like(matrix)
            if moved is not None:
                self.matrices[name][moved] = matrix
        moved = np.arange(now.item_count) if moved is None else moved
        untouched = ~self.active
        orders = previous.order_table
        kept = np.flatnonzero(untouched[moved[orders.item]])
        self.orders.append(
            moved[orders.item[kept]],
            orders.due[kept],
            orders.release[kept],
            orders.planned_release[kept],
            orders.quantity[kept],
        )
        table = previous.exception_table
        rows = untouched[moved[table.item]]
        columns = {name: getattr(table, name)[rows] for name in table.__slots__}
        columns["item"] = moved[columns["item"]]
        self.exceptions.append(tuple(columns[name] for name in table.__slots__))
        items = np.flatnonzero(untouched)
        earlier = np.empty_like(moved)
        earlier[moved] = np.arange(moved.size)
        old = expand_ranges(
            before.receipt_start[earlier[items]], before.receipt_count[earlier[items]]
        )
        new = expand_ranges(now.receipt_start[items], now.receipt_count[items])
        self.receipt_bucket[new] = previous.receipt_bucket[old]

    def plan_level(self, rows: np.ndarray) -> None:
        """Plan the active items of one low-level code; their parents are all planned."""
        net, orders = self.network, self.orders
        buckets, today, k = net.bucket_count, net.today, rows.size
        # A whole level is one block of rows: slices index it without copying.
        block = slice(int(rows[0]), int(rows[-1]) + 1) if rows[-1] - rows[0] + 1 == k else rows
        self.local[rows] = np.arange(k)
        gross = net.independent[block] + dependent_requirements(
            net, self.matrices["planned_releases"], rows
        )
        on_hand, safety_stock = net.on_hand[block], net.safety_stock[block]

        receipt = expand_ranges(net.receipt_start[block], net.receipt_count[block])
        receipt_owner = self.local[net.receipt_item[receipt]]
        receipt_bucket = net.receipt_bucket[receipt]
        receipt_quantity = net.receipt_quantity[receipt]
        need = need_buckets(
            np.cumsum(gross, axis=1),
            receipt_owner,
            on_hand[receipt_owner] + exclusive_running_total(receipt_owner, receipt_quantity),
            safety_stock[receipt_owner],
            today,
        )
        netted_bucket = np.minimum(receipt_bucket, need)
        self.receipt_bucket[receipt] = netted_bucket
        netted = netted_bucket < buckets
        in_horizon = receipt_bucket < buckets
        scheduled = np.bincount(
            receipt_owner[in_horizon] * buckets + receipt_bucket[in_horizon],
            weights=receipt_quantity[in_horizon],
            minlength=k * buckets,
        ).reshape(k, buckets)
        counted = np.bincount(
            receipt_owner[netted] * buckets + netted_bucket[netted],
            weights=receipt_quantity[netted],
            minlength=k * buckets,
        ).reshape(k, buckets)

        projected = on_hand[:, None] + np.cumsum(counted - gross, axis=1)
        planned, net_requirements = plan_lots(
            projected,
            safety_stock,
            net.rule[block],
            net.fixed_quantity[block],
            net.periods[block],
            net.minimum[block],
            net.multiple[block],
            today,
        )
        owner, due = np.nonzero(planned)
        quantity = planned[owner, due]
        planned_release = due - net.lead_time[block][owner]
        release = np.maximum(planned_release, today)
        orders.append(rows[owner], due, release, planned_release, quantity)
        releases = np.bincount(
            owner * buckets + release, weights=quantity, minlength=k * buckets
        ).reshape(k, buckets)

        matrices = self.matrices
        matrices["gross_requirements"][block] = gross
        matrices["scheduled_receipts"][block] = scheduled
        matrices["projected_on_hand"][block] = on_hand[:, None] + np.cumsum(
            scheduled - gross + planned, axis=1
        )
        matrices["net_requirements"][block] = net_requirements
        matrices["planned_receipts"][block] = planned
        matrices["planned_releases"][block] = releases

        self.exceptions.append(
            receipt_exceptions(
                rows[receipt_owner],
                net.receipt_ordinal[receipt],
                receipt_bucket,
                need,
                receipt_quantity,
                net.receipt_is_purchase[receipt],
                net.receipt_requested[receipt],
                net.receipt_confirmed[receipt],
                buckets,
            )
        )
        late = planned_release < today
        if late.any():
            self._past_due(rows, owner, due, quantity, planned_release, late, projected, planned)

    def _past_due(
        self,
        rows: np.ndarray,
        owner: np.ndarray,
        due: np.ndarray,
        quantity: np.ndarray,
        planned_release: np.ndarray,
        late: np.ndarray,
        projected: np.ndarray,
        planned: np.ndarray,
    ) -> None:
        """Expedite each planned order released late; shortage where only those avoid a stockout."""
        today = self.network.today
        count = int(late.sum())
        self.exceptions.append(
            (
                np.full(count, EXPEDITE),
                rows[owner[late]],
                due[late],
                np.full(count, today),
                quantity[late],
                np.full(count, NONE),
                planned_release[late],
            )
        )
        affected, owner_of = np.unique(owner[late], return_inverse=True)
        past_due = np.zeros((affected.size, projected.shape[1]))
        past_due[owner_of, due[late]] = quantity[late]
        deficit = np.cumsum(past_due - planned[affected], axis=1) - projected[affected]
        short = deficit > TOLERANCE
        owners = np.flatnonzero(short.any(axis=1))
        if owners.size:
            self.exceptions.append(
                (
                    np.full(owners.size, SHORTAGE),
                    rows[affected[owners]],
                    short[owners].argmax(axis=1),
                    np.full(owners.size, NONE),
                    deficit[owners].max(axis=1),
                    np.full(owners.size, NONE),
                    np.full(owners.size, NONE),
                )
            )

    def result(self, previous: PlanResult | None) -> PlanResult:
        parts = self.exceptions
        if parts:
            exceptions = ExceptionTable(
                *(np.concatenate(column) for column in zip(*parts, strict=True))
            )
        else:
            exceptions = ExceptionTable(*(np.zeros(0, dtype=INT) for _ in ExceptionTable.__slots__))
        return PlanResult(
            self.network,
            self.matrices,
            self.orders.table(),
            exceptions,
            self.receipt_bucket,
            replanned=self.active,
            previous=previous,
        )


def plan(
    inputs: PlanningInput,
    *,
    only_items: Iterable[ItemId] | None = None,
    previous: PlanResult | None = None,
) -> PlanResult:
    """Plan all items; with only_items and the previous result, replan those and all below them.

    only_items must name every item whose own data changed since `previous`: parameters,
    on hand, demand, open orders, or its BOM lines as a parent. Everything else is taken
    from `previous`, which must have planned the same items over the same horizon.
    """
    network = compile_network(inputs)
    n = network.item_count
    if only_items is None:
        active = np.ones(n, dtype=bool)
        previous = None
    else:
        if previous is None:
            raise ValueError("a net-change run needs the previous result")
        before = previous.network
        if (
            before.index.keys() != network.index.keys()
            or before.bucket_count != network.bucket_count
        ):
            raise ValueError(
                "net change needs the same items and horizon as the previous run; plan in full"
            )
        if before.today != network.today:
            raise ValueError("today has moved since the previous run; plan in full")
        try:
            seeds = np.array([network.index[item_id] for item_id in only_items], dtype=INT)
        except KeyError as unknown:
            raise ValueError(f"unknown item {unknown}") from None
        # Below the changed items in the old structure too: a removed BOM line still had demand.
        moved = previous_rows(before, network)
        moved = np.arange(n) if moved is None else moved
        active = descendants(
            np.concatenate((network.edge_parent, moved[before.edge_parent])),
            np.concatenate((network.edge_component, moved[before.edge_component])),
            seeds,
            n,
        )
    run = _Run(network, active, previous)
    for code in range(network.level_start.size - 1):
        block = network.rows_of_level(code)
        rows = np.arange(block.start, block.stop)[active[block]]
        if rows.size:
            run.plan_level(rows)
    return run.result(previous)
