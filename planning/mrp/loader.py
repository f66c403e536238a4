"""Build the engine's input for one plant from the database: a handful of queries, no per-item ones.

A full run loads every item planned at the plant. A net change loads only the items asked for and
everything below them; the parents above that set keep their stored plan, so their planned
releases come in as demand on the components, exactly what a full run would have exploded for
them: one demand per parent order (`planned_order` sources, which pegging follows up the levels)
or, for a net change that only needs the quantities, as each component's outside requirements
per week, from the parents' stored records (their planned releases row; their orders where a
record is not current).

Quantities are the items' base units; dates become weekly buckets from this week's Monday.
Orders and demand dated before the horizon sit in its first bucket (past due, still wanted).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

import numpy as np
from django.db import connection
from django.db.models import BinaryField, Q
from django.db.models.functions import Substr

from execution.models import InventoryBalance, WorkOrder
from integrations.bulk import ids_in
from masterdata.models import (
    Bom,
    BomLine,
    Item,
    ItemPlant,
    Plant,
    SourcingRule,
    Supplier,
    UnitOfMeasure,
)
from masterdata.units import UnitConverter
from planning.consumption import planned_demand
from planning.models import MrpRecord, PlannedOrder, PlantPlanningSettings
from planning.mrp import records
from planning.mrp.result import stored_row
from procurement.models import ConfirmedScheduleLine, PurchaseOrder, PurchaseOrderLine

DEFAULT_HORIZON_WEEKS = 52


@dataclass(frozen=True, slots=True)
class Receipt:
    """What an engine receipt id stands for: a PO line, a work order or a firmed planned order."""

    kind: str
    object_id: int
    number: str
    date: date


@dataclass
class LoadedPlant:
    """The engine input of one plant and what its ids mean in the database."""

    plant: Plant
    inputs: records.PlanningInput
    start: date
    item_ids: list[int]
    receipts: dict[str, Receipt] = field(default_factory=dict)
    suppliers: dict[int, int] = field(default_factory=dict)
    row_counts: dict[str, int] = field(default_factory=dict)

    @property
    def horizon(self) -> records.Horizon:
        return self.inputs.horizon

    def bucket_date(self, bucket: int) -> date:
        return self.start + timedelta(weeks=int(bucket))


def horizon_start(today: date) -> date:
    return today - timedelta(days=today.weekday())


def settings_of(plant: Plant) -> PlantPlanningSettings:
    found = PlantPlanningSettings.objects.filter(plant=plant).first()
    return found or PlantPlanningSettings(plant=plant, horizon_weeks=DEFAULT_HORIZON_WEEKS)


# The masters sort by codes by default (joins to items and plants): the loader asks for no order
# where none matters and for ids where one does.


def affected_items(plant: Plant, changed: Collection[int]) -> set[int]:
    """The changed items and every item below them in the plant's BOMs (any revision).

    One recursive query through the BOM indexes: a net change touches a few hundred items of a
    plant's ten thousand, and reading all its BOM lines would cost more than planning them.
    """
    seeds = set(changed)
    if not seeds:
        return set()
    bom, line = Bom._meta.db_table, BomLine._meta.db_table
    seed_filter, seed_params = ids_in("b.parent_id", seeds)
    sql = f"""
        WITH RECURSIVE below(item_id) AS (
            SELECT bl.component_id FROM "{line}" bl JOIN "{bom}" b ON b.id = bl.bom_id
            WHERE b.plant_id = %s AND {seed_filter}
            UNION
            SELECT bl.component_id FROM "{line}" bl
            JOIN "{bom}" b ON b.id = bl.bom_id
            JOIN below ON b.parent_id = below.item_id
            WHERE b.plant_id = %s
        )
        SELECT item_id FROM below
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [plant.pk, *seed_params, plant.pk])
        return seeds | {item for (item,) in cursor.fetchall()}


ParentDemand = Literal["orders", "totals"]


def load(
    plant: Plant,
    *,
    today: date,
    item_ids: Collection[int] | None = None,
    parent_demand: ParentDemand = "orders",
) -> LoadedPlant:
    """The plant's planning input; with item_ids, only those (and nothing checks what is below).

    With item_ids, the stored planned orders of the parents outside them are demand: one per
    order ("orders", what pegging traces) or summed per component and week ("totals").
    """
    weeks = settings_of(plant).horizon_weeks
    start = horizon_start(today)
    end = start + timedelta(weeks=weeks)
    horizon = records.Horizon.weekly(start, weeks, today=today)
    reader = _Reader(plant, start, end, horizon, item_ids, today, parent_demand)
    return reader.read()


class _Reader:
    def __init__(self, plant, start, end, horizon, item_ids, today, parent_demand):
        self.plant, self.start, self.end, self.horizon = plant, start, end, horizon
        self.today = today
        self.only = None if item_ids is None else set(item_ids)
        self.parent_demand = parent_demand
        self.counts: dict[str, int] = {}
        self.receipts: dict[str, Receipt] = {}
        self._buckets: dict[date, int] = {}
        self._base_units: dict[int, int] = {}
        self._lines: list[tuple] | None = None

    def lines(self) -> list[tuple]:
        """(parent, component, quantity per in the component's base unit, scrap %, effective
        from, to) of the BOM lines in effect from the horizon on into the items planned: every
        line of the plant on a full run; on a net change those into its items, from parents
        inside it (all their lines: the set holds everything below) and from parents above it.
        Read once per load, in (BOM, component) order."""
        if self._lines is None:
            lines = self._scoped(
                BomLine.objects.filter(bom__plant=self.plant).filter(
                    Q(bom__effective_to__isnull=True) | Q(bom__effective_to__gt=self.start)
                ),
                "component_id",
            )
            rows = [
                row
                for row in lines.order_by("bom_id", "component_id").values_list(
                    "bom__parent_id",
                    "component_id",
                    "quantity",
                    "uom_id",
                    "scrap_percent",
                    "bom__effective_from",
                    "bom__effective_to",
                )
                if row[1] in self._base_units
            ]
            self.counts["bom_lines"] = len(rows)
            self._lines = self._in_base_units(rows)
        return self._lines

    def _in_base_units(self, rows: list[tuple]) -> list[tuple]:
        base = self._base_units
        converting = {row[1] for row in rows if row[3] != base[row[1]]}
        if not converting:
            return [
                (p, c, quantity, scrap, starts, ends)
                for p, c, quantity, _, scrap, starts, ends in rows
            ]
        converter = UnitConverter.load(converting)
        codes = dict(Item.objects.filter(pk__in=converting).values_list("pk", "code"))
        units = dict(UnitOfMeasure.objects.values_list("pk", "code"))
        converted = []
        for parent, component, quantity, uom, scrap, starts, ends in rows:
            if uom != base[component]:
                quantity = converter.convert(
                    quantity,
                    item_id=component,
                    item_code=codes[component],
                    from_uom=units[uom],
                    to_uom=units[base[component]],
                )
            converted.append((parent, component, quantity, scrap, starts, ends))
        return converted

    def parents(self) -> set[int]:
        """The parents of the items loaded (a net change's), inside and above them."""
        return {line[0] for line in self.lines()}

    def _scoped(self, queryset, field_name: str = "item_id"):
        if self.only is None:
            return queryset
        return queryset.filter(**{f"{field_name}__in_ids": self.only})

    def bucket(self, day: date) -> int:
        found = self._buckets.get(day)
        if found is None:
            found = self._buckets[day] = 0 if day < self.start else (day - self.start).days // 7
        return found

    def read(self) -> LoadedPlant:
        parameters = self._parameters()
        item_ids = list(parameters)
        known = set(item_ids)
        suppliers = self._suppliers(known)
        on_hand = self._available(known)
        boms = self._boms(known)
        demands = self._demands(known)
        for item_id, demand in self._allocations(known):
            demands[item_id].append(demand)
        outside: dict[int, tuple[float, ...]] = {}
        if self.only is not None and self.parent_demand == "orders":
            for item_id, demand in self._parent_orders(known):
                demands[item_id].append(demand)
        elif self.only is not None:
            outside = self._parent_totals(known)
        receipts = self._open_orders(known)
        items = []
        for item_id in item_ids:
            row = parameters[item_id]
            stock = float(on_hand.get(item_id, 0))
            if stock < 0:
                # Stock booked below zero is owed already: a requirement now, not a negative start.
                demands[item_id].append(_demand((0, -stock, ("stock", "negative on hand"))))
                stock = 0.0
            make = row["item__item_type"] == Item.ItemType.MAKE
            supplier = suppliers.get(item_id)
            lead_days, minimum, multiple = (
                row["lead_time_days"],
                row["min_order_quantity"],
                row["order_multiple"],
            )
            if not make and supplier is not None:
                rule = supplier
                lead_days = rule["lead_time_days"] or lead_days
                minimum = max(minimum, rule["min_order_quantity"])
                multiple = rule["order_multiple"] or multiple
            items.append(
                records.Item(
                    item_id=item_id,
                    low_level_code=row["item__low_level_code"],
                    make_or_buy="make" if make else "buy",
                    lead_time=_lead_time_weeks(lead_days),
                    on_hand=stock,
                    safety_stock=float(row["safety_stock"]),
                    lot_sizing=_lot_sizing(row),
                    minimum_order_quantity=float(minimum),
                    order_multiple=float(multiple),
                    bom=tuple(boms.get(item_id, ())),
                    demands=tuple(demands.get(item_id, ())),
                    scheduled_receipts=tuple(receipts.get(item_id, ())),
                    supplier_id=None if supplier is None else supplier["supplier_id"],
                    outside_requirements=outside.get(item_id),
                )
            )
        return LoadedPlant(
            plant=self.plant,
            inputs=records.PlanningInput(self.horizon, tuple(items)),
            start=self.start,
            item_ids=item_ids,
            receipts=self.receipts,
            suppliers={i: s["supplier_id"] for i, s in suppliers.items()},
            row_counts=self.counts,
        )

    def _parameters(self) -> dict[int, dict]:
        rows = self._scoped(ItemPlant.objects.filter(plant=self.plant)).exclude(
            item__lifecycle=Item.Lifecycle.OBSOLETE
        )
        found = {
            row["item_id"]: row
            for row in rows.values(
                "item_id",
                "item__item_type",
                "item__low_level_code",
                "item__base_uom_id",
                "lead_time_days",
                "safety_stock",
                "lot_size_rule",
                "lot_size_quantity",
                "lot_size_periods",
                "min_order_quantity",
                "order_multiple",
            ).order_by("item__low_level_code", "item_id")
        }
        self.counts["items"] = len(found)
        self._base_units = {item: row["item__base_uom_id"] for item, row in found.items()}
        return found

    def _suppliers(self, known: set[int]) -> dict[int, dict]:
        """The preferred valid sourcing rule per item: approved suppliers first, then priority."""
        rules = (
            self._scoped(SourcingRule.objects.filter(plant=self.plant).valid_on(self.today))
            .exclude(supplier__status=Supplier.Status.BLOCKED)
            .order_by("priority", "id")
            .values(
                "item_id",
                "supplier_id",
                "supplier__status",
                "priority",
                "lead_time_days",
                "min_order_quantity",
                "order_multiple",
            )
        )
        best: dict[int, dict] = {}
        for rule in rules:
            rank = (rule["supplier__status"] != Supplier.Status.APPROVED, rule["priority"])
            current = best.get(rule["item_id"])
            if current is None or rank < current["rank"]:
                best[rule["item_id"]] = {**rule, "rank": rank}
        self.counts["sourcing_rules"] = len(best)
        return {item: rule for item, rule in best.items() if item in known}

    def _available(self, known: set[int]) -> dict[int, Decimal]:
        balances = self._scoped(InventoryBalance.objects.filter(plant=self.plant)).order_by()
        rows = balances.values_list("item_id", "on_hand", "on_hold")
        available = {item: on_hand - on_hold for item, on_hand, on_hold in rows if item in known}
        self.counts["balances"] = len(available)
        return available

    def _boms(self, known: set[int]) -> dict[int, list[records.BomLine]]:
        boms: dict[int, list[records.BomLine]] = defaultdict(list)
        for parent, component, quantity, scrap, starts, ends in self.lines():
            if parent not in known:
                continue
            boms[parent].append(
                records.BomLine(
                    component_id=component,
                    quantity_per=float(quantity),
                    scrap_percent=float(scrap),
                    effective_from_bucket=None if starts is None else self._effective(starts),
                    effective_to_bucket=None if ends is None else self._effective(ends),
                )
            )
        return boms

    def _effective(self, day: date) -> int:
        """A date as a bucket boundary: a revision starting mid-week applies from the next week."""
        if day <= self.start:
            return 0
        return -(-(day - self.start).days // 7)

    def _demands(self, known: set[int]) -> dict[int, list[records.Demand]]:
        demands: dict[int, list] = defaultdict(list)
        rows = planned_demand(self.plant, item_ids=self.only, start=self.start, end=self.end)
        bucket, buckets = self.bucket, self.horizon.bucket_count
        for demand in rows:
            at = bucket(demand.date)
            if demand.item_id in known and at < buckets:
                demands[demand.item_id].append(
                    _demand((at, float(demand.quantity), (demand.source_kind, demand.source_ref)))
                )
        self.counts["demands"] = len(rows)
        return demands

    def _allocations(self, known: set[int]):
        """Components still to be issued to open work orders and firmed make orders."""
        orders = self._open_work_orders(parents_of=known) + self._firmed_make_orders(known)
        yield from self._component_needs(orders, known)

    def _component_needs(self, orders: list[tuple], known: set[int]):
        """(component, demand) for each (parent, quantity, release date, source) order: the BOM
        lines in effect at release, in the component's base unit, with scrap."""
        if not orders:
            return
        by_parent = defaultdict(list)
        for line in self.lines():
            by_parent[line[0]].append(line)
        buckets = self.horizon.bucket_count
        for parent, ordered, release, source in orders:
            at = self.bucket(release)
            if at >= buckets:
                continue
            for _, component, quantity, scrap, starts, ends in by_parent[parent]:
                if (starts and starts > release) or (ends and ends <= release):
                    continue
                need = ordered * quantity * (1 + scrap / 100)
                yield component, _demand((at, float(need), source))

    def _open_work_orders(self, parents_of: set[int]) -> list[tuple]:
        """Open work orders whose components are in the set; their released need stays allocated."""
        orders = WorkOrder.objects.open().filter(plant=self.plant)
        if self.only is not None:
            orders = orders.filter(item_id__in_ids=self.parents())
        found = []
        for parent, quantity, completed, scrapped, due, number, lead in orders.values_list(
            "item_id",
            "quantity",
            "completed_quantity",
            "scrapped_quantity",
            "due_date",
            "number",
            "item__plants__lead_time_days",
        ).filter(item__plants__plant=self.plant):
            remaining = quantity - completed - scrapped
            if remaining > 0:
                release = due - timedelta(days=lead or 0)
                found.append((parent, remaining, release, ("work_order", number)))
        return found

    def _firmed_make_orders(self, known: set[int]) -> list[tuple]:
        # Firmed or released (not planned), matching the partial index's condition.
        firmed = PlannedOrder.objects.filter(
            plant=self.plant, kind=PlannedOrder.Kind.MAKE, work_order__isnull=True
        ).exclude(status=PlannedOrder.Status.PLANNED)
        return [
            (item, quantity, release, ("planned_order", number))
            for item, quantity, release, number in firmed.values_list(
                "item_id", "quantity", "release_date", "number"
            )
        ]

    def _outside_parents(self, known: set[int]) -> set[int]:
        return self.parents() - known

    def _parent_orders(self, known: set[int]):
        """Component needs of the unplanned parents' stored planned orders, one per order."""
        parents = self._outside_parents(known)
        if not parents:
            return
        stored = PlannedOrder.objects.filter(
            plant=self.plant, item_id__in_ids=parents, status=PlannedOrder.Status.PLANNED
        ).values_list("item_id", "quantity", "release_date", "number")
        orders = [(i, q, r, ("planned_order", n)) for i, q, r, n in stored]
        yield from self._component_needs(orders, known)

    def _parent_totals(self, known: set[int]) -> dict[int, tuple[float, ...]]:
        """The same needs as `_parent_orders` as one row per component (its outside requirements):
        each parent's planned releases times the BOM lines in effect each week, as a full run
        explodes them (`explosion.dependent_requirements`)."""
        parents = self._outside_parents(known)
        if not parents:
            return {}
        releases = self._stored_releases(parents)
        edges = [line for line in self.lines() if line[0] in releases]
        if not edges:
            return {}
        buckets = np.arange(self.horizon.bucket_count)
        factor = np.array(
            [float(q) * (1.0 + float(scrap) / 100.0) for _, _, q, scrap, _, _ in edges]
        )
        starts = np.array([0 if line[4] is None else self._effective(line[4]) for line in edges])
        ends = np.array(
            [buckets.size if line[5] is None else self._effective(line[5]) for line in edges]
        )
        needs = np.stack([releases[line[0]] for line in edges]) * factor[:, None]
        needs *= (starts[:, None] <= buckets) & (buckets < ends[:, None])
        components, edge_component = np.unique([line[1] for line in edges], return_inverse=True)
        totals = np.zeros((components.size, buckets.size))
        np.add.at(totals, edge_component, needs)
        # As plain tuples: the engine's input stays hashable and comparable data.
        return dict(zip(components.tolist(), map(tuple, totals.tolist()), strict=True))

    def _stored_releases(self, parents: set[int]) -> dict[int, np.ndarray]:
        """Each parent's planned releases per bucket as its stored plan holds them: its record's
        row where the record is current (this horizon, and none of the item's orders firmed since
        it was planned: a firmed order is a scheduled receipt, no longer a release), else its
        planned orders summed by release week."""
        count = self.horizon.bucket_count
        first, width = stored_row("planned_releases", count)
        stored = MrpRecord.objects.filter(
            plant=self.plant, item_id__in_ids=parents, first_bucket=self.start, bucket_count=count
        ).values_list(
            "item_id", "planned_at", Substr("values", first, width, output_field=BinaryField())
        )
        firmed: dict[int, list] = defaultdict(list)
        # Firmed or released (not planned), matching the partial index's condition.
        for item, at in (
            PlannedOrder.objects.filter(plant=self.plant, item_id__in_ids=parents)
            .exclude(status=PlannedOrder.Status.PLANNED)
            .values_list("item_id", "firmed_at")
        ):
            firmed[item].append(at)
        releases = {
            item: np.frombuffer(bytes(row), dtype="<f8")
            for item, planned_at, row in stored
            if all(at is not None and at < planned_at for at in firmed.get(item, ()))
        }
        self.counts["parent_records"] = len(releases)
        stale = parents - releases.keys()
        if stale:
            orders = PlannedOrder.objects.filter(
                plant=self.plant, item_id__in_ids=stale, status=PlannedOrder.Status.PLANNED
            ).values_list("item_id", "release_date", "quantity")
            for item, release, quantity in orders:
                bucket = self.bucket(release)
                if bucket < count:
                    if item not in releases:
                        releases[item] = np.zeros(count)
                    releases[item][bucket] += float(quantity)
        return releases

    def _open_orders(self, known: set[int]) -> dict[int, list[records.ScheduledReceipt]]:
        receipts: dict[int, list[records.ScheduledReceipt]] = defaultdict(list)
        self._purchase_orders(known, receipts)
        self._work_orders(known, receipts)
        self._firmed_orders(known, receipts)
        return receipts

    def _purchase_orders(self, known, receipts) -> None:
        lines = self._scoped(
            PurchaseOrderLine.objects.filter(
                po__plant=self.plant,
                status__in=PurchaseOrderLine.Status.receivable(),
                po__status__in=[
                    PurchaseOrder.Status.DRAFT,
                    *PurchaseOrder.Status.with_supplier(),
                ],
            )
        ).values_list(
            "id",
            "item_id",
            "po__number",
            "line_number",
            "quantity",
            "base_quantity",
            "confirmed_quantity",
            "confirmed_date",
            "received_quantity",
            "requested_date",
        )
        rows = list(lines)
        split = defaultdict(list)
        if rows:
            schedule = (
                ConfirmedScheduleLine.objects.filter(
                    po_line__po__plant=self.plant, po_line_id__in_ids=[row[0] for row in rows]
                )
                .order_by()
                .values_list("po_line_id", "quantity", "delivery_date")
            )
            for line_id, quantity, day in schedule:
                split[line_id].append((day, quantity))
        count = 0
        for (
            line_id,
            item,
            po,
            number,
            ordered,
            base,
            confirmed,
            confirmed_on,
            received,
            asked,
        ) in rows:
            if item not in known or not ordered:
                continue
            per_unit = base / ordered
            deliveries = sorted(split.get(line_id, ())) or [
                (confirmed_on or asked, confirmed if confirmed is not None else ordered)
            ]
            still_received = received
            for n, (day, quantity) in enumerate(deliveries):
                take = min(still_received, quantity)
                still_received -= take
                remaining = (quantity - take) * per_unit
                if remaining <= 0:
                    continue
                receipt_id = f"POL:{line_id}" if n == 0 else f"POL:{line_id}#{n}"
                self.receipts[receipt_id] = Receipt(
                    "purchase_order", line_id, f"{po}/{number}", day
                )
                confirmed_bucket = None
                if confirmed_on is not None or line_id in split:
                    confirmed_bucket = self.bucket(day)
                receipts[item].append(
                    records.ScheduledReceipt.purchase_order(
                        receipt_id,
                        float(remaining),
                        requested_bucket=self.bucket(asked),
                        confirmed_bucket=confirmed_bucket,
                    )
                )
                count += 1
        self.counts["purchase_receipts"] = count

    def _work_orders(self, known, receipts) -> None:
        orders = self._scoped(WorkOrder.objects.open().filter(plant=self.plant)).values_list(
            "id",
            "item_id",
            "number",
            "quantity",
            "completed_quantity",
            "scrapped_quantity",
            "due_date",
        )
        count = 0
        for order_id, item, number, quantity, completed, scrapped, due in orders:
            remaining = quantity - completed - scrapped
            if item not in known or remaining <= 0:
                continue
            receipt_id = f"WO:{order_id}"
            self.receipts[receipt_id] = Receipt("work_order", order_id, number, due)
            receipts[item].append(
                records.ScheduledReceipt.work_order(
                    receipt_id, float(remaining), due_bucket=self.bucket(due)
                )
            )
            count += 1
        self.counts["work_order_receipts"] = count

    def _firmed_orders(self, known, receipts) -> None:
        """Firmed planned orders not yet a PO line or work order in Weft (released to the ERP)."""
        firmed = self._scoped(
            PlannedOrder.objects.filter(
                plant=self.plant, po_line__isnull=True, work_order__isnull=True
            ).exclude(status=PlannedOrder.Status.PLANNED)
        ).values_list("id", "item_id", "number", "kind", "quantity", "due_date")
        for order_id, item, number, kind, quantity, due in firmed:
            if item not in known:
                continue
            receipt_id = f"PL:{number}"
            self.receipts[receipt_id] = Receipt("planned_order", order_id, number, due)
            bucket = self.bucket(due)
            if kind == PlannedOrder.Kind.BUY:
                receipt = records.ScheduledReceipt.purchase_order(
                    receipt_id, float(quantity), requested_bucket=bucket
                )
            else:
                receipt = records.ScheduledReceipt.work_order(
                    receipt_id, float(quantity), due_bucket=bucket
                )
            receipts[item].append(receipt)


@functools.cache
def _lead_time_weeks(days: int) -> int:
    return records.lead_time_buckets(days, 7)


# A demand from its (bucket, quantity, source) tuple without the named tuple's Python-level
# constructor: a full run makes one per forecast bucket, over a hundred thousand.
_demand = functools.partial(tuple.__new__, records.Demand)


def _lot_sizing(row: dict) -> records.LotSizing:
    rule = row["lot_size_rule"]
    if rule == ItemPlant.LotSizeRule.FIXED and row["lot_size_quantity"]:
        return records.LotSizing.fixed(float(row["lot_size_quantity"]))
    if rule == ItemPlant.LotSizeRule.PERIOD and row["lot_size_periods"]:
        return records.LotSizing.period(int(row["lot_size_periods"]))
    return records.LOT_FOR_LOT
