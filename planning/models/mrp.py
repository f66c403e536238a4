"""MRP runs and the plan they leave: planned orders, records and action messages.

The plan of an item at a plant is replaced whenever a run plans that item (a net change keeps
the planned orders and records its new plan repeats); firmed planned orders are the planner's
and survive replanning.

The plan's rows are derived, written in bulk by the writer from ids it has just read, and
hundreds of thousands at a time: their references carry no database constraint (PostgreSQL
would check each one at commit) and only the indexes their readers use. The ORM's on_delete
still applies.
"""

from datetime import date, timedelta

import numpy as np
from django.conf import settings
from django.db import models
from django.db.models import Q

from execution.models import WorkOrder
from masterdata.models import Item, Plant, Supplier
from procurement.models import PurchaseOrderLine

QUANTITY = {"max_digits": 18, "decimal_places": 6}


def plan_reference(to, on_delete, *, null=False, blank=False, related_name="+", index=False):
    """A reference from a plan row: no database constraint, and an index only where asked."""
    return models.ForeignKey(
        to,
        on_delete=on_delete,
        null=null,
        blank=blank,
        related_name=related_name,
        db_index=index,
        db_constraint=False,
    )


class PlantPlanningSettings(models.Model):
    """How a plant plans: horizon and the forecast consumption window."""

    plant = models.OneToOneField(Plant, on_delete=models.CASCADE, related_name="planning_settings")
    horizon_weeks = models.PositiveIntegerField(default=52)
    consumption_backward_days = models.PositiveIntegerField(default=7)
    consumption_forward_days = models.PositiveIntegerField(default=7)

    def __str__(self) -> str:
        return f"{self.plant_id}: {self.horizon_weeks} weeks"


class SupplierPlanningSettings(models.Model):
    """Whether MRP's reschedule and expedite advice goes to the supplier without a planner."""

    supplier = models.OneToOneField(
        Supplier, on_delete=models.CASCADE, related_name="planning_settings"
    )
    automatic_change_requests = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.supplier_id}: automatic {self.automatic_change_requests}"


class MrpRun(models.Model):
    """One run at one plant, full or net change, with its progress and its counts."""

    class Mode(models.TextChoices):
        FULL = "full"
        NET_CHANGE = "net_change"

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    plant = models.ForeignKey(Plant, on_delete=models.PROTECT, related_name="mrp_runs")
    mode = models.CharField(max_length=10, choices=Mode.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(max_length=300, blank=True, help_text="What asked for the run.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    correlation_id = models.CharField(max_length=100, blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    phase = models.CharField(max_length=20, blank=True, help_text="load, plan, write, done.")
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    items_requested = models.PositiveIntegerField(default=0)
    items_planned = models.PositiveIntegerField(default=0)
    planned_orders = models.PositiveIntegerField(default=0)
    exceptions = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    timings = models.JSONField(default=dict, blank=True, help_text="Milliseconds per phase.")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["plant", "-requested_at"], name="mrp_run_plant_idx")]

    def __str__(self) -> str:
        return f"MRP run {self.pk} {self.mode} @{self.plant_id} ({self.status})"


class NetChangeRequest(models.Model):
    """An item whose plan must be redone; a run takes the requests pending when it starts."""

    plant = models.ForeignKey(Plant, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=200)
    correlation_id = models.CharField(max_length=100, blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["requested_at", "id"]
        indexes = [models.Index(fields=["plant", "id"], name="net_change_plant_idx")]

    def __str__(self) -> str:
        return f"{self.item_id}@{self.plant_id}: {self.reason}"


class PlannedOrder(models.Model):
    """A planned buy or make order; firming turns it into a PO, a work order or an ERP release."""

    class Kind(models.TextChoices):
        BUY = "buy"
        MAKE = "make"

    class Status(models.TextChoices):
        PLANNED = "planned"
        FIRMED = "firmed"
        RELEASED = "released"

    number = models.CharField(max_length=40)
    run = plan_reference(MrpRun, models.SET_NULL, null=True)
    plant = plan_reference(Plant, models.PROTECT)
    item = plan_reference(Item, models.PROTECT, related_name="planned_orders")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    quantity = models.DecimalField(**QUANTITY)
    release_date = models.DateField()
    due_date = models.DateField()
    past_due = models.BooleanField(default=False, help_text="Released late: expedite it.")
    supplier = plan_reference(Supplier, models.PROTECT, null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    firmed_at = models.DateTimeField(null=True, blank=True)
    firmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    po_line = models.ForeignKey(
        PurchaseOrderLine,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    work_order = models.ForeignKey(
        WorkOrder,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    external_number = models.CharField(max_length=100, blank=True, help_text="The ERP's number.")

    class Meta:
        ordering = ["plant_id", "item_id", "due_date"]
        indexes = [
            # A net change replaces an item's orders week by week: (item, due date) finds each.
            models.Index(
                fields=["plant", "item", "status", "due_date"], name="planned_order_item_due_idx"
            ),
            # Firmed and released orders are few among hundreds of thousands: the loader finds
            # them as supply without reading the planned ones.
            models.Index(
                fields=["plant", "item"],
                condition=~Q(status="planned"),
                name="planned_order_firm_idx",
            ),
        ]
        constraints = [
            # A constraint, not unique=True: that would add a second, LIKE-pattern index.
            models.UniqueConstraint(fields=["number"], name="planned_order_number_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="planned_quantity_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.kind} {self.item_id} {self.quantity} due {self.due_date}"


class MrpRecord(models.Model):
    """The time-phased record of one item at one plant: one list per row, one value per bucket."""

    plant = plan_reference(Plant, models.CASCADE)
    item = plan_reference(Item, models.CASCADE)
    run = plan_reference(MrpRun, models.SET_NULL, null=True)
    first_bucket = models.DateField(help_text="Monday of the first weekly bucket.")
    bucket_count = models.PositiveIntegerField()
    today_bucket = models.PositiveIntegerField(default=0)
    safety_stock = models.DecimalField(**QUANTITY, default=0)
    on_hand = models.DecimalField(**QUANTITY, default=0, help_text="Available at the run.")
    values = models.BinaryField(
        help_text="float64 rows × buckets: gross, receipts, projected, net, planned receipts, releases."
    )
    # What the item's planned orders were made with, beside their quantities in `values`: a net
    # change keeps the orders of a week whose planned receipt and these are unchanged.
    make = models.BooleanField(default=False, help_text="Planned orders are made, not bought.")
    supplier = plan_reference(Supplier, models.SET_NULL, null=True, blank=True)
    lead_time_buckets = models.PositiveIntegerField(default=0)
    # A hash of `values`: a net change compares its new plan with it, not with the values.
    digest = models.CharField(max_length=32, blank=True, default="")
    planned_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plant", "item"], name="mrp_record_unique"),
        ]

    def __str__(self) -> str:
        return f"record {self.item_id}@{self.plant_id}"

    @property
    def bucket_starts(self) -> list[date]:
        return [self.first_bucket + timedelta(weeks=week) for week in range(self.bucket_count)]

    @property
    def rows(self) -> list[list[float]]:
        """The six rows of the record, one value per bucket."""
        values = np.frombuffer(bytes(self.values), dtype="<f8")
        return values.reshape(6, self.bucket_count).tolist()


class MrpMessage(models.Model):
    """One piece of MRP advice for an item: what, from when, to when, how much, on which order."""

    class Kind(models.TextChoices):
        SHORTAGE = "shortage"
        RESCHEDULE_IN = "reschedule_in"
        RESCHEDULE_OUT = "reschedule_out"
        CANCEL = "cancel"
        EXPEDITE = "expedite"
        LATE_CONFIRMATION = "late_confirmation"

    plant = plan_reference(Plant, models.CASCADE)
    item = plan_reference(Item, models.CASCADE)
    run = plan_reference(MrpRun, models.SET_NULL, null=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    date = models.DateField(help_text="Where the condition starts (the order's date, the need).")
    to_date = models.DateField(null=True, blank=True, help_text="Where to move the order.")
    quantity = models.DecimalField(**QUANTITY)
    reason = models.CharField(max_length=300)
    po_line = plan_reference(PurchaseOrderLine, models.CASCADE, null=True, blank=True, index=True)
    work_order = plan_reference(WorkOrder, models.CASCADE, null=True, blank=True)
    planned_order = plan_reference(PlannedOrder, models.CASCADE, null=True, blank=True)

    class Meta:
        ordering = ["plant_id", "item_id", "date"]
        indexes = [
            models.Index(fields=["plant", "item"], name="mrp_message_item_idx"),
            models.Index(fields=["kind", "date"], name="mrp_message_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.item_id}@{self.plant_id} {self.date}"
