"""Connectors: how Weft calls a partner's own API, pulls its records and pushes events to it.

A PartnerApi holds what is shared by every call to one system (where, how to authenticate,
how hard it may be called, and its circuit breaker); a Connector pulls one resource of it on a
schedule; an ApiCall pushes canonical events to one of its endpoints. Mappings from their JSON
to ours (and back) are versioned data in Mapping / MappingVersion.
"""

import hashlib

from django.db import models
from django.db.models import Q

from integrations.history import audited
from integrations.models.outbox import Event
from integrations.models.systems import ExternalSystem


class PartnerApi(models.Model):
    """A partner system's REST API: base URL, credentials, limits, and its circuit breaker."""

    class AuthKind(models.TextChoices):
        NONE = "none", "None"
        API_KEY = "api_key", "API key header"
        BASIC = "basic", "HTTP basic"
        OAUTH2 = "oauth2", "OAuth2 client credentials"

    class Circuit(models.TextChoices):
        CLOSED = "closed", "Closed (calling)"
        OPEN = "open", "Open (not calling)"
        HALF_OPEN = "half_open", "Half open (one probe in flight)"

    system = models.OneToOneField(ExternalSystem, on_delete=models.CASCADE, related_name="api")
    base_url = models.URLField(max_length=500, help_text="e.g. https://erp.example.com/api")
    auth_kind = models.CharField(max_length=10, choices=AuthKind.choices, default=AuthKind.NONE)
    api_key_header = models.CharField(max_length=100, default="X-API-Key", blank=True)
    username = models.CharField(
        max_length=200, blank=True, help_text="Basic user, or the OAuth2 client id."
    )
    secret = models.CharField(
        max_length=500, blank=True, help_text="API key, basic password or OAuth2 client secret."
    )
    token_url = models.URLField(max_length=500, blank=True, help_text="OAuth2 token endpoint.")
    scope = models.CharField(max_length=300, blank=True, help_text="OAuth2 scope, if any.")
    timeout_seconds = models.PositiveIntegerField(default=15)
    requests_per_second = models.PositiveIntegerField(
        default=10, help_text="Across every worker process (counted in Redis); 0: no limit."
    )
    requests_per_day = models.PositiveIntegerField(default=0, help_text="0: no daily limit.")
    max_concurrency = models.PositiveIntegerField(
        default=4, help_text="Calls in flight at once, across every worker process."
    )
    failure_threshold = models.PositiveIntegerField(
        default=5, help_text="Consecutive failures (5xx, timeout, refused) that open the circuit."
    )
    probe_after_seconds = models.PositiveIntegerField(
        default=60, help_text="How long an open circuit waits before one probe call."
    )
    circuit = models.CharField(max_length=10, choices=Circuit.choices, default=Circuit.CLOSED)
    consecutive_failures = models.PositiveIntegerField(default=0)
    circuit_opened_at = models.DateTimeField(null=True, blank=True)
    last_probe_at = models.DateTimeField(null=True, blank=True)
    last_failure = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = audited(
        excluded_fields=[
            "secret",
            "circuit",
            "consecutive_failures",
            "circuit_opened_at",
            "last_probe_at",
            "last_failure",
            "updated_at",
        ]
    )

    class Meta:
        ordering = ["system__code"]
        verbose_name = "partner API"
        constraints = [
            models.CheckConstraint(
                condition=Q(timeout_seconds__gte=1, timeout_seconds__lte=120),
                name="partner_api_timeout_range",
            ),
            models.CheckConstraint(
                condition=Q(max_concurrency__gte=1), name="partner_api_concurrency_positive"
            ),
            models.CheckConstraint(
                condition=Q(failure_threshold__gte=1), name="partner_api_threshold_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.system.code} API"

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    def credentials_fingerprint(self) -> str:
        """Changes whenever what a cached token was issued for changes."""
        material = "|".join([self.token_url, self.username, self.secret, self.scope])
        return hashlib.sha256(material.encode()).hexdigest()[:16]


class Mapping(models.Model):
    """A declarative mapping (a JMESPath expression per version) between a partner's JSON and ours."""

    class Direction(models.TextChoices):
        INBOUND = "inbound", "Partner record → canonical message data"
        OUTBOUND = "outbound", "Canonical event data → partner request body"

    name = models.SlugField(max_length=100, unique=True)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    message_type = models.CharField(
        max_length=100, help_text="The canonical type produced (inbound) or read (outbound)."
    )
    active_version = models.ForeignKey(
        "MappingVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Set by activating a tested version.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = audited()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MappingVersion(models.Model):
    """One version of a mapping; it can be activated only after its sample passed."""

    mapping = models.ForeignKey(Mapping, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    expression = models.TextField(
        help_text="A JMESPath expression returning the target object, usually a multiselect "
        "hash: {code: id, description: name}. Keys whose value is null are left out."
    )
    sample_payload = models.JSONField(
        help_text="A real partner record (inbound) or canonical event data (outbound)."
    )
    tested_digest = models.CharField(
        max_length=64, blank=True, help_text="Digest of expression + sample when its test passed."
    )
    tested_output = models.JSONField(null=True, blank=True)
    test_errors = models.JSONField(default=list, blank=True)
    tested_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = audited()

    class Meta:
        ordering = ["mapping", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["mapping", "number"], name="mapping_version_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mapping.name} v{self.number}"

    def digest(self) -> str:
        import json

        material = json.dumps([self.expression, self.sample_payload], sort_keys=True)
        return hashlib.sha256(material.encode()).hexdigest()

    def passed_test(self) -> bool:
        """Its current expression and sample are the ones that passed (an edit needs a new test)."""
        return bool(self.tested_digest) and self.tested_digest == self.digest()

    def was_activated(self) -> bool:
        return self.activated_at is not None


class Connector(models.Model):
    """Pulls one resource of a partner API on a schedule into the inbox."""

    class Pagination(models.TextChoices):
        PAGE = "page", "Page number (page, per_page)"
        OFFSET = "offset", "Offset and limit"
        CURSOR = "cursor", "Cursor from the body"
        LINK = "link", "Link header rel=next"

    api = models.ForeignKey(PartnerApi, on_delete=models.CASCADE, related_name="connectors")
    resource = models.SlugField(max_length=50, help_text="e.g. items, purchase-orders")
    path = models.CharField(max_length=300, help_text="Relative to the API's base URL.")
    mapping = models.ForeignKey(Mapping, on_delete=models.PROTECT, related_name="connectors")
    enabled = models.BooleanField(default=True)
    schedule_seconds = models.PositiveIntegerField(default=900, help_text="Run every N seconds.")
    pagination = models.CharField(
        max_length=10, choices=Pagination.choices, default=Pagination.PAGE
    )
    page_size = models.PositiveIntegerField(default=100)
    page_param = models.CharField(max_length=50, default="page", blank=True)
    size_param = models.CharField(max_length=50, default="per_page", blank=True)
    offset_param = models.CharField(max_length=50, default="offset", blank=True)
    cursor_param = models.CharField(max_length=50, default="cursor", blank=True)
    next_cursor_path = models.CharField(
        max_length=200, default="next_cursor", blank=True, help_text="JMESPath into the body."
    )
    records_path = models.CharField(
        max_length=200, default="data", help_text="JMESPath to the list of records; @ for a list."
    )
    record_id_path = models.CharField(max_length=200, default="id")
    updated_at_path = models.CharField(max_length=200, default="updated_at")
    updated_since_param = models.CharField(max_length=50, default="updated_since", blank=True)
    extra_params = models.JSONField(default=dict, blank=True, help_text="Sent on every page.")
    ordered_by_updated_at = models.BooleanField(
        default=True,
        help_text="The partner returns records oldest first, so a failed page keeps the "
        "watermark of the pages stored before it.",
    )
    overlap_seconds = models.PositiveIntegerField(
        default=300, help_text="Asks again for this much before the watermark (clock skew, ties)."
    )
    page_attempts = models.PositiveIntegerField(default=5)
    retry_base_seconds = models.FloatField(default=1.0)
    max_wait_seconds = models.PositiveIntegerField(
        default=60, help_text="Longest Retry-After or backoff waited within a run."
    )
    watermark = models.DateTimeField(
        null=True, blank=True, help_text="Highest updated-at stored; the next run asks from here."
    )
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    resync_requested = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = audited(excluded_fields=["watermark", "next_run_at", "updated_at"])

    class Meta:
        ordering = ["api__system__code", "resource"]
        constraints = [
            models.UniqueConstraint(fields=["api", "resource"], name="connector_unique_resource"),
            models.CheckConstraint(
                condition=Q(page_size__gte=1, page_size__lte=10000), name="connector_page_size"
            ),
            models.CheckConstraint(
                condition=Q(schedule_seconds__gte=10), name="connector_schedule_min"
            ),
            models.CheckConstraint(
                condition=Q(page_attempts__gte=1, page_attempts__lte=20),
                name="connector_page_attempts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.api.system.code}/{self.resource}"

    @property
    def system(self) -> ExternalSystem:
        return self.api.system


class SyncRun(models.Model):
    """One run of a connector, updated page by page so the console shows it while it runs."""

    class Status(models.TextChoices):
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    full_resync = models.BooleanField(default=False)
    trigger = models.CharField(max_length=20, default="schedule")
    correlation_id = models.CharField(max_length=64, db_index=True)
    updated_since = models.DateTimeField(null=True, blank=True)
    watermark_before = models.DateTimeField(null=True, blank=True)
    watermark_after = models.DateTimeField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0)
    records = models.PositiveIntegerField(default=0)
    new = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(
        default=0, help_text="Records the inbox had already (the overlap window, a rerun)."
    )
    rejected = models.PositiveIntegerField(
        default=0, help_text="Refused at intake (mapping or schema), stored as rejected."
    )
    retries = models.PositiveIntegerField(default=0)
    progress = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    failed_page = models.PositiveIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"{self.connector} run {self.pk} ({self.status})"

    def records_per_second(self) -> float | None:
        if not self.duration_ms:
            return None
        return self.records * 1000 / self.duration_ms


class PulledRecord(models.Model):
    """The last version of each partner record a connector stored, so a run tells new from changed."""

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="records")
    record_id = models.CharField(max_length=200)
    updated_at = models.DateTimeField()
    message_id = models.BigIntegerField(help_text="The inbound message it became.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "record_id"], name="pulled_record_unique_per_connector"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.connector_id}:{self.record_id}@{self.updated_at:%Y-%m-%d %H:%M:%S}"


class ApiCall(models.Model):
    """An outbound subscription that calls the partner's own API instead of a webhook."""

    class Method(models.TextChoices):
        POST = "POST"
        PUT = "PUT"
        PATCH = "PATCH"

    api = models.ForeignKey(PartnerApi, on_delete=models.CASCADE, related_name="calls")
    name = models.SlugField(max_length=100)
    event_types = models.JSONField(default=list)
    method = models.CharField(max_length=6, choices=Method.choices, default=Method.POST)
    path_template = models.CharField(
        max_length=300,
        help_text="Relative to the base URL; {field} is filled from the event data, "
        "e.g. requisitions or orders/{number}.",
    )
    mapping = models.ForeignKey(Mapping, on_delete=models.PROTECT, related_name="calls")
    document_number_path = models.CharField(
        max_length=200, blank=True, help_text="JMESPath into the answer, e.g. document_number."
    )
    object_type = models.CharField(
        max_length=50, help_text="What the number is stored on, e.g. planned_order."
    )
    object_key_path = models.CharField(
        max_length=200, default="number", help_text="JMESPath into the event data: its key."
    )
    enabled = models.BooleanField(default=True)
    max_attempts = models.PositiveIntegerField(default=10)
    updated_at = models.DateTimeField(auto_now=True)

    history = audited()

    class Meta:
        ordering = ["api__system__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["api", "name"], name="api_call_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.api.system.code}/{self.name}"

    def wants(self, event_type: str) -> bool:
        return event_type in self.event_types


class ApiCallMessageQuerySet(models.QuerySet):
    def due(self, now):
        return self.filter(status=ApiCallMessage.Status.PENDING, next_attempt_at__lte=now)


class ApiCallMessage(models.Model):
    """One event on its way to one ApiCall, with its retry state and the partner's answer."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        DEAD = "dead"

    call = models.ForeignKey(ApiCall, on_delete=models.CASCADE, related_name="messages")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="api_calls")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    response_body = models.TextField(blank=True)
    document_number = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = ApiCallMessageQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["call", "event"], name="api_call_message_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.call} ({self.status})"


class ExternalReference(models.Model):
    """A partner's number for a Weft object (e.g. the ERP's requisition for a planned order)."""

    system = models.ForeignKey(
        ExternalSystem, on_delete=models.CASCADE, related_name="external_references"
    )
    object_type = models.CharField(max_length=50)
    object_key = models.CharField(max_length=200)
    external_number = models.CharField(max_length=100)
    source_message = models.ForeignKey(
        ApiCallMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = audited()

    class Meta:
        ordering = ["system__code", "object_type", "object_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["system", "object_type", "object_key"], name="external_reference_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.object_type} {self.object_key} = {self.system.code} {self.external_number}"
