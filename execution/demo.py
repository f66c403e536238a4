"""Demo stock and production on top of the demo masters: deterministic, idempotent, via services.

Opening balances are adjustments in the ledger (reference "opening balance"), so the demo's
balances equal a recomputation from its ledger like any others. Weft is the writer (nobody else
owns inventory, work orders, production or quality in the demo); history names `seed_demo`.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from execution import services
from execution.models import InventoryMismatch, InventoryTransaction, PlantTolerance, WorkOrder
from execution.reconciliation import inventory_snapshot_reconcile
from integrations.history import acting_as
from integrations.ownership import WEFT
from masterdata.models import Bom, BomLine, Item, Plant

STOCKED_ITEMS = 300
WORK_ORDERS_PER_PLANT = 4
OPENING_REFERENCE = "opening balance"
SNAPSHOT_SOURCE = "ERP-EU"
HOLD_ID = "QH-DEMO-0001"


@dataclass
class ExecutionSeedReport:
    movements: int = 0
    work_orders: int = 0
    holds: int = 0
    mismatches: int = 0


def _opening_quantity(item: Item, plant: Plant) -> Decimal:
    rng = random.Random(f"{plant.code}:{item.code}")
    if item.item_type == Item.ItemType.BUY:
        return Decimal(rng.choice([250, 400, 600, 1000, 1500, 2500]))
    return Decimal(rng.choice([80, 120, 160, 240]))


def seed_execution(*, progress: Callable[[str, int], None] | None = None) -> ExecutionSeedReport:
    """Stock in both plants, work orders under way, a quality hold and one open mismatch; rerun adds nothing."""
    progress = progress or (lambda step, n: None)
    report = ExecutionSeedReport()
    plants = list(Plant.objects.order_by("code"))
    if not plants:
        progress("stock and work orders", 0)
        return report
    with acting_as(system_code="seed_demo"), transaction.atomic():
        orders = _work_order_plan(plants)
        stocked = _stocked_items(orders)
        report.movements += _seed_opening_balances(plants, stocked)
        report.work_orders = _seed_work_orders(orders)
        report.movements += _seed_production(orders)
        report.holds = _seed_hold(plants[0], stocked)
        report.mismatches = _seed_mismatch(plants[0], stocked)
    progress("stock and work orders", report.movements + report.work_orders)
    return report


def _work_order_plan(plants: list[Plant]) -> list[tuple[str, Plant, Bom]]:
    plan = []
    for plant in plants:
        boms = (
            Bom.objects.filter(plant=plant, parent__item_type=Item.ItemType.MAKE)
            .select_related("parent__base_uom", "plant")
            .order_by("parent__low_level_code", "parent__code", "revision")
        )
        for n, bom in enumerate(boms[:WORK_ORDERS_PER_PLANT], start=1):
            plan.append((f"WO-{plant.code}-{n:04d}", plant, bom))
    return plan


def _stocked_items(orders) -> list[Item]:
    wanted = list(Item.objects.select_related("base_uom").order_by("code")[:STOCKED_ITEMS])
    codes = {item.code for item in wanted}
    components = Item.objects.select_related("base_uom").filter(
        used_in__bom__in=[bom for _, _, bom in orders]
    )
    for item in components.distinct().order_by("code"):
        if item.code not in codes:
            wanted.append(item)
            codes.add(item.code)
    return wanted


def _seed_opening_balances(plants: list[Plant], items: list[Item]) -> int:
    done = set(
        InventoryTransaction.objects.filter(
            source_system=WEFT, transaction_key__startswith="opening:"
        ).values_list("transaction_key", flat=True)
    )
    posted = 0
    for plant in plants:
        for item in items:
            key = f"opening:{plant.code}:{item.code}"
            if key in done:
                continue
            services.inventory_post(
                kind=InventoryTransaction.Kind.ADJUSTMENT,
                item=item,
                plant=plant,
                quantity=_opening_quantity(item, plant),
                source_system=WEFT,
                transaction_key=key,
                reference=OPENING_REFERENCE,
                reason="Demo go-live: opening stock",
            )
            posted += 1
    return posted


def _seed_work_orders(orders) -> int:
    existing = set(WorkOrder.objects.values_list("number", flat=True))
    created = 0
    for n, (number, plant, bom) in enumerate(orders):
        if number in existing:
            continue
        services.work_order_upsert(
            number=number,
            item=bom.parent.code,
            plant=plant.code,
            quantity=Decimal(40 + 20 * (n % 3)),
            uom=bom.parent.base_uom.code,
            due_date=timezone.localdate() + timedelta(days=5 + 3 * n),
            status=WorkOrder.Status.RELEASED,
            writer=WEFT,
        )
        created += 1
    return created


def _seed_production(orders) -> int:
    """Each demo order: two components issued for ten units, ten units completed."""
    posted = 0
    for number, _, bom in orders:
        lines = BomLine.objects.filter(bom=bom).select_related("component__base_uom")
        for line in lines.order_by("component__code")[:2]:
            posting = services.production_consume(
                transaction_id=f"demo:{number}:issue:{line.component.code}",
                work_order=number,
                item=line.component.code,
                quantity=line.quantity * 10,
                uom=line.uom.code,
                writer=WEFT,
            )
            posted += posting.created
        posting = services.production_complete(
            transaction_id=f"demo:{number}:complete:1",
            work_order=number,
            quantity=Decimal(10),
            uom=bom.parent.base_uom.code,
            writer=WEFT,
        )
        posted += posting.created
    return posted


def _seed_hold(plant: Plant, items: list[Item]) -> int:
    bought = [item for item in items if item.item_type == Item.ItemType.BUY]
    if not bought:
        return 0
    item = bought[0]
    quantity = (_opening_quantity(item, plant) / 10).quantize(Decimal("1"))
    hold = services.quality_hold_place(
        hold_id=HOLD_ID,
        plant=plant.code,
        item=item.code,
        quantity=quantity,
        uom=item.base_uom.code,
        reason="Incoming inspection: coating out of specification",
        writer=WEFT,
    )
    return 1 if hold.status == hold.Status.OPEN else 0


def _seed_mismatch(plant: Plant, items: list[Item]) -> int:
    """The ERP counts seven fewer of one part than Weft had right after go-live."""
    bought = [item for item in items if item.item_type == Item.ItemType.BUY]
    if len(bought) < 2:
        return 0
    item = bought[1]
    PlantTolerance.objects.get_or_create(
        plant=plant,
        defaults={"mismatch_quantity": Decimal("1"), "mismatch_percent": Decimal("0.5")},
    )
    opening = InventoryTransaction.objects.get(
        source_system=WEFT, transaction_key=f"opening:{plant.code}:{item.code}"
    )
    weft_then = opening.quantity
    inventory_snapshot_reconcile(
        plant=plant.code,
        as_of=opening.occurred_at,
        balances=[
            {"item": item.code, "on_hand": weft_then - 7, "uom": item.base_uom.code},
        ],
        source=SNAPSHOT_SOURCE,
        writer=WEFT,
    )
    return InventoryMismatch.objects.filter(
        item=item, plant=plant, status=InventoryMismatch.Status.OPEN
    ).count()
