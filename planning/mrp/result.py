"""The outcome of an MRP run: NumPy columns, with dataclass views for whoever wants objects."""

from __future__ import annotations

from functools import cached_property

import numpy as np

from planning.mrp.network import Network, previous_rows
from planning.mrp.pegging import peg, trace_to_end_demand
from planning.mrp.records import (
    DirectPeg,
    ItemId,
    ItemRecord,
    MrpException,
    Peg,
    PlannedOrder,
    SupplyKind,
)
from planning.mrp.tables import (
    CANCEL,
    EXCEPTION_KINDS,
    EXPEDITE,
    NONE,
    ON_HAND,
    PLANNED_ORDER,
    RESCHEDULE_IN,
    RESCHEDULE_OUT,
    SCHEDULED_RECEIPT,
    SHORTAGE,
    SUPPLY_KINDS,
    ExceptionTable,
    OrderTable,
    PegTable,
)

MATRICES = (
    "gross_requirements",
    "scheduled_receipts",
    "projected_on_hand",
    "net_requirements",
    "planned_receipts",
    "planned_releases",
)


def stored_row(name: str, bucket_count: int) -> tuple[int, int]:
    """Where one matrix's row sits in a stored record's values (float64, the rows in MATRICES
    order): its 1-based first byte and its length, as SQL's substr takes them."""
    width = 8 * bucket_count
    return MATRICES.index(name) * width + 1, width


class PlanResult:
    """Records as item × bucket matrices, planned orders, exceptions and pegs of one run."""

    def __init__(
        self,
        network: Network,
        matrices: dict[str, np.ndarray],
        orders: OrderTable,
        exceptions: ExceptionTable,
        receipt_bucket: np.ndarray,
        replanned: np.ndarray,
        previous: PlanResult | None = None,
    ) -> None:
        self.network = network
        self.gross_requirements = matrices["gross_requirements"]
        self.scheduled_receipts = matrices["scheduled_receipts"]
        self.projected_on_hand = matrices["projected_on_hand"]
        self.net_requirements = matrices["net_requirements"]
        self.planned_receipts = matrices["planned_receipts"]
        self.planned_releases = matrices["planned_releases"]
        self.order_table = orders
        self.exception_table = exceptions
        self.receipt_bucket = receipt_bucket
        self.replanned = replanned
        # Only pegs already computed are worth reusing; holding more would chain runs in memory.
        self._previous = (
            previous if previous is not None and "peg_table" in previous.__dict__ else None
        )

    @cached_property
    def peg_table(self) -> PegTable:
        """One level of pegs for every item, computed on first use."""
        previous, self._previous = self._previous, None
        if previous is None:
            return peg(
                self.network,
                self.order_table,
                self.receipt_bucket,
                np.arange(self.network.item_count),
            )
        # The previous run already pegged the items this one left alone.
        kept = previous.peg_table
        moved = previous_rows(previous.network, self.network)
        columns = {name: getattr(kept, name) for name in PegTable.__slots__}
        if moved is not None:
            columns["supply_item"] = moved[columns["supply_item"]]
            columns["demand_item"] = moved[columns["demand_item"]]
        rows = ~self.replanned[columns["supply_item"]]
        fresh = peg(
            self.network, self.order_table, self.receipt_bucket, np.flatnonzero(self.replanned)
        )
        return PegTable(
            *(
                np.concatenate((columns[name][rows], getattr(fresh, name)))
                for name in PegTable.__slots__
            )
        )

    @property
    def item_ids(self) -> list[ItemId]:
        return self.network.item_ids

    @property
    def today_bucket(self) -> int:
        return self.network.today

    def matrices(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in MATRICES}

    def record(self, item_id: ItemId) -> ItemRecord:
        """The item's MRP record (read-only views into the run's matrices)."""
        row = self.network.index[item_id]
        rows = {name: matrix[row] for name, matrix in self.matrices().items()}
        for view in rows.values():
            view.flags.writeable = False
        return ItemRecord(item_id=item_id, **rows)

    @cached_property
    def planned_orders(self) -> list[PlannedOrder]:
        """All planned orders, by item (low-level code, then input order), then due bucket."""
        table = self.order_table
        order = np.lexsort((table.due, table.item))
        ids, makes, suppliers = (
            self.network.item_ids,
            self.network.is_make,
            self.network.supplier_ids,
        )
        today = self.network.today
        return [
            PlannedOrder(
                item_id=ids[item],
                kind="make" if makes[item] else "buy",
                quantity=quantity,
                release_bucket=release,
                due_bucket=due,
                supplier_id=None if makes[item] else suppliers[item],
                past_due=planned_release < today,
            )
            for item, quantity, release, due, planned_release in zip(
                table.item[order].tolist(),
                table.quantity[order].tolist(),
                table.release[order].tolist(),
                table.due[order].tolist(),
                table.planned_release[order].tolist(),
                strict=True,
            )
        ]

    def planned_orders_of(self, item_id: ItemId) -> list[PlannedOrder]:
        return [order for order in self.planned_orders if order.item_id == item_id]

    @cached_property
    def exceptions(self) -> list[MrpException]:
        """All exceptions, by item (low-level code, then input order), then kind and bucket."""
        table = self.exception_table
        order = np.lexsort((table.receipt, table.bucket, table.kind, table.item))
        return [
            self._exception(*row)
            for row in zip(
                table.kind[order].tolist(),
                table.item[order].tolist(),
                table.bucket[order].tolist(),
                table.to_bucket[order].tolist(),
                table.quantity[order].tolist(),
                table.receipt[order].tolist(),
                table.detail[order].tolist(),
                strict=True,
            )
        ]

    def exceptions_of(self, item_id: ItemId) -> list[MrpException]:
        return [exception for exception in self.exceptions if exception.item_id == item_id]

    def _exception(
        self,
        kind: int,
        item: int,
        bucket: int,
        to_bucket: int,
        quantity: float,
        receipt: int,
        detail: int,
    ) -> MrpException:
        receipt_id = None if receipt == NONE else self.network.receipt_id(item, receipt)
        if kind == SHORTAGE:
            reason = f"short {quantity:g} from bucket {bucket}: no planned order can arrive in time"
        elif kind == RESCHEDULE_IN:
            reason = f"{receipt_id} due in bucket {bucket} is needed in bucket {to_bucket}"
        elif kind == RESCHEDULE_OUT:
            reason = f"{receipt_id} due in bucket {bucket} is not needed before bucket {to_bucket}"
        elif kind == CANCEL:
            reason = f"{receipt_id} due in bucket {bucket} is not needed within the horizon"
        elif kind == EXPEDITE:
            reason = (
                f"planned order due in bucket {bucket} should have been released in bucket "
                f"{detail}; release it today (bucket {to_bucket}) and expedite"
            )
        else:
            reason = (
                f"{receipt_id} confirmed for bucket {bucket}, after its requested bucket "
                f"{detail} and its need in bucket {to_bucket}"
            )
        return MrpException(
            kind=EXCEPTION_KINDS[kind],
            item_id=self.network.item_ids[item],
            bucket=bucket,
            quantity=quantity,
            reason=reason,
            to_bucket=None if to_bucket == NONE else to_bucket,
            receipt_id=receipt_id,
        )

    def _supply_id(self, item: int, kind: int, ref: int) -> str | int | None:
        if kind == ON_HAND:
            return None
        if kind == SCHEDULED_RECEIPT:
            return self.network.receipt_id(item, ref)
        return ref

    def _supply_rows(
        self, item_id: ItemId, supply_kind: str | None, supply_id: str | int | None
    ) -> np.ndarray:
        table, item = self.peg_table, self.network.index[item_id]
        mask = table.supply_item == item
        if supply_kind is not None:
            kind = SUPPLY_KINDS.index(supply_kind)
            mask &= table.supply_kind == kind
            if kind == PLANNED_ORDER:
                mask &= table.supply_ref == supply_id
            elif kind == SCHEDULED_RECEIPT:
                ordinals = [
                    ordinal
                    for ordinal, receipt in enumerate(self.network.item(item).scheduled_receipts)
                    if receipt.receipt_id == supply_id
                ]
                mask &= np.isin(table.supply_ref, ordinals)
        return np.flatnonzero(mask)

    @cached_property
    def _planned_order_pegs(self) -> tuple[np.ndarray, np.ndarray]:
        """Rows of planned-order pegs sorted by (item, due, offset), and their sort keys."""
        table = self.peg_table
        rows = np.flatnonzero(table.supply_kind == PLANNED_ORDER)
        keys = table.supply_item[rows] * self.network.bucket_count + table.supply_ref[rows]
        order = np.lexsort((table.supply_offset[rows], keys))
        return rows[order], keys[order]

    def _serves(self, item: int, due: int, start: float, stop: float) -> list[tuple]:
        rows, keys = self._planned_order_pegs
        key = item * self.network.bucket_count + due
        found = rows[np.searchsorted(keys, key, "left") : np.searchsorted(keys, key, "right")]
        table = self.peg_table
        offset, quantity = table.supply_offset[found], table.quantity[found]
        found = found[(offset < stop) & (offset + quantity > start)]
        return list(self._peg_rows(found))

    def _peg_rows(self, rows: np.ndarray):
        table = self.peg_table
        return zip(
            table.supply_offset[rows].tolist(),
            table.quantity[rows].tolist(),
            table.demand_item[rows].tolist(),
            table.demand_ref[rows].tolist(),
            table.edge[rows].tolist(),
            table.demand_offset[rows].tolist(),
            strict=True,
        )

    def _factor(self, item: int, edge: int) -> float:
        return self.network.item(item).bom[edge].gross_quantity_per

    def pegs(
        self,
        item_id: ItemId,
        supply_kind: SupplyKind | None = None,
        supply_id: str | int | None = None,
    ) -> list[Peg]:
        """End-demand pegs of an item's supplies (or one supply), traced FIFO through parents.

        supply_id is the receipt id of a scheduled receipt, or the due bucket of a planned order.
        """
        rows = self._supply_rows(item_id, supply_kind, supply_id)
        table, ids = self.peg_table, self.network.item_ids
        pegs = []
        for item, kind, ref in sorted(
            set(
                zip(
                    table.supply_item[rows].tolist(),
                    table.supply_kind[rows].tolist(),
                    table.supply_ref[rows].tolist(),
                    strict=True,
                )
            )
        ):
            of_supply = rows[(table.supply_kind[rows] == kind) & (table.supply_ref[rows] == ref)]
            served = trace_to_end_demand(self._serves, self._factor, self._peg_rows(of_supply))
            for (end_item, ordinal), quantity in sorted(served.items()):
                pegs.append(
                    Peg(
                        item_id=ids[item],
                        supply_kind=SUPPLY_KINDS[kind],
                        supply_id=self._supply_id(item, kind, ref),
                        demand_item_id=ids[end_item],
                        demand_source=self.network.demand_source(end_item, ordinal),
                        quantity=quantity,
                    )
                )
        return pegs

    def direct_pegs(self, item_id: ItemId | None = None) -> list[DirectPeg]:
        """One-level pegs: each supply to an independent demand or a parent planned order."""
        table = self.peg_table
        rows = np.arange(table.quantity.size)
        if item_id is not None:
            rows = np.flatnonzero(table.supply_item == self.network.index[item_id])
        ids = self.network.item_ids
        pegs = []
        for item, kind, ref, demand_item, demand_ref, edge, quantity in zip(
            table.supply_item[rows].tolist(),
            table.supply_kind[rows].tolist(),
            table.supply_ref[rows].tolist(),
            table.demand_item[rows].tolist(),
            table.demand_ref[rows].tolist(),
            table.edge[rows].tolist(),
            table.quantity[rows].tolist(),
            strict=True,
        ):
            supply = {"item_id": ids[item], "supply_kind": SUPPLY_KINDS[kind], "quantity": quantity}
            supply["supply_id"] = self._supply_id(item, kind, ref)
            if edge == NONE:
                pegs.append(
                    DirectPeg(
                        **supply, demand_source=self.network.demand_source(demand_item, demand_ref)
                    )
                )
            else:
                pegs.append(
                    DirectPeg(
                        **supply, parent_item_id=ids[demand_item], parent_due_bucket=demand_ref
                    )
                )
        return pegs
