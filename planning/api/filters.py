"""One FilterSet per listed planning model, shared by the partner API and the console lists."""

import django_filters as filters

from planning.models import DemandOrder, DemandOrderLine, ForecastVersion


class ForecastVersionFilter(filters.FilterSet):
    plant = filters.CharFilter(field_name="plant__code", label="Plant code")
    status = filters.MultipleChoiceFilter(choices=ForecastVersion.Status.choices)
    updated_since = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = ForecastVersion
        fields = ["plan", "plant", "version", "status", "bucket", "source_system"]


class DemandOrderFilter(filters.FilterSet):
    item = filters.CharFilter(method="filter_item", label="Has a line for this item code")
    plant = filters.CharFilter(method="filter_plant", label="Has a line at this plant code")
    open = filters.BooleanFilter(method="filter_open", label="Has an open line")
    updated_since = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = DemandOrder
        fields = ["number", "customer", "source_system"]

    def _with_lines(self, queryset, **lookup):
        return queryset.filter(pk__in=DemandOrderLine.objects.filter(**lookup).values("order_id"))

    def filter_item(self, queryset, name, value):
        return self._with_lines(queryset, item__code=value)

    def filter_plant(self, queryset, name, value):
        return self._with_lines(queryset, plant__code=value)

    def filter_open(self, queryset, name, value):
        lines = DemandOrderLine.objects.open().values("order_id")
        return queryset.filter(pk__in=lines) if value else queryset.exclude(pk__in=lines)
