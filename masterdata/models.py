from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from integrations.history import audited
from integrations.models import ExternalSystem

QUANTITY = {"max_digits": 18, "decimal_places": 6}
NON_NEGATIVE = [MinValueValidator(Decimal("0"))]


class Plant(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="UTC")
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    history = audited()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class UnitOfMeasure(models.Model):
    class Dimension(models.TextChoices):
        COUNT = "count"
        MASS = "mass"
        LENGTH = "length"
        AREA = "area"
        VOLUME = "volume"
        TIME = "time"

    code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=100)
    dimension = models.CharField(max_length=10, choices=Dimension.choices)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    history = audited()

    class Meta:
        ordering = ["code"]
        verbose_name = "unit of measure"

    def __str__(self) -> str:
        return self.code


class Item(models.Model):
    class ItemType(models.TextChoices):
        MAKE = "make"
        BUY = "buy"

    class Lifecycle(models.TextChoices):
        NEW = "new"
        ACTIVE = "active"
        OBSOLETE = "obsolete"

    code = models.CharField(max_length=50, unique=True)
    description = models.CharField(max_length=300, blank=True)
    base_uom = models.ForeignKey(UnitOfMeasure, on_delete=models.PROTECT, related_name="+")
    item_type = models.CharField(max_length=4, choices=ItemType.choices)
    lifecycle = models.CharField(max_length=10, choices=Lifecycle.choices, default=Lifecycle.ACTIVE)
    low_level_code = models.PositiveSmallIntegerField(
        default=0, help_text="Deepest level at which the item appears in any BOM (0: end item)."
    )
    planner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="planned_items",
    )
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    # The low-level code is derived from the BOMs and recomputed in bulk; its history is theirs.
    history = audited(excluded_fields=["low_level_code", "updated_at"])

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class UomConversion(models.Model):
    """`1 from_uom = factor × to_uom`, for one item or (item empty) for every item."""

    item = models.ForeignKey(
        Item, null=True, blank=True, on_delete=models.CASCADE, related_name="conversions"
    )
    from_uom = models.ForeignKey(UnitOfMeasure, on_delete=models.PROTECT, related_name="+")
    to_uom = models.ForeignKey(UnitOfMeasure, on_delete=models.PROTECT, related_name="+")
    factor = models.DecimalField(**QUANTITY)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    history = audited()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(factor__gt=0), name="uom_conversion_factor_positive"
            ),
            models.CheckConstraint(
                condition=~Q(from_uom=models.F("to_uom")), name="uom_conversion_distinct_units"
            ),
            models.UniqueConstraint(
                fields=["item", "from_uom", "to_uom"], name="uom_conversion_unique_per_item"
            ),
            models.UniqueConstraint(
                fields=["from_uom", "to_uom"],
                condition=Q(item__isnull=True),
                name="uom_conversion_unique_global",
            ),
        ]

    def __str__(self) -> str:
        scope = self.item.code if self.item_id else "global"
        return f"1 {self.from_uom} = {self.factor} {self.to_uom} ({scope})"


class ItemPlant(models.Model):
    class LotSizeRule(models.TextChoices):
        LOT_FOR_LOT = "lot_for_lot", "Lot for lot"
        FIXED = "fixed", "Fixed order quantity"
        PERIOD = "period", "Period order quantity"

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="plants")
    plant = models.ForeignKey(Plant, on_delete=models.PROTECT, related_name="items")
    lead_time_days = models.PositiveIntegerField(default=0)
    safety_stock = models.DecimalField(**QUANTITY, default=Decimal("0"), validators=NON_NEGATIVE)
    lot_size_rule = models.CharField(
        max_length=12, choices=LotSizeRule.choices, default=LotSizeRule.LOT_FOR_LOT
    )
    lot_size_quantity = models.DecimalField(**QUANTITY, null=True, blank=True)
    lot_size_periods = models.PositiveIntegerField(null=True, blank=True)
    min_order_quantity = models.DecimalField(
        **QUANTITY, default=Decimal("0"), validators=NON_NEGATIVE
    )
    order_multiple = models.DecimalField(**QUANTITY, default=Decimal("0"), validators=NON_NEGATIVE)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    history = audited()

    class Meta:
        ordering = ["item__code", "plant__code"]
        constraints = [
            models.UniqueConstraint(fields=["item", "plant"], name="item_plant_unique"),
            models.CheckConstraint(
                condition=~Q(lot_size_rule="fixed") | Q(lot_size_quantity__gt=0),
                name="item_plant_fixed_needs_quantity",
            ),
            models.CheckConstraint(
                condition=~Q(lot_size_rule="period") | Q(lot_size_periods__gt=0),
                name="item_plant_period_needs_periods",
            ),
            models.CheckConstraint(
                condition=Q(safety_stock__gte=0), name="item_plant_safety_stock_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.code} @ {self.plant.code}"


class Supplier(models.Model):
    class Status(models.TextChoices):
        APPROVED = "approved"
        PENDING = "pending"
        BLOCKED = "blocked"

    code = models.CharField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    contact_emails = models.JSONField(default=list, blank=True)
    ack_sla_hours = models.PositiveIntegerField(default=48)
    external_system = models.ForeignKey(
        ExternalSystem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="suppliers",
        help_text="The supplier's own system, when it sends acknowledgements and ASNs itself.",
    )
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    history = audited()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class SupplierMembership(models.Model):
    """A portal user who acts for exactly one supplier."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="supplier_membership"
    )
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="members")

    history = audited()

    def __str__(self) -> str:
        return f"{self.user} → {self.supplier.code}"


class SourcingRuleQuerySet(models.QuerySet):
    def valid_on(self, day):
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=day),
            Q(valid_to__isnull=True) | Q(valid_to__gte=day),
        )


class SourcingRule(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="sourcing_rules")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="sourcing_rules")
    plant = models.ForeignKey(Plant, on_delete=models.PROTECT, related_name="sourcing_rules")
    supplier_item_code = models.CharField(max_length=50, blank=True)
    lead_time_days = models.PositiveIntegerField(default=0)
    min_order_quantity = models.DecimalField(
        **QUANTITY, default=Decimal("0"), validators=NON_NEGATIVE
    )
    order_multiple = models.DecimalField(**QUANTITY, default=Decimal("0"), validators=NON_NEGATIVE)
    unit_price = models.DecimalField(max_digits=18, decimal_places=6, default=Decimal("0"))
    currency = models.CharField(max_length=3, default="EUR")
    priority = models.PositiveIntegerField(default=1, help_text="1 is preferred.")
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = SourcingRuleQuerySet.as_manager()
    history = audited()

    class Meta:
        ordering = ["item__code", "plant__code", "priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "supplier", "plant"],
                name="sourcing_rule_unique_item_supplier_plant",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="sourcing_rule_valid_range",
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="sourcing_rule_price_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.code} from {self.supplier.code} @ {self.plant.code}"


class Bom(models.Model):
    parent = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="boms")
    plant = models.ForeignKey(Plant, on_delete=models.PROTECT, related_name="boms")
    revision = models.CharField(max_length=20)
    effective_from = models.DateField(null=True, blank=True)
    effective_to = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    history = audited()

    class Meta:
        ordering = ["parent__code", "plant__code", "revision"]
        verbose_name = "BOM"
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "plant", "revision"], name="bom_unique_revision"
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_from__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="bom_effective_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent.code} rev {self.revision} @ {self.plant.code}"

    def is_effective_on(self, day) -> bool:
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_to is None or day <= self.effective_to
        )


class BomLine(models.Model):
    bom = models.ForeignKey(Bom, on_delete=models.CASCADE, related_name="lines")
    component = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="used_in")
    quantity = models.DecimalField(**QUANTITY)
    uom = models.ForeignKey(UnitOfMeasure, on_delete=models.PROTECT, related_name="+")
    scrap_percent = models.DecimalField(max_digits=6, decimal_places=3, default=Decimal("0"))

    history = audited()

    class Meta:
        ordering = ["bom", "component__code"]
        verbose_name = "BOM line"
        constraints = [
            models.UniqueConstraint(fields=["bom", "component"], name="bom_line_unique_component"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="bom_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(scrap_percent__gte=0) & Q(scrap_percent__lt=100),
                name="bom_line_scrap_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bom}: {self.quantity} {self.uom} {self.component.code}"
