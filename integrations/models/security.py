from django.db import models
from django.utils import timezone

from integrations.models.systems import ApiKey, ExternalSystem


class SecurityEvent(models.Model):
    """One security-relevant thing that happened: kept for the console and for an auditor."""

    class Kind(models.TextChoices):
        KEY_CREATED = "key_created", "API key created"
        KEY_REVOKED = "key_revoked", "API key revoked"
        KEY_ROTATED = "key_rotated", "API key rotated"
        WEBHOOK_SECRET_ROTATED = "webhook_secret_rotated", "Webhook secret rotated"
        LOGIN_LOCKED_OUT = "login_locked_out", "Login locked out"
        PERMISSION_REFUSED = "permission_refused", "Permission refused"

    kind = models.CharField(max_length=30, choices=Kind.choices)
    occurred_at = models.DateTimeField(default=timezone.now)
    system = models.ForeignKey(
        ExternalSystem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    path = models.CharField(max_length=500, blank=True)
    correlation_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["-occurred_at"], name="security_event_recent"),
            models.Index(fields=["kind", "-occurred_at"], name="security_event_kind_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.kind}"
