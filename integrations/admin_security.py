from django.contrib import admin

from integrations.models import SecurityEvent


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """Read-only: an audit trail is appended to by the code, never edited by hand."""

    list_display = ["occurred_at", "kind", "system", "api_key", "username", "ip_address", "path"]
    list_filter = ["kind", "system"]
    search_fields = ["username", "path", "correlation_id"]
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
