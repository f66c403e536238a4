from django.db import models
from django.utils import timezone

from integrations.history import audited
from integrations.models.systems import ExternalSystem


class Event(models.Model):
    """Something Weft changed, written in the same transaction as the change (the outbox)."""

    event_type = models.CharField(max_length=100, db_index=True)
    version = models.PositiveIntegerField(default=1)
    aggregate_key = models.CharField(
        max_length=200,
        help_text="What the event is about (e.g. po:4500001); orders delivery per subscriber.",
    )
    data = models.JSONField()
    correlation_id = models.CharField(max_length=64, db_index=True)
    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)
    dispatched_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # Delivery holds a message back while an older event of its aggregate awaits dispatch.
            models.Index(
                fields=["aggregate_key", "id"],
                condition=models.Q(dispatched_at__isnull=True),
                name="event_undispatched_by_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.aggregate_key} #{self.pk}"

    @property
    def idempotency_key(self) -> str:
        """The envelope id: the same on every attempt and replay, so receivers dedupe on it."""
        return f"weft-event-{self.pk}"

    def envelope(self) -> dict:
        return {
            "type": self.event_type,
            "version": self.version,
            "id": self.idempotency_key,
            "source": "weft",
            "occurred_at": self.occurred_at.isoformat(),
            "correlation_id": self.correlation_id,
            "data": self.data,
        }


class Subscription(models.Model):
    """A partner system's wish to receive some event types at a URL, in a format."""

    class Format(models.TextChoices):
        JSON = "json", "Canonical JSON envelope"
        X12 = "x12", "X12 (850 for purchase orders)"
        EDIFACT = "edifact", "EDIFACT (ORDERS for purchase orders)"

    system = models.ForeignKey(
        ExternalSystem, on_delete=models.CASCADE, related_name="subscriptions"
    )
    event_types = models.JSONField(default=list, help_text="Event types delivered; ['*'] for all.")
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=200, help_text="HMAC-SHA256 key for X-Weft-Signature.")
    previous_secret = models.CharField(
        max_length=200, blank=True, help_text="The secret before the last rotation, still signing."
    )
    previous_secret_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Until then deliveries are signed with both secrets."
    )
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.JSON)
    enabled = models.BooleanField(default=True)
    max_attempts = models.PositiveIntegerField(default=10)
    timeout_seconds = models.PositiveIntegerField(default=10)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = audited(excluded_fields=["secret", "previous_secret"])

    class Meta:
        ordering = ["system__code", "id"]

    def __str__(self) -> str:
        return f"{self.system_id} → {self.url}"

    def signing_secrets(self, now=None) -> list[str]:
        """The current secret, and the previous one while its overlap window lasts."""
        now = now or timezone.now()
        secrets = [self.secret]
        if (
            self.previous_secret
            and self.previous_secret_expires_at
            and self.previous_secret_expires_at > now
        ):
            secrets.append(self.previous_secret)
        return secrets

    def wants(self, event_type: str) -> bool:
        return "*" in self.event_types or event_type in self.event_types


class OutboundMessageQuerySet(models.QuerySet):
    def due(self, now):
        return self.filter(status=OutboundMessage.Status.PENDING, next_attempt_at__lte=now)


class OutboundMessage(models.Model):
    """One event on its way to one subscription, with its retry state."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        DEAD = "dead"
        CANCELLED = "cancelled"

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="messages"
    )
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="deliveries")
    aggregate_key = models.CharField(max_length=200)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(
        db_index=True,
        help_text="When the next attempt is due; while an attempt runs, the end of its lease.",
    )
    enqueued_at = models.DateTimeField(
        null=True,
        blank=True,
        default=timezone.now,
        help_text="When a delivery task was last queued; the beat queues a due message again "
        "only when this is empty or stale, so a backlog does not fill the broker with copies.",
    )
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    replay_count = models.PositiveIntegerField(default=0)
    replayed_at = models.DateTimeField(null=True, blank=True)
    replayed_by = models.CharField(max_length=200, blank=True)
    attempts_at_replay = models.PositiveIntegerField(
        default=0,
        help_text="Attempts made before the last replay; the retry budget counts from here.",
    )

    objects = OutboundMessageQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event"], name="outbound_unique_event_per_subscription"
            ),
        ]
        indexes = [
            models.Index(
                fields=["subscription", "aggregate_key", "status"], name="outbound_ordering"
            ),
            models.Index(fields=["status", "next_attempt_at"], name="outbound_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription_id} ({self.status})"

    def attempts_since_replay(self) -> int:
        return self.attempts - self.attempts_at_replay

    def can_replay(self, *, include_delivered: bool = False) -> bool:
        """A dead message can be sent again; a delivered one only when asked for explicitly."""
        return self.status == self.Status.DEAD or (
            include_delivered and self.status == self.Status.DELIVERED
        )


class DeliveryAttempt(models.Model):
    """One HTTP call, kept with its answer so a dead message can be understood and replayed."""

    message = models.ForeignKey(
        OutboundMessage, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["message", "number"]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.message_id}: {self.status_code or self.error}"
