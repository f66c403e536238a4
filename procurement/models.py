"""Purchase orders, what suppliers answer to them, what they ship and what the plant receives.

What was requested and what the supplier confirmed are kept in separate columns and never
overwrite each other; every answer, proposal and buyer decision is a row of its own.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from integrations.history import audited
from integrations.models import ExternalSystem
from masterdata.models import QUANTITY, Item, Plant, Supplier, UnitOfMeasure

PRICE = {"max_digits": 18, "decimal_places": 6}


class SupplierTolerance(models.Model):
    """How far a supplier's answer may stray from the request and still apply by itself.

    The row without a supplier is the global default. Prices are not among the tolerances:
    no answer channel carries a price, so a confirmation can never change one.
    """

    DEFAULT_DAYS_LATE = 2
    DEFAULT_DAYS_EARLY = 3
    DEFAULT_QUANTITY_PERCENT = Decimal("5")
    DEFAULT_OVER_DELIVERY_PERCENT = Decimal("5")

    supplier = models.OneToOneField(
        Supplier, null=True, blank=True, on_delete=models.CASCADE, related_name="tolerance"
    )
    days_late = models.PositiveIntegerField(
        default=DEFAULT_DAYS_LATE, help_text="A confirmed date at most this many days late applies."
    )
    days_early = models.PositiveIntegerField(
        default=DEFAULT_DAYS_EARLY,
        help_text="A confirmed date at most this many days early applies.",
    )
    quantity_percent = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=DEFAULT_QUANTITY_PERCENT,
        help_text="A confirmed quantity within ± this percentage of the request applies.",
    )
    over_delivery_percent = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=DEFAULT_OVER_DELIVERY_PERCENT,
        help_text="ASNs may ship up to this percentage more than the line's quantity.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = audited()

    class Meta:
        constraints = [
            # One global row: NULL is a value here (nulls_distinct is PostgreSQL-only).
            models.UniqueConstraint(
                Coalesce("supplier", Value(0)), name="supplier_tolerance_one_global"
            ),
            models.CheckConstraint(
                condition=Q(quantity_percent__gte=0) & Q(over_delivery_percent__gte=0),
                name="supplier_tolerance_percent_gte_0",
            ),
        ]

    def __str__(self) -> str:
        return f"tolerance {self.supplier.code if self.supplier_id else 'global'}"

    def quantity_within(self, requested: Decimal, confirmed: Decimal) -> bool:
        if requested == 0:
            return confirmed == 0
        return abs(confirmed - requested) * 100 <= requested * self.quantity_percent

    def date_within(self, requested, confirmed) -> bool:
        late = (confirmed - requested).days
        return -self.days_early <= late <= self.days_late

    def shippable(self, ordered: Decimal) -> Decimal:
        """The most that may ship on a line of `ordered`, over-delivery tolerance included."""
        return ordered * (1 + self.over_delivery_percent / 100)


class PurchaseOrderQuerySet(models.QuerySet):
    def for_suppliers(self, suppliers):
        return self.filter(supplier__in=suppliers)

    def awaiting_ack(self):
        return self.filter(
            lines__ack_status__in=PurchaseOrderLine.AckStatus.waiting(),
            lines__status=PurchaseOrderLine.Status.OPEN,
            status__in=PurchaseOrder.Status.with_supplier(),
        ).distinct()

    def open(self):
        return self.filter(status__in=PurchaseOrder.Status.with_supplier())


class PurchaseOrder(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft"
        ISSUED = "issued"
        ACKNOWLEDGED = "acknowledged"
        PARTIALLY_RECEIVED = "partially_received", "Partially received"
        RECEIVED = "received"
        CLOSED = "closed"
        CANCELLED = "cancelled"

        @classmethod
        def with_supplier(cls) -> list[str]:
            """Issued and not finished: the supplier may answer, ship and be reminded."""
            return [cls.ISSUED, cls.ACKNOWLEDGED, cls.PARTIALLY_RECEIVED]

    number = models.CharField(max_length=50, unique=True)
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="purchase_orders")
    plant = models.ForeignKey(Plant, on_delete=models.PROTECT, related_name="purchase_orders")
    currency = models.CharField(max_length=3, default="EUR")
    revision = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    issued_at = models.DateTimeField(null=True, blank=True)
    ack_due_at = models.DateTimeField(
        null=True, blank=True, help_text="When the supplier's answer to this revision is due."
    )
    supplier_reference = models.CharField(
        max_length=50, blank=True, help_text="The supplier's own order number."
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="purchase_orders",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = PurchaseOrderQuerySet.as_manager()
    history = audited()

    class Meta:
        ordering = ["number"]
        indexes = [models.Index(fields=["supplier", "status"], name="po_supplier_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(issued_at__isnull=False),
                name="purchase_order_issued_has_issued_at",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def is_with_supplier(self) -> bool:
        return self.status in self.Status.with_supplier()

    def can_issue(self) -> bool:
        return self.status == self.Status.DRAFT

    def can_revise(self) -> bool:
        return self.status in (self.Status.DRAFT, *self.Status.with_supplier())


class PurchaseOrderLineQuerySet(models.QuerySet):
    def awaiting_ack(self):
        return self.filter(
            status=PurchaseOrderLine.Status.OPEN,
            ack_status=PurchaseOrderLine.AckStatus.AWAITING,
            po__status__in=PurchaseOrder.Status.with_supplier(),
        )

    def stale(self, now):
        return self.awaiting_ack().filter(ack_due_at__lte=now)


class PurchaseOrderLine(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        PARTIALLY_RECEIVED = "partially_received", "Partially received"
        RECEIVED = "received"
        CLOSED = "closed"
        CANCELLED = "cancelled"

        @classmethod
        def receivable(cls) -> list[str]:
            return [cls.OPEN, cls.PARTIALLY_RECEIVED]

    class AckStatus(models.TextChoices):
        AWAITING = "awaiting", "Awaiting answer"
        ACCEPTED = "accepted"
        CHANGED = "changed", "Accepted with changes"
        REJECTED = "rejected"
        PROPOSED = "proposed", "Awaiting buyer"

        @classmethod
        def waiting(cls) -> list[str]:
            return [cls.AWAITING]

        @classmethod
        def confirmed(cls) -> list[str]:
            return [cls.ACCEPTED, cls.CHANGED, cls.REJECTED]

    po = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveIntegerField()
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="purchase_order_lines")
    quantity = models.DecimalField(**QUANTITY)
    uom = models.ForeignKey(UnitOfMeasure, on_delete=models.PROTECT, related_name="+")
    base_quantity = models.DecimalField(
        **QUANTITY, help_text="The requested quantity in the item's base unit."
    )
    unit_price = models.DecimalField(**PRICE, default=Decimal("0"))
    requested_date = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)

    ack_status = models.CharField(
        max_length=10, choices=AckStatus.choices, default=AckStatus.AWAITING
    )
    confirmed_quantity = models.DecimalField(**QUANTITY, null=True, blank=True)
    confirmed_date = models.DateField(null=True, blank=True)
    confirmed_revision = models.PositiveIntegerField(null=True, blank=True)
    sent_revision = models.PositiveIntegerField(
        null=True, blank=True, help_text="The revision in which the supplier last saw this line."
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    ack_due_at = models.DateTimeField(
        null=True, blank=True, help_text="Sent plus the supplier's SLA, fixed when it is sent."
    )
    reminders_sent = models.PositiveIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    next_reminder_at = models.DateTimeField(null=True, blank=True)

    shipped_quantity = models.DecimalField(
        **QUANTITY, default=Decimal("0"), help_text="On ASNs so far, in the line's unit."
    )
    received_quantity = models.DecimalField(
        **QUANTITY, default=Decimal("0"), help_text="Received so far, in the line's unit."
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = PurchaseOrderLineQuerySet.as_manager()
    # Reminder bookkeeping is operational and written in bulk by the sweep; its record is the mail.
    history = audited(
        excluded_fields=["reminders_sent", "last_reminded_at", "next_reminder_at", "updated_at"]
    )

    class Meta:
        ordering = ["po", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["po", "line_number"], name="po_line_unique_number"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="po_line_quantity_gt_0"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="po_line_price_gte_0"),
            models.CheckConstraint(
                condition=Q(received_quantity__gte=0) & Q(shipped_quantity__gte=0),
                name="po_line_progress_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_quantity__isnull=True) | Q(confirmed_quantity__gte=0),
                name="po_line_confirmed_gte_0",
            ),
        ]
        indexes = [
            models.Index(
                fields=["ack_due_at"],
                condition=Q(ack_status="awaiting", status="open"),
                name="po_line_awaiting_by_due",
            ),
            models.Index(
                fields=["next_reminder_at"],
                condition=Q(ack_status="awaiting", status="open"),
                name="po_line_awaiting_by_reminder",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.po.number}/{self.line_number}"

    def can_acknowledge(self) -> bool:
        return self.status in self.Status.receivable() and self.po.is_with_supplier()

    @property
    def expected_quantity(self) -> Decimal:
        """What the line will bring: the confirmation once there is one, else the request."""
        if self.ack_status in (self.AckStatus.ACCEPTED, self.AckStatus.CHANGED):
            return self.confirmed_quantity
        return self.quantity

    @property
    def open_quantity(self) -> Decimal:
        return max(self.expected_quantity - self.received_quantity, Decimal("0"))

    def base_of(self, quantity: Decimal) -> Decimal:
        """A quantity in this line's unit, in the item's base unit (the line's own ratio)."""
        return (quantity * self.base_quantity / self.quantity).quantize(Decimal("0.000001"))

    def is_stale(self, now=None) -> bool:
        """Sent, unanswered, and past the supplier's acknowledgement SLA."""
        return (
            self.ack_status == self.AckStatus.AWAITING
            and self.status == self.Status.OPEN
            and self.ack_due_at is not None
            and self.ack_due_at <= (now or timezone.now())
        )


class ConfirmedScheduleLine(models.Model):
    """One delivery the supplier promised for a line; several when it delivers in parts."""

    po_line = models.ForeignKey(
        PurchaseOrderLine, on_delete=models.CASCADE, related_name="schedule_lines"
    )
    quantity = models.DecimalField(**QUANTITY)
    delivery_date = models.DateField()

    history = audited()

    class Meta:
        ordering = ["po_line", "delivery_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="schedule_line_quantity_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.po_line}: {self.quantity} on {self.delivery_date}"


class ReasonCode(models.TextChoices):
    CAPACITY = "capacity"
    MATERIAL = "material", "Material shortage"
    LEAD_TIME = "lead_time", "Lead time"
    MINIMUM_QUANTITY = "minimum_quantity", "Minimum or multiple quantity"
    TRANSPORT = "transport"
    DISCONTINUED = "discontinued"
    OTHER = "other"


class Acknowledgement(models.Model):
    """One answer of a supplier to one revision of a PO, from whichever channel it came."""

    class Channel(models.TextChoices):
        API = "api", "API"
        MESSAGE = "message", "Message (JSON or EDI)"
        PORTAL = "portal"
        CONSOLE = "console", "Entered by a buyer"

    po = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="acknowledgements")
    revision = models.PositiveIntegerField()
    channel = models.CharField(max_length=10, choices=Channel.choices)
    supplier_reference = models.CharField(max_length=50, blank=True)
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acting_system = models.ForeignKey(
        ExternalSystem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message_id = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["po", "received_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(acting_user__isnull=False) | Q(acting_system__isnull=False),
                name="acknowledgement_has_actor",
            ),
        ]

    def __str__(self) -> str:
        return f"answer to {self.po.number} rev {self.revision}"

    @property
    def actor(self) -> str:
        if self.acting_system_id:
            return f"system {self.acting_system.code}"
        return str(self.acting_user) if self.acting_user_id else "unknown"


class AcknowledgementLine(models.Model):
    """What the supplier said about one line, and what Weft did with it."""

    class Answer(models.TextChoices):
        ACCEPTED = "accepted"
        CHANGED = "changed"
        REJECTED = "rejected"

    class Outcome(models.TextChoices):
        APPLIED = "applied", "Applied (within tolerance)"
        PROPOSED = "proposed", "Waits for a buyer"

    acknowledgement = models.ForeignKey(
        Acknowledgement, on_delete=models.CASCADE, related_name="lines"
    )
    po_line = models.ForeignKey(PurchaseOrderLine, on_delete=models.CASCADE, related_name="answers")
    answer = models.CharField(max_length=10, choices=Answer.choices)
    confirmed_quantity = models.DecimalField(**QUANTITY, null=True, blank=True)
    confirmed_date = models.DateField(null=True, blank=True)
    schedule = models.JSONField(default=list, blank=True)
    reason_code = models.CharField(max_length=20, choices=ReasonCode.choices, blank=True)
    reason = models.TextField(blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)

    class Meta:
        ordering = ["acknowledgement", "po_line"]

    def __str__(self) -> str:
        return f"{self.po_line}: {self.answer} ({self.outcome})"


class SupplierProposalQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=SupplierProposal.Status.PENDING)


class SupplierProposal(models.Model):
    """An answer beyond tolerance (or a rejection): it waits for a buyer to accept or reject it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting buyer"
        ACCEPTED = "accepted"
        REJECTED = "rejected"
        SUPERSEDED = "superseded", "Superseded by a later answer or revision"

    po_line = models.ForeignKey(
        PurchaseOrderLine, on_delete=models.CASCADE, related_name="proposals"
    )
    answer = models.OneToOneField(
        AcknowledgementLine, on_delete=models.CASCADE, related_name="proposal"
    )
    revision = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=AcknowledgementLine.Answer.choices)
    requested_quantity = models.DecimalField(**QUANTITY)
    requested_date = models.DateField()
    proposed_quantity = models.DecimalField(**QUANTITY)
    proposed_date = models.DateField(null=True, blank=True)
    schedule = models.JSONField(default=list, blank=True)
    reason_code = models.CharField(max_length=20, choices=ReasonCode.choices, blank=True)
    reason = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(
        blank=True, help_text="Why the buyer rejected it; the supplier sees this."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = SupplierProposalQuerySet.as_manager()
    history = audited()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["po_line"],
                condition=Q(status="pending"),
                name="supplier_proposal_one_pending_per_line",
            ),
        ]

    def __str__(self) -> str:
        return f"proposal on {self.po_line} ({self.status})"

    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    @property
    def quantity_gap(self) -> Decimal:
        return self.proposed_quantity - self.requested_quantity

    @property
    def days_late(self) -> int | None:
        return (self.proposed_date - self.requested_date).days if self.proposed_date else None


class AdvanceShipNotice(models.Model):
    class Status(models.TextChoices):
        IN_TRANSIT = "in_transit", "In transit"
        DELAYED = "delayed"
        DELIVERED = "delivered"
        EXCEPTION = "exception"

    number = models.CharField(max_length=50)
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="asns")
    ship_date = models.DateField(null=True, blank=True)
    expected_date = models.DateField(null=True, blank=True)
    carrier = models.CharField(max_length=50, blank=True)
    tracking = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_TRANSIT)
    location = models.CharField(max_length=200, blank=True)
    status_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    history = audited()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "advance ship notice"
        constraints = [
            models.UniqueConstraint(fields=["supplier", "number"], name="asn_unique_per_supplier"),
            models.CheckConstraint(
                condition=Q(ship_date__isnull=True)
                | Q(expected_date__isnull=True)
                | Q(expected_date__gte=models.F("ship_date")),
                name="asn_expected_not_before_ship",
            ),
        ]

    def __str__(self) -> str:
        return f"ASN {self.number} ({self.supplier.code})"


class AsnLine(models.Model):
    asn = models.ForeignKey(AdvanceShipNotice, on_delete=models.CASCADE, related_name="lines")
    po_line = models.ForeignKey(PurchaseOrderLine, on_delete=models.PROTECT, related_name="shipped")
    quantity = models.DecimalField(**QUANTITY)
    uom = models.ForeignKey(UnitOfMeasure, on_delete=models.PROTECT, related_name="+")
    line_quantity = models.DecimalField(**QUANTITY, help_text="The quantity in the PO line's unit.")
    base_quantity = models.DecimalField(**QUANTITY)
    expected_date = models.DateField(null=True, blank=True)

    history = audited()

    class Meta:
        ordering = ["asn", "id"]
        verbose_name = "ASN line"
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="asn_line_quantity_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.asn.number}: {self.quantity} {self.uom} on {self.po_line}"


class Receipt(models.Model):
    number = models.CharField(max_length=50, unique=True)
    plant = models.ForeignKey(Plant, on_delete=models.PROTECT, related_name="receipts")
    received_at = models.DateTimeField()
    source = models.CharField(max_length=50, help_text="The system that posted it, or weft.")
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    history = audited()

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"receipt {self.number}"


class ReceiptLine(models.Model):
    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="lines")
    po_line = models.ForeignKey(
        PurchaseOrderLine, on_delete=models.PROTECT, related_name="receipts"
    )
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY)
    uom = models.ForeignKey(UnitOfMeasure, on_delete=models.PROTECT, related_name="+")
    line_quantity = models.DecimalField(**QUANTITY, help_text="The quantity in the PO line's unit.")
    base_quantity = models.DecimalField(**QUANTITY)

    history = audited()

    class Meta:
        ordering = ["receipt", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="receipt_line_quantity_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.receipt.number}: {self.quantity} {self.uom} on {self.po_line}"
