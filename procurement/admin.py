"""Read-mostly admin: documents change through the services; tolerances are edited here."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from procurement.models import (
    AdvanceShipNotice,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    SupplierProposal,
    SupplierTolerance,
)


@admin.register(SupplierTolerance)
class SupplierToleranceAdmin(SimpleHistoryAdmin):
    list_display = [
        "__str__",
        "days_late",
        "days_early",
        "quantity_percent",
        "over_delivery_percent",
    ]
    list_select_related = ["supplier"]
    raw_id_fields = ["supplier"]


class ReadOnlyAdmin(SimpleHistoryAdmin):
    """Documents move through services (events, e-mail, ledger); the admin only shows them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PurchaseOrderLineInline(admin.TabularInline):
    model = PurchaseOrderLine
    extra = 0
    fields = [
        "line_number",
        "item",
        "quantity",
        "uom",
        "requested_date",
        "status",
        "ack_status",
        "confirmed_quantity",
        "confirmed_date",
        "received_quantity",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "supplier", "plant", "revision", "status", "issued_at", "ack_due_at"]
    list_filter = ["status", "plant"]
    list_select_related = ["supplier", "plant"]
    search_fields = ["number", "supplier__code", "supplier_reference"]
    inlines = [PurchaseOrderLineInline]


@admin.register(SupplierProposal)
class SupplierProposalAdmin(ReadOnlyAdmin):
    list_display = ["po_line", "kind", "proposed_quantity", "proposed_date", "status", "created_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["po_line__po"]


@admin.register(AdvanceShipNotice)
class AdvanceShipNoticeAdmin(ReadOnlyAdmin):
    list_display = ["number", "supplier", "ship_date", "expected_date", "status", "tracking"]
    list_filter = ["status"]
    list_select_related = ["supplier"]
    search_fields = ["number", "tracking"]


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ["number", "plant", "received_at", "source"]
    list_select_related = ["plant"]
    search_fields = ["number"]
