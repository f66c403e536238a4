"""Customer demand orders (sales orders) as the ERP or order system sends them."""

from django.db import models
from django.db.models import Q

from integrations.history import audited
from masterdata.models import Item, Plant

QUANTITY = {"max_digits": 18, "decimal_places": 6}


class DemandOrder(models.Model):
    number = models.CharField(max_length=50, unique=True)
    customer = models.CharField(max_length=200)
    source_system = models.CharField(max_length=50)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} ({self.customer})"


class DemandOrderLineQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=DemandOrderLine.Status.OPEN)


class DemandOrderLine(models.Model):
    """One line of a customer order: quantity in the item's base unit, due at a plant."""

    class Status(models.TextChoices):
        OPEN = "open"
        CLOSED = "closed"
        CANCELLED = "cancelled"

    order = models.ForeignKey(DemandOrder, on_delete=models.CASCADE, related_name="lines")
    line = models.PositiveIntegerField()
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="demand_order_lines")
    plant = models.ForeignKey(Plant, on_delete=models.PROTECT, related_name="demand_order_lines")
    quantity = models.DecimalField(**QUANTITY, help_text="In the item's base unit.")
    entered_quantity = models.DecimalField(**QUANTITY)
    entered_uom = models.CharField(max_length=10)
    due_date = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = DemandOrderLineQuerySet.as_manager()
    history = audited(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["order__number", "line"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line"], name="demand_order_line_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="demand_line_quantity_gt_0"),
        ]
        indexes = [models.Index(fields=["plant", "item", "due_date"], name="demand_line_plan_idx")]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.line}: {self.item_id} {self.quantity} due {self.due_date}"
