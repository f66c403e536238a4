import hashlib
import secrets

from django.db import models
from django.utils import timezone

from integrations.history import audited


class ExternalSystem(models.Model):
    class Kind(models.TextChoices):
        ERP = "erp", "ERP"
        PLANNING = "planning", "Demand planning"
        PROCUREMENT = "procurement", "Procurement suite"
        MES = "mes", "MES"
        WMS = "wms", "WMS"
        SUPPLIER = "supplier", "Supplier system"

    code = models.CharField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    enabled = models.BooleanField(default=True)
    edi_sender_id = models.CharField(
        max_length=35,
        blank=True,
        help_text="The interchange sender id it sends EDI as (ISA06, UNB sender); blank: its code.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = audited()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["edi_sender_id"],
                condition=~models.Q(edi_sender_id=""),
                name="external_system_unique_edi_sender_id",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class ApiKeyQuerySet(models.QuerySet):
    def usable(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True, system__enabled=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiKey(models.Model):
    """A partner system's key: only its SHA-256 is kept, the key itself is shown once."""

    PREFIX_LENGTH = 8

    system = models.ForeignKey(ExternalSystem, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=PREFIX_LENGTH, db_index=True)
    hashed_key = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()
    history = audited(excluded_fields=["last_used_at"])

    class Meta:
        ordering = ["system__code", "-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.system.code} {self.prefix}…"

    @staticmethod
    def hash(raw_key: str) -> str:
        return hashlib.sha256(raw_key.encode()).hexdigest()

    @staticmethod
    def generate() -> str:
        return "weft_" + secrets.token_urlsafe(32)

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        if self.revoked_at is not None or not self.system.enabled:
            return False
        return self.expires_at is None or self.expires_at > now

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class Ownership(models.Model):
    """The system of record of one object type; no row (or no system) means Weft owns it."""

    OBJECT_TYPES = [
        "item",
        "supplier",
        "sourcing_rule",
        "bom",
        "forecast",
        "demand_order",
        "purchase_order",
        "receipt",
        "inventory",
        "work_order",
        "production",
        "quality",
    ]

    object_type = models.CharField(
        max_length=50, unique=True, choices=[(t, t) for t in OBJECT_TYPES]
    )
    system = models.ForeignKey(
        ExternalSystem,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="Empty: Weft itself is the system of record.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = audited()

    class Meta:
        ordering = ["object_type"]
        verbose_name_plural = "ownership"

    def __str__(self) -> str:
        return f"{self.object_type} → {self.system.code if self.system else 'weft'}"
