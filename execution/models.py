"""The inventory ledger and balances, work orders, quality holds and reconciliation (execution)."""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone

from integrations.history import audited
from integrations.models import ExternalSystem
from masterdata.models import Item, Plant

QUANTITY = {"max_digits": 18, "decimal_places": 6}


class AppendOnlyQuerySet(models.QuerySet):
    """The ledger is append-only: a correction is a new row, never an edit (PostgreSQL enforces it too)."""

    def update(self, **kwargs):
        raise TypeError("Ledger rows are never updated; post a correcting movement instead.")

    def delete(self):
        raise TypeError("Ledger rows are never deleted; post a correcting movement instead.")

    def after(self, instant):
        return self.filter(occurred_at__gt=instant)


class InventoryTransaction(models.Model):
    """One stock movement of one item at one plant, in the item's base unit (signed)."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt"
        ISSUE = "issue"
        CONSUMPTION = "consumption"
        COMPLETION = "completion"
        SCRAP = "scrap"
        ADJUSTMENT = "adjustment"
        TRANSFER = "transfer"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    plant = models.ForeignKey(Plant, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY, help_text="Signed, in the item's base unit.")
    entered_quantity = models.DecimalField(**QUANTITY, help_text="As the sender gave it.")
    entered_uom = models.CharField(max_length=10)
    source_system = models.CharField(
        max_length=50, help_text="The system that reported the movement, or weft."
    )
    transaction_key = models.CharField(
        max_length=200, help_text="The sender's transaction id; one movement per system and key."
    )
    reference = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    work_order = models.ForeignKey(
        "WorkOrder", null=True, blank=True, on_delete=models.PROTECT, related_name="movements"
    )
    message_id = models.CharField(
        max_length=100, blank=True, help_text="The inbound message that carried it, if any."
    )
    occurred_at = models.DateTimeField(
        default=timezone.now, help_text="When it happened on the floor; as-of balances use it."
    )
    recorded_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = "inventory transaction"
        constraints = [
            models.UniqueConstraint(
                fields=["source_system", "transaction_key"], name="ledger_unique_source_key"
            ),
            models.CheckConstraint(condition=~Q(quantity=0), name="ledger_quantity_not_zero"),
        ]
        indexes = [
            models.Index(fields=["plant", "item", "occurred_at"], name="ledger_as_of"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.kind} {self.quantity} {self.item_id}@{self.plant_id} ({self.transaction_key})"
        )

    def same_movement(self, *, kind: str, item_id: int, plant_id: int, quantity: Decimal) -> bool:
        """True when a repeat of this transaction key describes this very movement."""
        return (self.kind, self.item_id, self.plant_id, self.quantity) == (
            kind,
            item_id,
            plant_id,
            quantity,
        )


class InventoryBalance(models.Model):
    """Stock of one item at one plant, kept in step with the ledger (on hand) and holds (on hold)."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="inventory_balances")
    plant = models.ForeignKey(Plant, on_delete=models.PROTECT, related_name="inventory_balances")
    on_hand = models.DecimalField(**QUANTITY, default=Decimal("0"))
    on_hold = models.DecimalField(**QUANTITY, default=Decimal("0"))
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["item__code", "plant__code"]
        constraints = [
            models.UniqueConstraint(fields=["item", "plant"], name="inventory_balance_unique"),
            models.CheckConstraint(condition=Q(on_hold__gte=0), name="inventory_on_hold_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}@{self.plant_id}: {self.on_hand} on hand, {self.on_hold} held"

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.on_hold


class WorkOrderQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status__in=[WorkOrder.Status.COMPLETED, WorkOrder.Status.CANCELLED])


class WorkOrder(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned"
        RELEASED = "released"
        IN_PROGRESS = "in_progress"
        COMPLETED = "completed"
        CANCELLED = "cancelled"

    number = models.CharField(max_length=50, unique=True)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="work_orders")
    plant = models.ForeignKey(Plant, on_delete=models.PROTECT, related_name="work_orders")
    quantity = models.DecimalField(**QUANTITY, help_text="Ordered, in the item's base unit.")
    completed_quantity = models.DecimalField(**QUANTITY, default=Decimal("0"))
    scrapped_quantity = models.DecimalField(**QUANTITY, default=Decimal("0"))
    due_date = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    source_system = models.CharField(max_length=50, blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = WorkOrderQuerySet.as_manager()
    history = audited(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["due_date", "number"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="work_order_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(completed_quantity__gte=0), name="work_order_completed_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def open_quantity(self) -> Decimal:
        return max(self.quantity - self.completed_quantity, Decimal("0"))

    def is_open(self) -> bool:
        return self.status not in (self.Status.COMPLETED, self.Status.CANCELLED)


class QualityHold(models.Model):
    """Quantity of one item at one plant that quality keeps from use until it is released."""

    class Status(models.TextChoices):
        OPEN = "open"
        RELEASED = "released"

    hold_id = models.CharField(max_length=100)
    source_system = models.CharField(max_length=50)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    plant = models.ForeignKey(Plant, on_delete=models.PROTECT, related_name="+")
    placed_quantity = models.DecimalField(**QUANTITY)
    held_quantity = models.DecimalField(**QUANTITY, help_text="Still held, in the base unit.")
    reason = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    placed_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)

    history = audited()

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_system", "hold_id"], name="quality_hold_unique_id"
            ),
            models.CheckConstraint(
                condition=Q(held_quantity__gte=0)
                & Q(held_quantity__lte=models.F("placed_quantity")),
                name="quality_hold_held_range",
            ),
        ]

    def __str__(self) -> str:
        return f"hold {self.hold_id} ({self.source_system})"


class InventoryMismatch(models.Model):
    """A snapshot from another system disagreed with Weft beyond the plant's tolerance."""

    class Status(models.TextChoices):
        OPEN = "open"
        CLOSED = "closed"

    class Resolution(models.TextChoices):
        CLEARED = "cleared", "A later snapshot agreed"
        ADJUSTED = "adjusted", "Adjusted to the snapshot owner's count"

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    plant = models.ForeignKey(Plant, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=50, help_text="The system whose snapshot disagreed.")
    as_of = models.DateTimeField()
    weft_on_hand = models.DecimalField(**QUANTITY, help_text="Weft's on hand as of `as_of`.")
    external_on_hand = models.DecimalField(**QUANTITY)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    resolution = models.CharField(max_length=10, choices=Resolution.choices, blank=True)
    detected_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    history = audited(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-detected_at", "-id"]
        verbose_name_plural = "inventory mismatches"
        constraints = [
            models.UniqueConstraint(
                fields=["item", "plant", "source"],
                condition=Q(status="open"),
                name="inventory_mismatch_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"mismatch {self.item_id}@{self.plant_id} vs {self.source} ({self.status})"

    @property
    def difference(self) -> Decimal:
        return self.external_on_hand - self.weft_on_hand


class PlantTolerance(models.Model):
    """Per-plant tolerances; an empty value falls back to the global default in settings.WEFT."""

    plant = models.OneToOneField(Plant, on_delete=models.CASCADE, related_name="tolerance")
    over_completion_percent = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="How far a work order may be completed beyond its quantity, in percent.",
    )
    mismatch_quantity = models.DecimalField(
        **QUANTITY,
        null=True,
        blank=True,
        help_text="A snapshot difference up to this quantity (base unit) is no mismatch.",
    )
    mismatch_percent = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="A snapshot difference up to this share of the external count is no mismatch.",
    )

    history = audited()

    def __str__(self) -> str:
        return f"tolerances @ {self.plant_id}"


class SystemInventorySettings(models.Model):
    """How Weft treats one system's inventory snapshots: who wins, and where to poll them."""

    system = models.OneToOneField(
        ExternalSystem, on_delete=models.CASCADE, related_name="inventory_settings"
    )
    snapshot_owner_wins = models.BooleanField(
        default=False,
        help_text="Adjust Weft to this system's count when its snapshot disagrees.",
    )
    snapshot_url = models.URLField(
        max_length=500,
        blank=True,
        help_text="GET returns inventory.snapshot data (one object or a list); empty: no polling.",
    )
    poll_interval_minutes = models.PositiveIntegerField(default=60)
    poll_timeout_seconds = models.PositiveIntegerField(default=10)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_poll_error = models.TextField(blank=True)

    history = audited(excluded_fields=["last_polled_at", "last_poll_error"])

    class Meta:
        verbose_name = "system inventory settings"
        verbose_name_plural = "system inventory settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(poll_timeout_seconds__gte=1) & Q(poll_timeout_seconds__lte=120),
                name="inventory_poll_timeout_range",
            ),
        ]

    def __str__(self) -> str:
        return f"inventory settings of {self.system_id}"

    def poll_due(self, now) -> bool:
        if not self.snapshot_url:
            return False
        if self.last_polled_at is None:
            return True
        return (now - self.last_polled_at).total_seconds() >= self.poll_interval_minutes * 60
