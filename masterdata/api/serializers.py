"""Output serializers name their fields; input serializers are plain and carry canonical codes."""

from decimal import Decimal

from rest_framework import serializers

from masterdata.models import (
    Bom,
    BomLine,
    Item,
    ItemPlant,
    Plant,
    SourcingRule,
    Supplier,
    UnitOfMeasure,
    UomConversion,
)

DECIMAL = {"max_digits": 18, "decimal_places": 6, "coerce_to_string": True}


class PlantSerializer(serializers.ModelSerializer):
    class Meta:
        model = Plant
        fields = ["id", "code", "name", "time_zone", "updated_at"]


class UnitOfMeasureSerializer(serializers.ModelSerializer):
    class Meta:
        model = UnitOfMeasure
        fields = ["id", "code", "name", "dimension", "updated_at"]


class UomConversionSerializer(serializers.ModelSerializer):
    item = serializers.SlugRelatedField(slug_field="code", read_only=True)
    from_uom = serializers.SlugRelatedField(slug_field="code", read_only=True)
    to_uom = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = UomConversion
        fields = ["id", "item", "from_uom", "to_uom", "factor", "updated_at"]


class ItemPlantSerializer(serializers.ModelSerializer):
    plant = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ItemPlant
        fields = [
            "plant",
            "lead_time_days",
            "safety_stock",
            "lot_size_rule",
            "lot_size_quantity",
            "lot_size_periods",
            "min_order_quantity",
            "order_multiple",
        ]


class ItemSerializer(serializers.ModelSerializer):
    base_uom = serializers.SlugRelatedField(slug_field="code", read_only=True)
    plants = ItemPlantSerializer(many=True, read_only=True)
    planner = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Item
        fields = [
            "id",
            "code",
            "description",
            "base_uom",
            "item_type",
            "lifecycle",
            "low_level_code",
            "planner",
            "plants",
            "updated_at",
        ]


class SupplierSerializer(serializers.ModelSerializer):
    external_system = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = Supplier
        fields = [
            "id",
            "code",
            "name",
            "status",
            "contact_emails",
            "ack_sla_hours",
            "external_system",
            "updated_at",
        ]


class SourcingRuleSerializer(serializers.ModelSerializer):
    item = serializers.SlugRelatedField(slug_field="code", read_only=True)
    supplier = serializers.SlugRelatedField(slug_field="code", read_only=True)
    plant = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = SourcingRule
        fields = [
            "id",
            "item",
            "supplier",
            "plant",
            "supplier_item_code",
            "lead_time_days",
            "min_order_quantity",
            "order_multiple",
            "unit_price",
            "currency",
            "priority",
            "valid_from",
            "valid_to",
            "updated_at",
        ]


class BomLineSerializer(serializers.ModelSerializer):
    item = serializers.SlugRelatedField(source="component", slug_field="code", read_only=True)
    uom = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = BomLine
        fields = ["item", "quantity", "uom", "scrap_percent"]


class BomSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)
    plant = serializers.SlugRelatedField(slug_field="code", read_only=True)
    components = BomLineSerializer(source="lines", many=True, read_only=True)

    class Meta:
        model = Bom
        fields = [
            "id",
            "parent",
            "plant",
            "revision",
            "effective_from",
            "effective_to",
            "components",
            "updated_at",
        ]


# Input: the canonical shapes of MESSAGES.md, shared by the API and the inbound handlers.

CODE = {"max_length": 50, "allow_blank": False}


class ConversionInput(serializers.Serializer):
    uom = serializers.CharField(**CODE)
    factor = serializers.DecimalField(**DECIMAL, min_value=0)


class ItemPlantInput(serializers.Serializer):
    plant = serializers.CharField(**CODE)
    lead_time_days = serializers.IntegerField(min_value=0, max_value=3650, default=0)
    safety_stock = serializers.DecimalField(**DECIMAL, min_value=0, default="0")
    lot_size_rule = serializers.ChoiceField(
        choices=ItemPlant.LotSizeRule.values, default="lot_for_lot"
    )
    lot_size_quantity = serializers.DecimalField(
        **DECIMAL, min_value=0, required=False, allow_null=True
    )
    lot_size_periods = serializers.IntegerField(
        min_value=1, max_value=520, required=False, allow_null=True
    )
    min_order_quantity = serializers.DecimalField(**DECIMAL, min_value=0, default="0")
    order_multiple = serializers.DecimalField(**DECIMAL, min_value=0, default="0")


class ItemInput(serializers.Serializer):
    code = serializers.CharField(**CODE)
    description = serializers.CharField(max_length=300, allow_blank=True, default="")
    base_uom = serializers.CharField(max_length=10)
    item_type = serializers.ChoiceField(choices=Item.ItemType.values)
    lifecycle = serializers.ChoiceField(choices=Item.Lifecycle.values, default="active")
    conversions = ConversionInput(many=True, required=False)
    plants = ItemPlantInput(many=True, required=False)


class SupplierInput(serializers.Serializer):
    code = serializers.CharField(**CODE)
    name = serializers.CharField(max_length=200)
    status = serializers.ChoiceField(choices=Supplier.Status.values, default="pending")
    contact_emails = serializers.ListField(
        child=serializers.EmailField(), default=list, max_length=20
    )
    ack_sla_hours = serializers.IntegerField(min_value=1, max_value=24 * 90, default=48)


class SourcingRuleInput(serializers.Serializer):
    item = serializers.CharField(**CODE)
    supplier = serializers.CharField(**CODE)
    plant = serializers.CharField(**CODE)
    supplier_item_code = serializers.CharField(max_length=50, allow_blank=True, default="")
    lead_time_days = serializers.IntegerField(min_value=0, max_value=3650, default=0)
    min_order_quantity = serializers.DecimalField(**DECIMAL, min_value=0, default="0")
    order_multiple = serializers.DecimalField(**DECIMAL, min_value=0, default="0")
    unit_price = serializers.DecimalField(**DECIMAL, min_value=0, default="0")
    currency = serializers.RegexField(r"^[A-Z]{3}$", default="EUR")
    priority = serializers.IntegerField(min_value=1, max_value=99, default=1)
    valid_from = serializers.DateField(required=False, allow_null=True, default=None)
    valid_to = serializers.DateField(required=False, allow_null=True, default=None)


class BomComponentInput(serializers.Serializer):
    item = serializers.CharField(**CODE)
    quantity = serializers.DecimalField(**DECIMAL, min_value=0)
    uom = serializers.CharField(max_length=10, required=False)
    scrap_percent = serializers.DecimalField(
        max_digits=6, decimal_places=3, min_value=0, max_value=Decimal("99.999"), default="0"
    )


class BomInput(serializers.Serializer):
    parent = serializers.CharField(**CODE)
    plant = serializers.CharField(**CODE)
    revision = serializers.CharField(max_length=20)
    effective_from = serializers.DateField(required=False, allow_null=True, default=None)
    effective_to = serializers.DateField(required=False, allow_null=True, default=None)
    components = BomComponentInput(many=True, allow_empty=False)
