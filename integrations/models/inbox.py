from django.db import models

from integrations.models.systems import ExternalSystem


class InboundMessageQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=InboundMessage.Status.RECEIVED)


class InboundMessage(models.Model):
    """Everything a partner sent, stored raw before it is parsed; never deleted by processing."""

    class Status(models.TextChoices):
        RECEIVED = "received"
        APPLIED = "applied"
        REJECTED = "rejected"
        DEAD = "dead"

    class Channel(models.TextChoices):
        API = "api"
        BATCH = "batch"
        CSV = "csv"
        EDI = "edi"
        CONNECTOR = "connector"
        PORTAL = "portal"

    system = models.ForeignKey(
        ExternalSystem, on_delete=models.PROTECT, related_name="inbound_messages"
    )
    idempotency_key = models.CharField(max_length=200)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.API)
    message_type = models.CharField(max_length=100, blank=True, db_index=True)
    version = models.PositiveIntegerField(null=True, blank=True)
    correlation_id = models.CharField(max_length=64, db_index=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    body = models.TextField(help_text="The raw body exactly as received.")
    body_sha256 = models.CharField(max_length=64)
    envelope = models.JSONField(
        null=True, blank=True, help_text="The parsed envelope, once it parsed."
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    reason = models.TextField(blank=True)
    errors = models.JSONField(default=list, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(default=202)

    objects = InboundMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["system", "idempotency_key"], name="inbound_unique_key_per_system"
            ),
        ]
        indexes = [
            models.Index(
                fields=["system", "message_type", "status"], name="inbound_system_type_status"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.system_id}:{self.idempotency_key} {self.message_type} ({self.status})"

    @property
    def data(self) -> dict:
        """The envelope's data as sent, once the body parsed."""
        return (self.envelope or {}).get("data") or {}
