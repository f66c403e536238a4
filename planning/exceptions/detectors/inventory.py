"""Inventory mismatches: another system's count disagrees with Weft beyond the plant's tolerance.

The condition is per item, plant and counting system, so a mismatch that closes and later
comes back reopens the same exception.
"""

from django.db.models import Q

from execution.models import InventoryMismatch
from planning.exceptions.registry import Detector, register
from planning.exceptions.services import Condition
from planning.models import PlanningException

Severity = PlanningException.Severity
OPEN = InventoryMismatch.Status.OPEN


@register
class InventoryMismatchDetector(Detector):
    kind = PlanningException.Kind.INVENTORY_MISMATCH
    model = InventoryMismatch
    event_types = ("inventory.mismatch_detected", "inventory.mismatch_closed")

    def key(self, mismatch) -> str:
        return f"{self.kind}:{mismatch.plant_id}:{mismatch.item_id}:{mismatch.source}"

    def prepare(self, queryset):
        return queryset.select_related("item__planner", "plant")

    def objects_for_event(self, event):
        data = event.data or {}
        if not data.get("item") or not data.get("plant"):
            return []
        return self.prepare(
            InventoryMismatch.objects.filter(
                item__code=data["item"], plant__code=data["plant"], source=data.get("source", "")
            ).order_by("id")
        )

    def open_object_ids(self):
        return (
            PlanningException.objects.open()
            .filter(kind=self.kind)
            .values_list("detail__mismatch", flat=True)
        )

    def candidates(self):
        return InventoryMismatch.objects.filter(status=OPEN)

    def condition(self, mismatch):
        if mismatch.status != OPEN:
            sibling = (
                self.prepare(InventoryMismatch.objects.filter(status=OPEN))
                .filter(
                    ~Q(pk=mismatch.pk),
                    item_id=mismatch.item_id,
                    plant_id=mismatch.plant_id,
                    source=mismatch.source,
                )
                .first()
            )
            if sibling is None:
                return None
            mismatch = sibling
        difference = mismatch.difference
        base = abs(mismatch.weft_on_hand) or 1
        share = abs(difference) / base
        severity = Severity.HIGH if share >= 0.1 else Severity.MEDIUM
        return Condition(
            key=self.key(mismatch),
            kind=self.kind,
            severity=severity,
            summary=(
                f"{mismatch.item.code} @ {mismatch.plant.code}: {mismatch.source} counts "
                f"{mismatch.external_on_hand.normalize():f}, Weft {mismatch.weft_on_hand.normalize():f}"
            ),
            item=mismatch.item,
            plant=mismatch.plant,
            detail={
                "mismatch": mismatch.pk,
                "source": mismatch.source,
                "as_of": mismatch.as_of.isoformat(),
                "weft_on_hand": str(mismatch.weft_on_hand),
                "external_on_hand": str(mismatch.external_on_hand),
            },
        )

    def clear_reason(self, mismatch) -> str:
        if mismatch.resolution == InventoryMismatch.Resolution.ADJUSTED:
            return "auto-closed: adjusted to the owner's count"
        return "auto-closed: a later count agreed"
