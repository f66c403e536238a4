"""Admin for the inbox and the code maps: read what arrived, replay what was fixed."""

from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin

from integrations.errors import ApplicationError
from integrations.inbox import inbound_message_replay
from integrations.models import CodeMap, InboundMessage


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "system", "message_type", "status", "channel", "received_at", "reason"]
    list_filter = ["status", "channel", "system", "message_type"]
    list_select_related = ["system"]
    search_fields = ["idempotency_key", "correlation_id", "reason"]
    date_hierarchy = "received_at"
    actions = ["replay"]
    readonly_fields = [f.name for f in InboundMessage._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Apply the selected rejected or dead messages again")
    def replay(self, request, queryset):
        replayed = 0
        for message in queryset:
            try:
                inbound_message_replay(message=message)
                replayed += 1
            except ApplicationError as error:
                self.message_user(
                    request, f"Message {message.pk}: {error.message}", messages.WARNING
                )
        self.message_user(request, f"Queued {replayed} message(s) to be applied again.")


@admin.register(CodeMap)
class CodeMapAdmin(SimpleHistoryAdmin):
    list_display = ["system", "domain", "external_code", "canonical_code", "valid_from", "valid_to"]
    list_filter = ["system", "domain"]
    list_select_related = ["system"]
    search_fields = ["external_code", "canonical_code"]
