"""Admin for connectors: partner APIs, versioned mappings (test, then activate), connectors and runs."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from integrations.connectors.auth import auth_check
from integrations.connectors.mapping import (
    compiled,
    mapping_version_activate,
    mapping_version_edit_check,
    mapping_version_test,
)
from integrations.connectors.pull import full_resync_request
from integrations.errors import ApplicationError
from integrations.models import (
    ApiCall,
    ApiCallMessage,
    Connector,
    ExternalReference,
    Mapping,
    MappingVersion,
    PartnerApi,
    SyncRun,
)
from integrations.schemas import OUTBOUND_TYPES
from integrations.webhooks import refuse_unsafe_url


class PartnerApiForm(forms.ModelForm):
    base_url = forms.URLField(max_length=500, assume_scheme="https")
    token_url = forms.URLField(max_length=500, assume_scheme="https", required=False)
    secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only: leave empty to keep the current one.",
    )

    class Meta:
        model = PartnerApi
        fields = [
            "system",
            "base_url",
            "auth_kind",
            "api_key_header",
            "username",
            "secret",
            "token_url",
            "scope",
            "timeout_seconds",
            "requests_per_second",
            "requests_per_day",
            "max_concurrency",
            "failure_threshold",
            "probe_after_seconds",
        ]

    def clean(self):
        data = super().clean()
        if not data.get("secret") and self.instance.pk:
            data["secret"] = self.instance.secret
        for name in ("base_url", "token_url"):
            if data.get(name):
                try:
                    refuse_unsafe_url(data[name], field=name, resolve=False)
                except ApplicationError as error:
                    self.add_error(name, error.message)
        try:
            auth_check(
                auth_kind=data.get("auth_kind", ""),
                username=data.get("username", ""),
                secret=data.get("secret", ""),
                token_url=data.get("token_url", ""),
            )
        except ApplicationError as error:
            self.add_error(
                error.extra["field"] if error.extra.get("field") in self.fields else None,
                error.message,
            )
        return data


@admin.register(PartnerApi)
class PartnerApiAdmin(SimpleHistoryAdmin):
    form = PartnerApiForm
    list_display = [
        "system",
        "base_url",
        "auth_kind",
        "requests_per_second",
        "max_concurrency",
        "circuit",
        "circuit_opened_at",
    ]
    list_filter = ["auth_kind", "circuit"]
    readonly_fields = ["circuit", "consecutive_failures", "circuit_opened_at", "last_failure"]
    actions = ["close_circuit"]

    @admin.action(description="Close the circuit (the partner is known to be back)")
    def close_circuit(self, request, queryset):
        from integrations.connectors.limits import circuit_success

        for api in queryset:
            circuit_success(api)
        self.message_user(request, f"Closed {queryset.count()} circuit(s).")


class MappingVersionInline(admin.TabularInline):
    model = MappingVersion
    fields = ["number", "link", "tested_at", "passed", "activated_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="version")
    def link(self, version: MappingVersion):
        url = reverse("admin:integrations_mappingversion_change", args=[version.pk])
        return format_html('<a href="{}">edit, test, activate</a>', url)

    @admin.display(boolean=True, description="sample passed")
    def passed(self, version: MappingVersion) -> bool:
        return version.passed_test()


@admin.register(Mapping)
class MappingAdmin(SimpleHistoryAdmin):
    list_display = ["name", "direction", "message_type", "active_version", "updated_at"]
    list_filter = ["direction"]
    search_fields = ["name", "message_type"]
    readonly_fields = ["active_version"]
    inlines = [MappingVersionInline]

    def get_readonly_fields(self, request, obj=None):
        # The direction and type decide what every version is tested against.
        return [*self.readonly_fields, "direction", "message_type"] if obj else self.readonly_fields


class MappingVersionForm(forms.ModelForm):
    class Meta:
        model = MappingVersion
        fields = ["mapping", "expression", "sample_payload"]
        widgets = {"expression": forms.Textarea(attrs={"rows": 14, "cols": 100})}

    def clean_expression(self) -> str:
        expression = self.cleaned_data["expression"]
        try:
            compiled(expression)
        except ApplicationError as error:
            raise ValidationError(error.message) from error
        return expression

    def clean(self):
        data = super().clean()
        if self.instance.pk:
            try:
                mapping_version_edit_check(version=self.instance)
            except ApplicationError as error:
                raise ValidationError(error.message) from error
        return data


@admin.register(MappingVersion)
class MappingVersionAdmin(SimpleHistoryAdmin):
    form = MappingVersionForm
    list_display = ["__str__", "mapping", "number", "tested_at", "passed", "activated_at"]
    list_filter = ["mapping"]
    readonly_fields = ["number", "tested_at", "test_errors", "tested_output", "activated_at"]
    actions = ["test_sample", "activate"]

    @admin.display(boolean=True, description="sample passed")
    def passed(self, version: MappingVersion) -> bool:
        return version.passed_test()

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.was_activated():
            return [*self.readonly_fields, "mapping", "expression", "sample_payload"]
        if obj is not None:
            return [*self.readonly_fields, "mapping"]
        return self.readonly_fields

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        if not change:
            from django.db.models import Max

            top = obj.mapping.versions.aggregate(top=Max("number"))["top"] or 0
            obj.number = top + 1
        if change and {"expression", "sample_payload"} & set(form.changed_data):
            obj.tested_digest = ""  # an edited version is tested again before it is activated
        super().save_model(request, obj, form, change)

    @admin.action(description="Test with the sample payload")
    def test_sample(self, request, queryset):
        for version in queryset:
            tested = mapping_version_test(version=version)
            if tested.test_errors:
                first = tested.test_errors[0]
                self.message_user(
                    request,
                    f"{tested}: the sample fails: {first.get('field') or ''} {first['message']}",
                    messages.ERROR,
                )
            else:
                self.message_user(request, f"{tested}: the sample passed.", messages.SUCCESS)

    @admin.action(description="Activate (only a version whose sample passed)")
    def activate(self, request, queryset):
        for version in queryset:
            try:
                mapping_version_activate(version=version)
            except ApplicationError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(request, f"{version} is active.", messages.SUCCESS)


@admin.register(Connector)
class ConnectorAdmin(SimpleHistoryAdmin):
    list_display = [
        "__str__",
        "enabled",
        "pagination",
        "schedule_seconds",
        "watermark",
        "next_run_at",
        "last_run",
    ]
    list_filter = ["enabled", "pagination", "api"]
    readonly_fields = ["watermark", "next_run_at"]
    actions = ["run_now", "full_resync"]

    @admin.display(description="last run")
    def last_run(self, connector: Connector) -> str:
        run = connector.runs.first()
        return f"{run.status}: {run.progress}" if run else "never"

    def _enqueue(self, request, queryset, *, full: bool) -> None:
        from integrations.tasks.connectors import sync_connector

        ids = list(queryset.values_list("id", flat=True))
        for connector in queryset:
            if full:
                full_resync_request(connector=connector)
        transaction.on_commit(
            lambda: [sync_connector.delay(pk, full_resync=full, trigger="admin") for pk in ids]
        )
        self.message_user(
            request,
            f"Queued {'a full resync' if full else 'a run'} of {len(ids)} connector(s); "
            "see Sync runs for progress.",
        )

    @admin.action(description="Run now")
    def run_now(self, request, queryset):
        self._enqueue(request, queryset, full=False)

    @admin.action(description="Full resync (ignore the watermark)")
    def full_resync(self, request, queryset):
        self._enqueue(request, queryset, full=True)


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "connector",
        "status",
        "trigger",
        "started_at",
        "pages",
        "records",
        "new",
        "changed",
        "unchanged",
        "rejected",
        "duration_ms",
        "progress",
    ]
    list_filter = ["status", "connector", "full_resync"]
    readonly_fields = [f.name for f in SyncRun._meta.fields] + ["messages"]

    @admin.display(description="inbound messages")
    def messages(self, run: SyncRun):
        url = reverse("admin:integrations_inboundmessage_changelist")
        return format_html(
            '<a href="{}?correlation_id={}">messages stored by this run</a>',
            url,
            run.correlation_id,
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ApiCallForm(forms.ModelForm):
    event_types = forms.MultipleChoiceField(
        choices=[(t, t) for t in sorted(OUTBOUND_TYPES)], widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiCall
        fields = [
            "api",
            "name",
            "event_types",
            "method",
            "path_template",
            "mapping",
            "document_number_path",
            "object_type",
            "object_key_path",
            "enabled",
            "max_attempts",
        ]

    def clean_mapping(self):
        mapping = self.cleaned_data["mapping"]
        if mapping.direction != Mapping.Direction.OUTBOUND:
            raise ValidationError("An API call needs an outbound mapping.")
        return mapping


@admin.register(ApiCall)
class ApiCallAdmin(SimpleHistoryAdmin):
    form = ApiCallForm
    list_display = ["__str__", "method", "path_template", "mapping", "object_type", "enabled"]
    list_filter = ["enabled", "api"]


@admin.register(ApiCallMessage)
class ApiCallMessageAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "call",
        "event",
        "status",
        "attempts",
        "last_status_code",
        "document_number",
        "next_attempt_at",
    ]
    list_filter = ["status", "call"]
    readonly_fields = [f.name for f in ApiCallMessage._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ExternalReference)
class ExternalReferenceAdmin(SimpleHistoryAdmin):
    list_display = ["object_type", "object_key", "system", "external_number", "updated_at"]
    list_filter = ["system", "object_type"]
    search_fields = ["object_key", "external_number"]
