"""Admin for the outbox: events, subscriptions (secret shown once), messages with their attempts."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from simple_history.admin import SimpleHistoryAdmin

from integrations import webhooks
from integrations.delivery import outbound_replay, subscription_create
from integrations.errors import ApplicationError
from integrations.models import DeliveryAttempt, Event, OutboundMessage, Subscription
from integrations.schemas import OUTBOUND_TYPES


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "event_type",
        "aggregate_key",
        "correlation_id",
        "occurred_at",
        "dispatched_at",
    ]
    list_filter = ["event_type"]
    search_fields = ["aggregate_key", "correlation_id"]
    readonly_fields = [f.name for f in Event._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        choices=[("*", "every event type"), *((t, t) for t in sorted(OUTBOUND_TYPES))],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Subscription
        fields = [
            "system",
            "url",
            "event_types",
            "format",
            "enabled",
            "max_attempts",
            "timeout_seconds",
        ]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            webhooks.refuse_unsafe_url(url)
        except ApplicationError as error:
            raise ValidationError(error.message) from error
        return url


@admin.register(Subscription)
class SubscriptionAdmin(SimpleHistoryAdmin):
    form = SubscriptionForm
    list_display = ["id", "system", "url", "event_type_list", "format", "enabled", "max_attempts"]
    list_filter = ["format", "enabled", "system"]
    search_fields = ["url", "system__code"]

    @admin.display(description="event types")
    def event_type_list(self, subscription: Subscription) -> str:
        return ", ".join(subscription.event_types)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        subscription, secret = subscription_create(
            system=data["system"],
            url=data["url"],
            event_types=data["event_types"],
            format=data["format"],
            max_attempts=data["max_attempts"],
            timeout_seconds=data["timeout_seconds"],
            enabled=data["enabled"],
        )
        obj.pk = subscription.pk
        messages.warning(request, f"The signing secret, shown this once: {secret}")


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ["number", "started_at", "duration_ms", "status_code", "error", "response_body"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "event",
        "subscription",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "replay_count",
    ]
    list_filter = ["status", "subscription__system", "event__event_type"]
    search_fields = ["aggregate_key", "event__correlation_id"]
    list_select_related = ["event", "subscription"]
    readonly_fields = [f.name for f in OutboundMessage._meta.fields]
    inlines = [DeliveryAttemptInline]
    actions = ["replay"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Replay the selected dead messages")
    def replay(self, request, queryset):
        replayed = outbound_replay(messages=queryset, acting=f"user {request.user.get_username()}")
        self.message_user(
            request, f"Replayed {replayed} dead message(s); others were left as they are."
        )
