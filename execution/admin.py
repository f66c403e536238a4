from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from execution.models import (
    InventoryBalance,
    InventoryMismatch,
    InventoryTransaction,
    PlantTolerance,
    QualityHold,
    SystemInventorySettings,
    WorkOrder,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Stock moves only through the services; the admin shows it."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(InventoryTransaction)
class InventoryTransactionAdmin(ReadOnlyAdmin):
    list_display = [
        "occurred_at",
        "kind",
        "item",
        "plant",
        "quantity",
        "source_system",
        "transaction_key",
        "reference",
    ]
    list_filter = ["kind", "plant", "source_system"]
    search_fields = ["item__code", "transaction_key", "reference"]
    list_select_related = ["item", "plant"]


@admin.register(InventoryBalance)
class InventoryBalanceAdmin(ReadOnlyAdmin):
    list_display = ["item", "plant", "on_hand", "on_hold", "available", "updated_at"]
    list_filter = ["plant"]
    search_fields = ["item__code"]
    list_select_related = ["item", "plant"]


@admin.register(WorkOrder)
class WorkOrderAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = [
        "number",
        "item",
        "plant",
        "quantity",
        "completed_quantity",
        "status",
        "due_date",
    ]
    list_filter = ["status", "plant"]
    search_fields = ["number", "item__code"]
    list_select_related = ["item", "plant"]


@admin.register(QualityHold)
class QualityHoldAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = ["hold_id", "source_system", "item", "plant", "held_quantity", "status"]
    list_filter = ["status", "plant"]
    search_fields = ["hold_id", "item__code"]


@admin.register(InventoryMismatch)
class InventoryMismatchAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = [
        "item",
        "plant",
        "source",
        "as_of",
        "weft_on_hand",
        "external_on_hand",
        "status",
    ]
    list_filter = ["status", "plant", "source"]
    search_fields = ["item__code"]


@admin.register(PlantTolerance)
class PlantToleranceAdmin(SimpleHistoryAdmin):
    list_display = ["plant", "over_completion_percent", "mismatch_quantity", "mismatch_percent"]


@admin.register(SystemInventorySettings)
class SystemInventorySettingsAdmin(SimpleHistoryAdmin):
    list_display = [
        "system",
        "snapshot_owner_wins",
        "snapshot_url",
        "poll_interval_minutes",
        "last_polled_at",
    ]
    readonly_fields = ["last_polled_at", "last_poll_error"]
