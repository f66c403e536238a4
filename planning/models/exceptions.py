"""The exception workbench: one row per condition that needs a person, and every triage step.

A detector (or the MRP writer) names a condition by a stable key, kind plus object
(`proposal_review:po_line:4711`), so the same condition is never listed twice: at most one
open row per key (a partial unique index). A condition that clears closes its row; one that
returns reopens the same row, so the history of a condition stays in one place.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class PlanningExceptionQuerySet(models.QuerySet):
    def open(self):
        return self.filter(closed_at__isnull=True)

    def actionable(self):
        """Open and not snoozed: what a planner should look at now."""
        return self.filter(state__in=PlanningException.ACTIONABLE_STATES)


class PlanningException(models.Model):
    class Kind(models.TextChoices):
        SHORTAGE = "shortage", "Shortage"
        BELOW_SAFETY_STOCK = "below_safety_stock", "Below safety stock"
        RESCHEDULE_IN = "reschedule_in", "Reschedule in"
        RESCHEDULE_OUT = "reschedule_out", "Reschedule out"
        CANCEL = "cancel", "Cancel"
        EXPEDITE = "expedite", "Expedite"
        PAST_DUE = "past_due", "Past due"
        LATE_CONFIRMATION = "late_confirmation", "Late confirmation"
        PROPOSAL_REVIEW = "proposal_review", "Supplier proposal to review"
        ACK_OVERDUE = "ack_overdue", "Acknowledgement overdue"
        DEAD_INBOUND = "dead_inbound", "Dead inbound message"
        DEAD_OUTBOUND = "dead_outbound", "Dead outbound message"
        INVENTORY_MISMATCH = "inventory_mismatch", "Inventory mismatch"
        PARTNER_UNREACHABLE = "partner_unreachable", "Partner system unreachable"

    class Severity(models.IntegerChoices):
        LOW = 1, "low"
        MEDIUM = 2, "medium"
        HIGH = 3, "high"
        CRITICAL = 4, "critical"

    class State(models.TextChoices):
        NEW = "new", "New"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        SNOOZED = "snoozed", "Snoozed"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Auto-closed"

    class Resolution(models.TextChoices):
        FIXED = "fixed", "Fixed"
        ACCEPTED = "accepted", "Accepted as is"
        NOT_AN_ISSUE = "not_an_issue", "Not an issue"
        DUPLICATE = "duplicate", "Handled elsewhere"

    OPEN_STATES = (State.NEW, State.ACKNOWLEDGED, State.SNOOZED)
    ACTIONABLE_STATES = (State.NEW, State.ACKNOWLEDGED)

    key = models.CharField(max_length=200, help_text="Kind plus object: the condition's name.")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices, default=Severity.MEDIUM)
    item = models.ForeignKey(
        "masterdata.Item", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    plant = models.ForeignKey(
        "masterdata.Plant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    supplier = models.ForeignKey(
        "masterdata.Supplier", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    po_line = models.ForeignKey(
        "procurement.PurchaseOrderLine",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    work_order = models.ForeignKey(
        "execution.WorkOrder", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    inbound_message = models.ForeignKey(
        "integrations.InboundMessage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    outbound_message = models.ForeignKey(
        "integrations.OutboundMessage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    planner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The item's planner when raised: the default owner.",
    )
    summary = models.CharField(max_length=300)
    detail = models.JSONField(default=dict, blank=True)
    due_at = models.DateTimeField(
        null=True, blank=True, help_text="When acting stops helping (time to act)."
    )

    state = models.CharField(max_length=12, choices=State.choices, default=State.NEW)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_exceptions",
    )
    snoozed_until = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True)
    resolution_note = models.TextField(blank=True)
    close_reason = models.CharField(max_length=200, blank=True)

    opened_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    cleared_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a detector last saw the condition gone (a resolved row reopens only after).",
    )
    reopen_count = models.PositiveIntegerField(default=0)

    objects = PlanningExceptionQuerySet.as_manager()

    class Meta:
        db_table = "planning_exception"
        ordering = ["-severity", "opened_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=Q(closed_at__isnull=True),
                name="exception_one_open_per_key",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True, state__in=["new", "acknowledged", "snoozed"])
                | Q(closed_at__isnull=False, state__in=["resolved", "closed"]),
                name="exception_closed_matches_state",
            ),
            models.CheckConstraint(
                condition=~Q(state="snoozed") | Q(snoozed_until__isnull=False),
                name="exception_snoozed_has_until",
            ),
        ]
        indexes = [
            # The default view (new and acknowledged) in each sort, whole or per kind, read in
            # order straight from a partial index, so a first page never sorts 100,000 rows.
            models.Index(
                fields=["-severity", "opened_at", "id"],
                name="exception_act_sev_idx",
                condition=Q(state__in=["new", "acknowledged"]),
            ),
            models.Index(
                fields=["kind", "-severity", "opened_at", "id"],
                name="exception_act_kind_idx",
                condition=Q(state__in=["new", "acknowledged"]),
            ),
            models.Index(
                fields=["opened_at", "id"],
                name="exception_act_age_idx",
                condition=Q(state__in=["new", "acknowledged"]),
            ),
            # The counts per kind of the default view, from the index alone.
            models.Index(
                fields=["kind", "severity", "due_at", "opened_at"],
                name="exception_act_counts_idx",
                condition=Q(state__in=["new", "acknowledged"]),
            ),
            models.Index(
                fields=["kind", "severity", "due_at", "opened_at"],
                name="exception_open_counts_idx",
                condition=Q(closed_at__isnull=True),
            ),
            models.Index(
                fields=["-severity", "opened_at", "id"],
                name="exception_open_sev_idx",
                condition=Q(closed_at__isnull=True),
            ),
            models.Index(
                fields=["state", "-severity", "opened_at", "id"], name="exception_state_sev_idx"
            ),
            models.Index(fields=["key", "-opened_at"], name="exception_key_idx"),
            models.Index(
                fields=["plant", "state"],
                name="exception_plant_idx",
                condition=Q(closed_at__isnull=True),
            ),
            models.Index(
                fields=["supplier", "state"],
                name="exception_supplier_idx",
                condition=Q(closed_at__isnull=True),
            ),
            models.Index(
                fields=["planner", "state"],
                name="exception_planner_idx",
                condition=Q(closed_at__isnull=True),
            ),
            models.Index(
                fields=["assigned_to", "state"],
                name="exception_assignee_idx",
                condition=Q(closed_at__isnull=True),
            ),
            models.Index(
                fields=["snoozed_until"], name="exception_snooze_idx", condition=Q(state="snoozed")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def severity_label(self) -> str:
        return self.Severity(self.severity).label


class ExceptionEvent(models.Model):
    """One triage step or detector decision on an exception, for its history."""

    class Action(models.TextChoices):
        RAISED = "raised", "Raised"
        REOPENED = "reopened", "Reopened"
        AUTO_CLOSED = "auto_closed", "Auto-closed"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        ASSIGNED = "assigned", "Assigned"
        SNOOZED = "snoozed", "Snoozed"
        WOKE = "woke", "Snooze ended"
        RESOLVED = "resolved", "Resolved"
        SEVERITY = "severity", "Severity changed"
        ACTION = "action", "Action taken"

    exception = models.ForeignKey(
        PlanningException, on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "planning_exception_event"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["exception", "at"], name="exception_event_idx")]

    def __str__(self) -> str:
        return f"{self.exception_id} {self.action} at {self.at:%Y-%m-%d %H:%M}"
