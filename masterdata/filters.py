"""One FilterSet per master, shared by the partner API and the console lists."""

import django_filters as filters

from masterdata.models import (
    Bom,
    Item,
    ItemPlant,
    Plant,
    SourcingRule,
    Supplier,
    UnitOfMeasure,
    UomConversion,
)


class UpdatedSinceFilterSet(filters.FilterSet):
    updated_since = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")


class PlantFilter(UpdatedSinceFilterSet):
    class Meta:
        model = Plant
        fields = ["code"]


class UnitOfMeasureFilter(UpdatedSinceFilterSet):
    class Meta:
        model = UnitOfMeasure
        fields = ["code", "dimension"]


class UomConversionFilter(UpdatedSinceFilterSet):
    item = filters.CharFilter(field_name="item__code")
    global_only = filters.BooleanFilter(field_name="item", lookup_expr="isnull")

    class Meta:
        model = UomConversion
        fields = ["item"]


class ItemFilter(UpdatedSinceFilterSet):
    code = filters.CharFilter()
    code_prefix = filters.CharFilter(field_name="code", lookup_expr="istartswith")
    plant = filters.CharFilter(field_name="plants__plant__code", distinct=True)
    q = filters.CharFilter(method="search", label="Code or description contains")

    class Meta:
        model = Item
        fields = ["code", "item_type", "lifecycle", "low_level_code"]

    def search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(code__icontains=value) | Q(description__icontains=value))


class ItemPlantFilter(UpdatedSinceFilterSet):
    item = filters.CharFilter(field_name="item__code")
    plant = filters.CharFilter(field_name="plant__code")

    class Meta:
        model = ItemPlant
        fields = ["item", "plant", "lot_size_rule"]


class SupplierFilter(UpdatedSinceFilterSet):
    class Meta:
        model = Supplier
        fields = ["code", "status"]


class SourcingRuleFilter(UpdatedSinceFilterSet):
    item = filters.CharFilter(field_name="item__code")
    supplier = filters.CharFilter(field_name="supplier__code")
    plant = filters.CharFilter(field_name="plant__code")
    valid_on = filters.DateFilter(method="filter_valid_on")

    class Meta:
        model = SourcingRule
        fields = ["item", "supplier", "plant"]

    def filter_valid_on(self, queryset, name, value):
        return queryset.valid_on(value)


class BomFilter(UpdatedSinceFilterSet):
    parent = filters.CharFilter(field_name="parent__code")
    plant = filters.CharFilter(field_name="plant__code")
    component = filters.CharFilter(field_name="lines__component__code", distinct=True)

    class Meta:
        model = Bom
        fields = ["parent", "plant", "revision"]
