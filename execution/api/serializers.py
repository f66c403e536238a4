"""Output serializers name their fields; input serializers are plain and carry canonical codes."""

from rest_framework import serializers

from execution.models import (
    InventoryBalance,
    InventoryMismatch,
    InventoryTransaction,
    WorkOrder,
)

DECIMAL = {"max_digits": 18, "decimal_places": 6, "coerce_to_string": True}
CODE = {"max_length": 50, "allow_blank": False}
KEY = {"max_length": 200, "allow_blank": False}


def code_of() -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="code", read_only=True)


class InventoryBalanceSerializer(serializers.ModelSerializer):
    item = code_of()
    plant = code_of()
    uom = serializers.CharField(source="item.base_uom.code", read_only=True)
    available = serializers.DecimalField(**DECIMAL, read_only=True)

    class Meta:
        model = InventoryBalance
        fields = ["id", "item", "plant", "uom", "on_hand", "on_hold", "available", "updated_at"]


class InventoryTransactionSerializer(serializers.ModelSerializer):
    item = code_of()
    plant = code_of()
    uom = serializers.CharField(source="item.base_uom.code", read_only=True)
    work_order = serializers.SlugRelatedField(slug_field="number", read_only=True)

    class Meta:
        model = InventoryTransaction
        fields = [
            "id",
            "kind",
            "item",
            "plant",
            "quantity",
            "uom",
            "entered_quantity",
            "entered_uom",
            "source_system",
            "transaction_key",
            "reference",
            "reason",
            "work_order",
            "occurred_at",
            "recorded_at",
        ]


class WorkOrderSerializer(serializers.ModelSerializer):
    item = code_of()
    plant = code_of()
    uom = serializers.CharField(source="item.base_uom.code", read_only=True)
    open_quantity = serializers.DecimalField(**DECIMAL, read_only=True)

    class Meta:
        model = WorkOrder
        fields = [
            "id",
            "number",
            "item",
            "plant",
            "uom",
            "quantity",
            "completed_quantity",
            "scrapped_quantity",
            "open_quantity",
            "due_date",
            "status",
            "source_system",
            "updated_at",
        ]


class InventoryMismatchSerializer(serializers.ModelSerializer):
    item = code_of()
    plant = code_of()
    difference = serializers.DecimalField(**DECIMAL, read_only=True)

    class Meta:
        model = InventoryMismatch
        fields = [
            "id",
            "item",
            "plant",
            "source",
            "as_of",
            "weft_on_hand",
            "external_on_hand",
            "difference",
            "status",
            "resolution",
            "detected_at",
            "closed_at",
            "updated_at",
        ]


# Input: the canonical shapes of MESSAGES.md, used by the inbound handlers.


class AdjustmentInput(serializers.Serializer):
    transaction_id = serializers.CharField(**KEY)
    plant = serializers.CharField(**CODE)
    item = serializers.CharField(**CODE)
    quantity = serializers.DecimalField(max_digits=18, decimal_places=6)
    uom = serializers.CharField(max_length=10)
    reason = serializers.CharField(max_length=300, allow_blank=True, default="")


class SnapshotLineInput(serializers.Serializer):
    item = serializers.CharField(**CODE)
    on_hand = serializers.DecimalField(max_digits=18, decimal_places=6, min_value=0)
    uom = serializers.CharField(max_length=10)


class SnapshotInput(serializers.Serializer):
    plant = serializers.CharField(**CODE)
    as_of = serializers.DateTimeField()
    balances = SnapshotLineInput(many=True)


class WorkOrderInput(serializers.Serializer):
    number = serializers.CharField(**CODE)
    item = serializers.CharField(**CODE)
    plant = serializers.CharField(**CODE)
    quantity = serializers.DecimalField(max_digits=18, decimal_places=6)
    uom = serializers.CharField(max_length=10)
    due_date = serializers.DateField()
    status = serializers.ChoiceField(choices=WorkOrder.Status.values, required=False)


class ConsumptionInput(serializers.Serializer):
    transaction_id = serializers.CharField(**KEY)
    work_order = serializers.CharField(**CODE)
    item = serializers.CharField(**CODE)
    quantity = serializers.DecimalField(max_digits=18, decimal_places=6)
    uom = serializers.CharField(max_length=10)


class CompletionInput(serializers.Serializer):
    transaction_id = serializers.CharField(**KEY)
    work_order = serializers.CharField(**CODE)
    quantity = serializers.DecimalField(max_digits=18, decimal_places=6)
    uom = serializers.CharField(max_length=10)
    completed_at = serializers.DateTimeField(required=False, default=None)


class ScrapInput(ConsumptionInput):
    reason = serializers.CharField(max_length=300, allow_blank=True, default="")


class HoldInput(serializers.Serializer):
    hold_id = serializers.CharField(max_length=100, allow_blank=False)
    plant = serializers.CharField(**CODE)
    item = serializers.CharField(**CODE)
    quantity = serializers.DecimalField(max_digits=18, decimal_places=6)
    uom = serializers.CharField(max_length=10)
    reason = serializers.CharField(max_length=300, allow_blank=True, default="")
