"""Store a plan: planned orders, records and action messages of the items a run planned.

Written in the caller's transaction, with COPY on PostgreSQL; firmed and released planned orders
are the planner's and stay.

A full run replaces every row, then refreshes the tables' statistics: it has just rewritten most
of them, and the next net change's queries are planned on them.

A net change compares its plan with the stored records (the previous plan of the same items):
an item whose planned receipts, lead time, make-or-buy and supplier are unchanged keeps the
planned orders of every week whose planned receipt is unchanged, numbers and all, and only the
weeks that differ are replaced; a record that is unchanged is kept. A changed forecast alters
a few hundred of the thousands of orders below it, and the planner (or the ERP) looking at an
unchanged order keeps its number. Pegs are not stored: they are derived from the stored plan
when asked for (planning/pegging.py).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from django.db import connection
from django.utils import timezone

from integrations.bulk import copy_columns, copy_rows, id_array, ids_in
from planning.models import MrpMessage, MrpRecord, MrpRun, PlannedOrder
from planning.mrp.loader import LoadedPlant
from planning.mrp.result import MATRICES, PlanResult, stored_row
from planning.mrp.tables import (
    CANCEL,
    EXCEPTION_KINDS,
    EXPEDITE,
    NONE,
    RESCHEDULE_IN,
    RESCHEDULE_OUT,
    SHORTAGE,
)

PLANNED_RECEIPTS = MATRICES.index("planned_receipts")
MESSAGE_COLUMNS = (
    "plant_id", "item_id", "run_id", "kind", "date", "to_date", "quantity", "reason",
    "po_line_id", "work_order_id", "planned_order_id",
)  # fmt: skip
# Values are stored with six decimals: closer than half the last one is the same value.
TOLERANCE = 5e-7


@dataclass(frozen=True)
class Written:
    items: int
    planned_orders: int
    exceptions: int


@dataclass(frozen=True)
class Changes:
    """What a net change alters against the stored plan, by item row (and bucket)."""

    records: np.ndarray  # the item's record is rewritten
    whole: np.ndarray  # every planned order of the item is replaced
    weeks: np.ndarray  # items × buckets: the planned order due that week is replaced


def write_plan(run: MrpRun, loaded: LoadedPlant, result: PlanResult, *, full: bool) -> Written:
    """Store the plan of every item the run planned; returns what the plan holds."""
    writer = _Writer(run, loaded, result)
    changes = None if full else writer.changes()
    writer.clear(changes)
    orders = writer.planned_orders(changes)
    exceptions = writer.messages(changes)
    writer.records(changes)
    if full and connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            tables = (
                quote(model._meta.db_table) for model in (PlannedOrder, MrpRecord, MrpMessage)
            )
            cursor.execute(f"ANALYZE {', '.join(tables)}")
    return Written(len(loaded.item_ids), orders, exceptions)


class _Writer:
    def __init__(self, run: MrpRun, loaded: LoadedPlant, result: PlanResult) -> None:
        self.run, self.loaded, self.result = run, loaded, result
        self.network = result.network
        self.plant_id = loaded.plant.pk
        self.start = loaded.start
        self.item_ids = self.network.item_ids
        self.days = [self.start + timedelta(weeks=b) for b in range(self.network.bucket_count)]
        stacked = np.stack([getattr(result, name) for name in MATRICES], axis=1)
        self.values = np.ascontiguousarray(np.round(stacked, 6), dtype="<f8")
        self._digests: dict[int, str] = {}

    def day(self, bucket: int) -> date:
        if 0 <= bucket < len(self.days):
            return self.days[bucket]
        return self.start + timedelta(weeks=int(bucket))

    def digest(self, row: int) -> str:
        """The hash of the item's record values as stored (`MrpRecord.digest`)."""
        found = self._digests.get(row)
        if found is None:
            found = self._digests[row] = hashlib.blake2b(
                self.values[row].tobytes(), digest_size=16
            ).hexdigest()
        return found

    def supplier(self, row: int) -> int | None:
        return None if self.network.is_make[row] else self.network.supplier_ids[row]

    def changes(self) -> Changes:
        """Compare the new plan with the items' stored records: their digests, and the planned
        receipts row read alone (the values are stored uncompressed, so a slice is cheap)."""
        net = self.network
        count, buckets = len(self.item_ids), net.bucket_count
        records, whole = np.ones(count, bool), np.ones(count, bool)
        weeks = np.ones((count, buckets), bool)
        items, params = ids_in("item_id", self.item_ids)
        first, width = stored_row("planned_receipts", buckets)
        with connection.cursor() as cursor:
            cursor.execute(
                'SELECT item_id, digest, substr("values", %s, %s), first_bucket, bucket_count, '
                "today_bucket, safety_stock, on_hand, make, supplier_id, lead_time_buckets "
                f'FROM "{MrpRecord._meta.db_table}" WHERE plant_id = %s AND {items}',
                [first, width, self.plant_id, *params],
            )
            stored = cursor.fetchall()
        for item_id, digest, receipts, *terms in stored:
            first, length, today, safety, on_hand, make, supplier, lead = terms
            row = net.index.get(item_id)
            same_horizon = str(first) == self.start.isoformat() and length == buckets
            if row is None or not same_horizon or today != net.today:
                continue
            same_terms = (
                bool(make) == bool(net.is_make[row])
                and supplier == self.supplier(row)
                and lead == int(net.lead_time[row])
            )
            if same_terms:
                old = np.frombuffer(bytes(receipts), dtype="<f8")
                whole[row] = False
                weeks[row] = np.abs(old - self.values[row, PLANNED_RECEIPTS]) > TOLERANCE
            records[row] = (
                not same_terms
                or digest != self.digest(row)
                or abs(float(safety) - float(net.safety_stock[row])) > TOLERANCE
                or abs(float(on_hand) - float(net.on_hand[row])) > TOLERANCE
            )
        return Changes(records, whole, weeks)

    def clear(self, changes: Changes | None) -> None:
        """Delete what is to be rewritten, in plain SQL (the ORM's delete would load every row):
        everything on a full run; on a net change the items' records and planned orders that
        changed (their advice is compared in `messages`)."""
        plant = "plant_id = %s"
        planned = f"{plant} AND status = %s"
        planned_params = [self.plant_id, PlannedOrder.Status.PLANNED]
        with connection.cursor() as cursor:

            def delete(model, where: str, params: list) -> None:
                cursor.execute(f'DELETE FROM "{model._meta.db_table}" WHERE {where}', params)

            if changes is None:
                delete(MrpMessage, plant, [self.plant_id])
                delete(MrpRecord, plant, [self.plant_id])
                delete(PlannedOrder, planned, planned_params)
                return
            ids = np.array(self.item_ids, dtype=np.int64)
            items, params = ids_in("item_id", ids[changes.records].tolist())
            delete(MrpRecord, f"{plant} AND {items}", [self.plant_id, *params])
            items, params = ids_in("item_id", ids[changes.whole].tolist())
            delete(PlannedOrder, f"{planned} AND {items}", [*planned_params, *params])
            rows, buckets = np.nonzero(changes.weeks & ~changes.whole[:, None])
            if rows.size == 0:
                return
            if connection.vendor == "postgresql":
                weeks, params = self._item_weeks(rows.tolist(), buckets.tolist())
                delete(PlannedOrder, f"{planned} AND {weeks}", [*planned_params, *params])
                return
            due: dict[int, list[date]] = defaultdict(list)
            for row, bucket in zip(rows.tolist(), buckets.tolist(), strict=True):
                due[self.item_ids[row]].append(self.days[bucket])
            for item_id, days in due.items():
                marks = ", ".join(["%s"] * len(days))
                delete(
                    PlannedOrder,
                    f"{planned} AND item_id = %s AND due_date IN ({marks})",
                    [*planned_params, item_id, *days],
                )

    def planned_orders(self, changes: Changes | None) -> int:
        """Insert the new or changed planned orders, column by column; returns how many the
        plan holds."""
        table, net = self.result.order_table, self.network
        count = table.item.size
        if changes is None:
            fresh = np.arange(count)
        else:
            replaced = changes.whole[table.item] | changes.weeks[table.item, table.due]
            fresh = np.flatnonzero(replaced)
        if fresh.size == 0:
            return count
        item, due, release = table.item[fresh], table.due[fresh], table.release[fresh]
        days = np.array([day.isoformat() for day in self.days])
        make = net.is_make[item]
        copy_columns(
            PlannedOrder,
            {
                "number": [f"PL{self.run.pk}-{seq}" for seq in range(1, fresh.size + 1)],
                "run_id": np.full(fresh.size, self.run.pk),
                "plant_id": np.full(fresh.size, self.plant_id),
                "item_id": np.array(self.item_ids, dtype=np.int64)[item],
                "kind": np.where(make, PlannedOrder.Kind.MAKE, PlannedOrder.Kind.BUY),
                "quantity": np.round(table.quantity[fresh], 6),
                "release_date": days[release],
                "due_date": days[due],
                "past_due": table.planned_release[fresh] < net.today,
                "supplier_id": [self.supplier(row) for row in item.tolist()],
                "status": np.full(fresh.size, PlannedOrder.Status.PLANNED),
                "external_number": np.full(fresh.size, ""),
            },
        )
        return count

    def _item_weeks(self, rows, buckets) -> tuple[str, list]:
        """`(item_id, due_date)` among these (item row, bucket) pairs, in PostgreSQL's SQL."""
        return "(item_id, due_date) IN (SELECT * FROM unnest(%s::bigint[], %s::date[]))", [
            id_array(self.item_ids[row] for row in rows),
            "{" + ",".join(self.days[bucket].isoformat() for bucket in buckets) + "}",
        ]

    def _orders_due(self, wanted: set[tuple[int, int]]) -> dict[tuple[int, int], tuple[str, int]]:
        """(number, id) of the stored planned orders due in these (item row, bucket) weeks."""
        if not wanted:
            return {}
        if connection.vendor == "postgresql":
            rows, buckets = zip(*wanted, strict=True)
            weeks, params = self._item_weeks(rows, buckets)
            with connection.cursor() as cursor:
                cursor.execute(
                    f'SELECT item_id, due_date, number, id FROM "{PlannedOrder._meta.db_table}" '
                    f"WHERE plant_id = %s AND status = %s AND {weeks}",
                    [self.plant_id, PlannedOrder.Status.PLANNED, *params],
                )
                found = cursor.fetchall()
        else:
            found = PlannedOrder.objects.filter(
                plant_id=self.plant_id,
                status=PlannedOrder.Status.PLANNED,
                item_id__in_ids={self.item_ids[row] for row, _ in wanted},
                due_date__in={self.days[bucket] for _, bucket in wanted},
            ).values_list("item_id", "due_date", "number", "id")
        index, start = self.network.index, self.start
        return {
            (index[item], (due - start).days // 7): (number, pk)
            for item, due, number, pk in found
            if (index[item], (due - start).days // 7) in wanted
        }

    def _receipt(self, item: int, ordinal: int):
        return self.loaded.receipts[self.network.receipt_id(item, ordinal)]

    def messages(self, changes: Changes | None) -> int:
        """Store the run's advice; returns how much the plan holds."""
        table = self.result.exception_table
        orders = self._orders_due(
            {
                (item, bucket)
                for kind, item, bucket in zip(
                    table.kind.tolist(), table.item.tolist(), table.bucket.tolist(), strict=True
                )
                if kind == EXPEDITE
            }
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
            planned_number, planned_id = (
                orders.get((item, bucket), (None, None)) if kind == EXPEDITE else (None, None)
            )
            rows.append(
                (
                    self.plant_id,
                    self.item_ids[item],
                    self.run.pk,
                    EXCEPTION_KINDS[kind],
                    self.day(bucket),
                    None if to_bucket == NONE else self.day(to_bucket),
                    round(quantity, 6),
                    self._reason(kind, bucket, to_bucket, quantity, detail, order, planned_number),
                    order.object_id if order and order.kind == "purchase_order" else None,
                    order.object_id if order and order.kind == "work_order" else None,
                    (order.object_id if order and order.kind == "planned_order" else None)
                    or planned_id,
                )
            )
        if changes is not None:
            rows = self._changed_messages(rows)
        copy_rows(MrpMessage, MESSAGE_COLUMNS, rows)
        return table.kind.size

    def _changed_messages(self, rows: list[tuple]) -> list[tuple]:
        """Net change: keep the stored advice of each item whose advice is unchanged (most of
        them: a forecast change moves a few weeks of a few items); delete the others' and return
        their new rows."""

        # Per item, how many times each piece of advice is given: (kind, date, to date, quantity,
        # reason, PO line, work order, planned order) -> count.
        new: dict[int, dict[tuple, int]] = defaultdict(dict)
        for row in rows:
            advice, key = new[row[1]], row[3:]
            advice[key] = advice.get(key, 0) + 1
        stored: dict[int, dict[tuple, int]] = defaultdict(dict)
        found = (
            MrpMessage.objects.filter(plant_id=self.plant_id, item_id__in_ids=self.item_ids)
            .order_by()
            .values_list(*MESSAGE_COLUMNS[1:2], *MESSAGE_COLUMNS[3:])
        )
        for item_id, kind, day, to_day, quantity, *rest in found:
            # Stored with six decimals, as the new rows are rounded.
            advice, key = stored[item_id], (kind, day, to_day, float(quantity), *rest)
            advice[key] = advice.get(key, 0) + 1
        changed = [i for i in self.item_ids if new.get(i, {}) != stored.get(i, {})]
        if changed:
            items, params = ids_in("item_id", changed)
            with connection.cursor() as cursor:
                cursor.execute(
                    f'DELETE FROM "{MrpMessage._meta.db_table}" WHERE plant_id = %s AND {items}',
                    [self.plant_id, *params],
                )
        rewrite = set(changed)
        return [row for row in rows if row[1] in rewrite]

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

    def records(self, changes: Changes | None) -> int:
        """One record per item whose record changed: the six rows as float64 bytes, bucket after
        bucket, and the terms its planned orders were made with."""
        net = self.network
        rows = np.arange(len(self.item_ids)) if changes is None else np.flatnonzero(changes.records)
        count = rows.size
        if count == 0:
            return 0
        return copy_columns(
            MrpRecord,
            {
                "plant_id": np.full(count, self.plant_id),
                "item_id": np.array(self.item_ids, dtype=np.int64)[rows],
                "run_id": np.full(count, self.run.pk),
                "first_bucket": np.full(count, self.start.isoformat()),
                "bucket_count": np.full(count, net.bucket_count),
                "today_bucket": np.full(count, net.today),
                "safety_stock": net.safety_stock[rows],
                "on_hand": net.on_hand[rows],
                "values": [self.values[row].tobytes() for row in rows.tolist()],
                "digest": [self.digest(row) for row in rows.tolist()],
                "make": net.is_make[rows],
                "supplier_id": [self.supplier(row) for row in rows.tolist()],
                "lead_time_buckets": net.lead_time[rows],
                "planned_at": [timezone.now().isoformat()] * count,
            },
        )
