from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from integrations.admin_ownership import OwnedModelAdmin
from masterdata.models import (
    Bom,
    BomLine,
    Item,
    ItemPlant,
    Plant,
    SourcingRule,
    Supplier,
    SupplierMembership,
    UnitOfMeasure,
    UomConversion,
)


@admin.register(Plant)
class PlantAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "time_zone"]
    search_fields = ["code", "name"]


@admin.register(UnitOfMeasure)
class UnitOfMeasureAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "dimension"]
    list_filter = ["dimension"]


@admin.register(UomConversion)
class UomConversionAdmin(OwnedModelAdmin):
    object_type = "item"
    list_display = ["from_uom", "to_uom", "factor", "item"]
    list_select_related = ["from_uom", "to_uom", "item"]
    raw_id_fields = ["item"]


class ItemPlantInline(admin.TabularInline):
    model = ItemPlant
    extra = 0

    def _owned(self, request):
        return self.admin_site._registry[Item].owned_elsewhere()

    def has_add_permission(self, request, obj=None):
        return not self._owned(request) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._owned(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._owned(request) and super().has_delete_permission(request, obj)


@admin.register(Item)
class ItemAdmin(OwnedModelAdmin):
    object_type = "item"
    list_display = [
        "code",
        "description",
        "item_type",
        "lifecycle",
        "low_level_code",
        "base_uom",
        "planner",
    ]
    list_filter = ["item_type", "lifecycle", "low_level_code"]
    list_select_related = ["base_uom", "planner"]
    search_fields = ["code", "description"]
    readonly_fields = ["low_level_code"]
    inlines = [ItemPlantInline]


@admin.register(Supplier)
class SupplierAdmin(OwnedModelAdmin):
    object_type = "supplier"
    list_display = ["code", "name", "status", "ack_sla_hours", "external_system"]
    list_filter = ["status"]
    search_fields = ["code", "name"]


@admin.register(SupplierMembership)
class SupplierMembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "supplier"]
    list_select_related = ["user", "supplier"]
    raw_id_fields = ["user"]


@admin.register(SourcingRule)
class SourcingRuleAdmin(OwnedModelAdmin):
    object_type = "sourcing_rule"
    list_display = [
        "item",
        "supplier",
        "plant",
        "priority",
        "lead_time_days",
        "unit_price",
        "currency",
    ]
    list_select_related = ["item", "supplier", "plant"]
    list_filter = ["plant", "supplier"]
    search_fields = ["item__code", "supplier__code", "supplier_item_code"]
    raw_id_fields = ["item"]


class BomLineInline(admin.TabularInline):
    model = BomLine
    extra = 0
    raw_id_fields = ["component"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Bom)
class BomAdmin(SimpleHistoryAdmin):
    """Read-only here: BOM writes go through bom_upsert (API or inbound), which refuses cycles."""

    list_display = ["parent", "plant", "revision", "effective_from", "effective_to"]
    list_select_related = ["parent", "plant"]
    list_filter = ["plant"]
    search_fields = ["parent__code"]
    inlines = [BomLineInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
