"""Forecast versions with their approval trail, their lines, and how each scored against orders."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from integrations.history import audited
from integrations.models import ExternalSystem
from masterdata.models import Item, Plant

QUANTITY = {"max_digits": 18, "decimal_places": 6}


class ForecastVersion(models.Model):
    """One published version of a plan for a plant: draft → submitted → approved → active.

    Activating a version supersedes the plan's previous active version at that plant; at most
    one version per plan and plant is active.
    """

    class Status(models.TextChoices):
        DRAFT = "draft"
        SUBMITTED = "submitted"
        APPROVED = "approved"
        ACTIVE = "active"
        SUPERSEDED = "superseded"
        REJECTED = "rejected"

    class Bucket(models.TextChoices):
        DAY = "day"
        WEEK = "week"
        MONTH = "month"

    plan = models.CharField(max_length=50)
    plant = models.ForeignKey(Plant, on_delete=models.PROTECT, related_name="forecast_versions")
    version = models.CharField(max_length=50)
    bucket = models.CharField(max_length=5, choices=Bucket.choices)
    source_system = models.CharField(
        max_length=50, help_text="Who published it; 'weft' for uploads."
    )
    message_id = models.CharField(max_length=200, blank=True, help_text="The inbound message.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    received_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by_policy = models.BooleanField(default=False)
    activated_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    rejected_reason = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    history = audited(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["plan", "plant__code", "-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "plant", "version"], name="forecast_version_unique"
            ),
            models.UniqueConstraint(
                fields=["plan", "plant"],
                condition=Q(status="active"),
                name="forecast_one_active_per_plan_plant",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.version} @{self.plant_id} ({self.status})"


class ForecastLine(models.Model):
    """Forecast quantity of one item for the bucket starting on `period_start`, in its base unit."""

    # The unique (version, item, period) index serves lookups by version: a second index on the
    # version alone only tempts PostgreSQL to read a whole version for a few items' lines.
    version = models.ForeignKey(
        ForecastVersion, on_delete=models.CASCADE, related_name="lines", db_index=False
    )
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField()
    quantity = models.DecimalField(**QUANTITY)

    class Meta:
        ordering = ["version", "item_id", "period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "item", "period_start"], name="forecast_line_unique"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=0), name="forecast_line_quantity_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version_id}: {self.item_id} {self.period_start} {self.quantity}"


class ForecastPolicy(models.Model):
    """Per source system: whether its published forecasts are approved without a planner."""

    system = models.OneToOneField(
        ExternalSystem, on_delete=models.CASCADE, related_name="forecast_policy"
    )
    auto_approve = models.BooleanField(default=False)
    auto_activate = models.BooleanField(
        default=False, help_text="Activate an approved version at once (supersedes the active one)."
    )

    def __str__(self) -> str:
        return f"{self.system_id}: auto-approve {self.auto_approve}"


class ForecastAccuracy(models.Model):
    """How one version's forecast for an item and period compared with the orders that came."""

    version = models.ForeignKey(ForecastVersion, on_delete=models.CASCADE, related_name="accuracy")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField()
    forecast_quantity = models.DecimalField(**QUANTITY)
    actual_quantity = models.DecimalField(**QUANTITY)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["version", "item_id", "period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "item", "period_start"], name="forecast_accuracy_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.version_id} {self.item_id} {self.period_start}"

    @property
    def absolute_error(self):
        return abs(self.forecast_quantity - self.actual_quantity)
