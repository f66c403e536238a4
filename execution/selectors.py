"""Reads that the API and the console share."""

from django.db.models import QuerySet

from execution.models import (
    InventoryBalance,
    InventoryMismatch,
    InventoryTransaction,
    QualityHold,
    WorkOrder,
)
from masterdata.models import Item, Plant


def balances() -> QuerySet[InventoryBalance]:
    return InventoryBalance.objects.select_related("item__base_uom", "plant")


def movements() -> QuerySet[InventoryTransaction]:
    return InventoryTransaction.objects.select_related("item__base_uom", "plant", "work_order")


def work_orders() -> QuerySet[WorkOrder]:
    return WorkOrder.objects.select_related("item__base_uom", "plant")


def mismatches() -> QuerySet[InventoryMismatch]:
    return InventoryMismatch.objects.select_related("item", "plant")


def item_plant_overview(item: Item, plant: Plant, *, recent: int = 25) -> dict:
    """Everything the console shows for one item at one plant."""
    return {
        "balance": balances().filter(item=item, plant=plant).first(),
        "movements": list(movements().filter(item=item, plant=plant)[:recent]),
        "holds": list(
            QualityHold.objects.filter(
                item=item, plant=plant, status=QualityHold.Status.OPEN
            ).order_by("placed_at")
        ),
        "work_orders": list(work_orders().open().filter(item=item, plant=plant)),
        "mismatches": list(
            mismatches().filter(item=item, plant=plant, status=InventoryMismatch.Status.OPEN)
        ),
    }
