"""Store a plan: planned orders, records and action messages of the items a run planned.

The plan of those items is replaced whole, in the caller's transaction, with COPY on PostgreSQL;
firmed and released planned orders are the planner's and stay. Pegs are not stored: they are
derived from the stored plan when asked for (planning/pegging.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from django.db import connection
from django.utils import timezone

from integrations.bulk import copy_columns, copy_rows
from planning.models import MrpMessage, MrpRecord, MrpRun, PlannedOrder
from planning.mrp.loader import LoadedPlant
from planning.mrp.result import MATRICES, PlanResult
from planning.mrp.tables import (
    CANCEL,
    EXCEPTION_KINDS,
    EXPEDITE,
    NONE,
    RESCHEDULE_IN,
    RESCHEDULE_OUT,
    SHORTAGE,
)


@dataclass(frozen=True)
class Written:
    items: int
    planned_orders: int
    exceptions: int


def write_plan(run: MrpRun, loaded: LoadedPlant, result: PlanResult, *, full: bool) -> Written:
    """Replace the stored plan of every item the run planned; returns what was written."""
    writer = _Writer(run, loaded, result)
    writer.clear(full=full)
    numbers = writer.planned_orders()
    exceptions = writer.messages(numbers)
    writer.records()
    return Written(len(loaded.item_ids), len(numbers), exceptions)


class _Writer:
    def __init__(self, run: MrpRun, loaded: LoadedPlant, result: PlanResult) -> None:
        self.run, self.loaded, self.result = run, loaded, result
        self.network = result.network
        self.plant_id = loaded.plant.pk
        self.start = loaded.start
        self.item_ids = self.network.item_ids

    def day(self, bucket: int) -> date:
        return self.start + timedelta(weeks=int(bucket))

    def clear(self, *, full: bool) -> None:
        """Delete the items' stored plan in plain SQL: the ORM's delete would load every row."""
        where, params = "plant_id = %s", [self.plant_id]
        if full:
            pass
        elif connection.vendor == "postgresql":
            where, params = f"{where} AND item_id = ANY(%s)", [*params, list(self.item_ids)]
        else:
            where += f" AND item_id IN ({', '.join(['%s'] * len(self.item_ids))})"
            params += list(self.item_ids)
        with connection.cursor() as cursor:
            for model, extra in (
                (MrpMessage, ""),
                (MrpRecord, ""),
                (PlannedOrder, " AND status = 'planned'"),
            ):
                cursor.execute(f'DELETE FROM "{model._meta.db_table}" WHERE {where}{extra}', params)

    def planned_orders(self) -> dict[tuple[int, int], str]:
        """Insert the planned orders, column by column; (item row, due bucket) → number."""
        table, net = self.result.order_table, self.network
        count = table.item.size
        if count == 0:
            return {}
        numbers = [f"PL{self.run.pk}-{seq}" for seq in range(1, count + 1)]
        days = np.array([self.day(b).isoformat() for b in range(net.bucket_count)])
        make = net.is_make[table.item]
        item_ids = np.array(self.item_ids)[table.item]
        suppliers = [
            None if m else net.supplier_ids[i]
            for m, i in zip(make.tolist(), table.item.tolist(), strict=True)
        ]
        copy_columns(
            PlannedOrder,
            {
                "number": numbers,
                "run_id": np.full(count, self.run.pk),
                "plant_id": np.full(count, self.plant_id),
                "item_id": item_ids,
                "kind": np.where(make, PlannedOrder.Kind.MAKE, PlannedOrder.Kind.BUY),
                "quantity": np.round(table.quantity, 6),
                "release_date": days[table.release],
                "due_date": days[table.due],
                "past_due": table.planned_release < net.today,
                "supplier_id": suppliers,
                "status": np.full(count, PlannedOrder.Status.PLANNED),
                "external_number": np.full(count, ""),
            },
        )
        return dict(
            zip(zip(table.item.tolist(), table.due.tolist(), strict=True), numbers, strict=True)
        )

    def _receipt(self, item: int, ordinal: int):
        return self.loaded.receipts[self.network.receipt_id(item, ordinal)]

    def messages(self, numbers) -> int:
        table = self.result.exception_table
        expedited = [
            numbers[(item, bucket)]
            for kind, item, bucket in zip(
                table.kind.tolist(), table.item.tolist(), table.bucket.tolist(), strict=True
            )
            if kind == EXPEDITE
        ]
        ids = dict(
            PlannedOrder.objects.filter(run=self.run, number__in=expedited).values_list(
                "number", "id"
            )
        )
        rows = []
        for kind, item, bucket, to_bucket, quantity, receipt, detail in zip(
            table.kind.tolist(),
            table.item.tolist(),
            table.bucket.tolist(),
            table.to_bucket.tolist(),
            table.quantity.tolist(),
            table.receipt.tolist(),
            table.detail.tolist(),
            strict=True,
        ):
            order = None if receipt == NONE else self._receipt(item, receipt)
            planned = numbers[(item, bucket)] if kind == EXPEDITE else None
            rows.append(
                (
                    self.plant_id,
                    self.item_ids[item],
                    self.run.pk,
                    EXCEPTION_KINDS[kind],
                    self.day(bucket),
                    None if to_bucket == NONE else self.day(to_bucket),
                    round(quantity, 6),
                    self._reason(kind, bucket, to_bucket, quantity, detail, order, planned),
                    order.object_id if order and order.kind == "purchase_order" else None,
                    order.object_id if order and order.kind == "work_order" else None,
                    (order.object_id if order and order.kind == "planned_order" else None)
                    or ids.get(planned),
                )
            )
        return copy_rows(
            MrpMessage,
            (
                "plant_id",
                "item_id",
                "run_id",
                "kind",
                "date",
                "to_date",
                "quantity",
                "reason",
                "po_line_id",
                "work_order_id",
                "planned_order_id",
            ),
            rows,
        )

    def _reason(self, kind, bucket, to_bucket, quantity, detail, order, planned) -> str:
        when = self.day(bucket).isoformat()
        to = None if to_bucket == NONE else self.day(to_bucket).isoformat()
        name = ""
        if order is not None:
            label = {"purchase_order": "PO", "work_order": "Work order"}.get(order.kind, "Order")
            name = f"{label} {order.number}"
        if kind == SHORTAGE:
            return (
                f"Short {quantity:g} from the week of {when}: no planned order can arrive in time."
            )
        if kind == RESCHEDULE_IN:
            return f"{name} due the week of {when} is needed the week of {to}: reschedule in."
        if kind == RESCHEDULE_OUT:
            return f"{name} due the week of {when} is not needed before the week of {to}."
        if kind == CANCEL:
            return f"{name} due the week of {when} is not needed within the horizon: cancel."
        if kind == EXPEDITE:
            number = planned or "Planned order"
            return (
                f"{number} due the week of {when} should have been released the week of "
                f"{self.day(detail).isoformat()}: release it today and expedite."
            )
        return (
            f"{name} is confirmed for the week of {when}, after its requested week "
            f"{self.day(detail).isoformat()} and its need the week of {to}."
        )

    def records(self) -> int:
        """One record per item: the six rows as float64 bytes, bucket after bucket."""
        net, result = self.network, self.result
        stacked = np.stack([getattr(result, name) for name in MATRICES], axis=1)
        values = np.ascontiguousarray(np.round(stacked, 6), dtype="<f8")
        count = len(self.item_ids)
        return (
            copy_columns(
                MrpRecord,
                {
                    "plant_id": np.full(count, self.plant_id),
                    "item_id": np.array(self.item_ids),
                    "run_id": np.full(count, self.run.pk),
                    "first_bucket": np.full(count, self.start.isoformat()),
                    "bucket_count": np.full(count, net.bucket_count),
                    "today_bucket": np.full(count, net.today),
                    "safety_stock": net.safety_stock,
                    "on_hand": net.on_hand,
                    "values": [values[row].tobytes() for row in range(count)],
                    "planned_at": [timezone.now().isoformat()] * count,
                },
            )
            if count
            else 0
        )
