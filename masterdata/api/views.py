from drf_spectacular.utils import extend_schema_view

from integrations.api.views import ReadOnlyMasterViewSet, UpsertViewSet, upsert_schema
from masterdata import filters, services
from masterdata.api import serializers
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

READ_WRITE = {"read": "masterdata:read", "write": "masterdata:write"}


class PlantViewSet(ReadOnlyMasterViewSet):
    queryset = Plant.objects.all()
    serializer_class = serializers.PlantSerializer
    filterset_class = filters.PlantFilter
    required_scopes = READ_WRITE


class UnitOfMeasureViewSet(ReadOnlyMasterViewSet):
    queryset = UnitOfMeasure.objects.all()
    serializer_class = serializers.UnitOfMeasureSerializer
    filterset_class = filters.UnitOfMeasureFilter
    required_scopes = READ_WRITE


class UomConversionViewSet(ReadOnlyMasterViewSet):
    lookup_field = "pk"
    lookup_value_regex = "[0-9]+"
    queryset = UomConversion.objects.select_related("item", "from_uom", "to_uom")
    serializer_class = serializers.UomConversionSerializer
    filterset_class = filters.UomConversionFilter
    required_scopes = READ_WRITE


@extend_schema_view(create=upsert_schema(serializers.ItemInput, serializers.ItemSerializer))
class ItemViewSet(UpsertViewSet):
    queryset = Item.objects.select_related("base_uom", "planner").prefetch_related("plants__plant")
    serializer_class = serializers.ItemSerializer
    filterset_class = filters.ItemFilter
    input_serializer_class = serializers.ItemInput
    upsert_service = services.item_upsert
    object_type = "item"
    required_scopes = READ_WRITE


class ItemPlantViewSet(ReadOnlyMasterViewSet):
    lookup_field = "pk"
    lookup_value_regex = "[0-9]+"
    queryset = ItemPlant.objects.select_related("plant", "item")
    serializer_class = serializers.ItemPlantSerializer
    filterset_class = filters.ItemPlantFilter
    required_scopes = READ_WRITE


@extend_schema_view(create=upsert_schema(serializers.SupplierInput, serializers.SupplierSerializer))
class SupplierViewSet(UpsertViewSet):
    queryset = Supplier.objects.select_related("external_system")
    serializer_class = serializers.SupplierSerializer
    filterset_class = filters.SupplierFilter
    input_serializer_class = serializers.SupplierInput
    upsert_service = services.supplier_upsert
    object_type = "supplier"
    required_scopes = READ_WRITE


@extend_schema_view(
    create=upsert_schema(serializers.SourcingRuleInput, serializers.SourcingRuleSerializer)
)
class SourcingRuleViewSet(UpsertViewSet):
    lookup_field = "pk"
    lookup_value_regex = "[0-9]+"
    queryset = SourcingRule.objects.select_related("item", "supplier", "plant")
    serializer_class = serializers.SourcingRuleSerializer
    filterset_class = filters.SourcingRuleFilter
    input_serializer_class = serializers.SourcingRuleInput
    upsert_service = services.sourcing_rule_upsert
    object_type = "sourcing_rule"
    natural_key = {"item__code": "item", "supplier__code": "supplier", "plant__code": "plant"}
    required_scopes = READ_WRITE


@extend_schema_view(create=upsert_schema(serializers.BomInput, serializers.BomSerializer))
class BomViewSet(UpsertViewSet):
    lookup_field = "pk"
    lookup_value_regex = "[0-9]+"
    queryset = Bom.objects.select_related("parent", "plant").prefetch_related(
        "lines__component", "lines__uom"
    )
    serializer_class = serializers.BomSerializer
    filterset_class = filters.BomFilter
    input_serializer_class = serializers.BomInput
    upsert_service = services.bom_upsert
    object_type = "bom"
    natural_key = {"parent__code": "parent", "plant__code": "plant", "revision": "revision"}
    required_scopes = READ_WRITE
