"""One FilterSet per listed model, shared by the partner API and the console."""

import django_filters as filters

from execution.models import InventoryBalance, InventoryMismatch, InventoryTransaction, WorkOrder


class ItemPlantFilterSet(filters.FilterSet):
    item = filters.CharFilter(field_name="item__code", label="Item code")
    plant = filters.CharFilter(field_name="plant__code", label="Plant code")


class InventoryBalanceFilter(ItemPlantFilterSet):
    since = filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", label="Changed at or after"
    )

    class Meta:
        model = InventoryBalance
        fields = ["item", "plant"]


class InventoryTransactionFilter(ItemPlantFilterSet):
    work_order = filters.CharFilter(field_name="work_order__number", label="Work order number")
    since = filters.IsoDateTimeFilter(
        field_name="recorded_at", lookup_expr="gte", label="Recorded at or after"
    )

    class Meta:
        model = InventoryTransaction
        fields = ["item", "plant", "kind", "source_system", "transaction_key"]


class WorkOrderFilter(ItemPlantFilterSet):
    open = filters.BooleanFilter(method="filter_open", label="Neither completed nor cancelled")
    due_before = filters.DateFilter(field_name="due_date", lookup_expr="lte")
    since = filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", label="Changed at or after"
    )

    class Meta:
        model = WorkOrder
        fields = ["number", "item", "plant", "status"]

    def filter_open(self, queryset, name, value):
        return queryset.open() if value else queryset.exclude(pk__in=queryset.open().values("pk"))


class InventoryMismatchFilter(ItemPlantFilterSet):
    since = filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", label="Changed at or after"
    )

    class Meta:
        model = InventoryMismatch
        fields = ["item", "plant", "status", "source"]
