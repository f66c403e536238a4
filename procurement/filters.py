"""One FilterSet per listed procurement model, shared by the partner API and the console lists."""

import django_filters as filters
from django.db.models import Q

from procurement.models import (
    AdvanceShipNotice,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    SupplierProposal,
)


class PurchaseOrderFilter(filters.FilterSet):
    supplier = filters.CharFilter(field_name="supplier__code")
    plant = filters.CharFilter(field_name="plant__code")
    status = filters.MultipleChoiceFilter(choices=PurchaseOrder.Status.choices)
    awaiting_acknowledgement = filters.BooleanFilter(
        method="filter_awaiting", label="Has lines waiting for the supplier's answer"
    )
    updated_since = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    q = filters.CharFilter(method="search", label="PO number, supplier reference or item contains")

    class Meta:
        model = PurchaseOrder
        fields = ["number", "supplier", "plant", "status"]

    def filter_awaiting(self, queryset, name, value):
        awaiting = PurchaseOrderLine.objects.awaiting_ack().values("po_id")
        return queryset.filter(pk__in=awaiting) if value else queryset.exclude(pk__in=awaiting)

    def search(self, queryset, name, value):
        items = PurchaseOrderLine.objects.filter(item__code__icontains=value).values("po_id")
        return queryset.filter(
            Q(number__icontains=value) | Q(supplier_reference__icontains=value) | Q(pk__in=items)
        )


class SupplierProposalFilter(filters.FilterSet):
    supplier = filters.CharFilter(field_name="po_line__po__supplier__code")
    plant = filters.CharFilter(field_name="po_line__po__plant__code")
    po = filters.CharFilter(field_name="po_line__po__number")
    status = filters.MultipleChoiceFilter(choices=SupplierProposal.Status.choices)
    updated_since = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = SupplierProposal
        fields = ["supplier", "plant", "po", "status", "kind"]


class StaleAcknowledgementFilter(filters.FilterSet):
    supplier = filters.CharFilter(field_name="po__supplier__code")
    plant = filters.CharFilter(field_name="po__plant__code")
    po = filters.CharFilter(field_name="po__number")
    reminded = filters.BooleanFilter(method="filter_reminded", label="Reminded at least once")

    class Meta:
        model = PurchaseOrderLine
        fields = ["supplier", "plant", "po"]

    def filter_reminded(self, queryset, name, value):
        return queryset.filter(reminders_sent__gt=0) if value else queryset.filter(reminders_sent=0)


class AsnFilter(filters.FilterSet):
    supplier = filters.CharFilter(field_name="supplier__code")
    po = filters.CharFilter(field_name="lines__po_line__po__number", distinct=True)
    status = filters.MultipleChoiceFilter(choices=AdvanceShipNotice.Status.choices)
    expected_before = filters.DateFilter(field_name="expected_date", lookup_expr="lte")
    updated_since = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = AdvanceShipNotice
        fields = ["number", "supplier", "status"]


class ReceiptFilter(filters.FilterSet):
    plant = filters.CharFilter(field_name="plant__code")
    po = filters.CharFilter(field_name="lines__po_line__po__number", distinct=True)
    received_since = filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    updated_since = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Receipt
        fields = ["number", "plant"]
