"""Admin for canonical objects: read-only where an external system is the system of record."""

from django.contrib import messages
from simple_history.admin import SimpleHistoryAdmin

from integrations.ownership import WEFT, owner_of


class OwnedModelAdmin(SimpleHistoryAdmin):
    """Set `object_type`; the admin refuses changes when another system owns that type."""

    object_type: str = ""

    def owner(self) -> str:
        return owner_of(self.object_type) if self.object_type else WEFT

    def owned_elsewhere(self) -> bool:
        return self.owner() != WEFT

    def has_add_permission(self, request, *args) -> bool:
        return not self.owned_elsewhere() and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None) -> bool:
        return not self.owned_elsewhere() and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not self.owned_elsewhere() and super().has_delete_permission(request, obj)

    def changelist_view(self, request, extra_context=None):
        self._warn_owner(request)
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._warn_owner(request)
        return super().change_view(request, object_id, form_url, extra_context)

    def _warn_owner(self, request) -> None:
        owner = self.owner()
        if owner != WEFT and request.method == "GET":
            messages.info(
                request,
                f"{self.object_type} is owned by {owner}: changes must come from {owner}, so this is read-only.",
            )
