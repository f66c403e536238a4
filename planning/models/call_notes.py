"""Call-log notes a buyer or planner keeps on a purchase order while chasing its answer."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from procurement.models import PurchaseOrder


class CallNote(models.Model):
    """One note of a call (or other contact) about a PO: who wrote it, when, and what was said."""

    po = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="call_notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="call_notes"
    )
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["po", "-at"], name="call_note_po_at")]

    def __str__(self) -> str:
        return f"call note on {self.po_id} at {self.at:%Y-%m-%d %H:%M}"
