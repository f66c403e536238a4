"""Output serializers name their fields; input serializers are plain and carry canonical codes."""

from rest_framework import serializers

from planning.models import DemandOrder, DemandOrderLine, ForecastLine, ForecastVersion

DECIMAL = {"max_digits": 18, "decimal_places": 6}
CODE = {"max_length": 50, "allow_blank": False}


def code_of() -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="code", read_only=True)


def username_of() -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="username", read_only=True)


class ForecastLineInput(serializers.Serializer):
    item = serializers.CharField(**CODE)
    period_start = serializers.DateField()
    quantity = serializers.DecimalField(**DECIMAL, min_value=0)
    uom = serializers.CharField(max_length=10)


class ForecastPublishInput(serializers.Serializer):
    plan = serializers.CharField(**CODE)
    version = serializers.IntegerField(min_value=1)
    plant = serializers.CharField(**CODE)
    bucket = serializers.ChoiceField(choices=ForecastVersion.Bucket.values)
    lines = ForecastLineInput(many=True, allow_empty=False)


class ForecastRejectInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class DemandOrderLineInput(serializers.Serializer):
    line = serializers.IntegerField(min_value=1)
    item = serializers.CharField(**CODE)
    plant = serializers.CharField(**CODE)
    quantity = serializers.DecimalField(**DECIMAL, min_value=0)
    uom = serializers.CharField(max_length=10)
    due_date = serializers.DateField()
    status = serializers.ChoiceField(choices=DemandOrderLine.Status.values, default="open")


class DemandOrderInput(serializers.Serializer):
    number = serializers.CharField(**CODE)
    customer = serializers.CharField(max_length=200, required=False)
    lines = DemandOrderLineInput(many=True, allow_empty=False)


class ForecastLineSerializer(serializers.ModelSerializer):
    item = code_of()
    uom = serializers.CharField(source="item.base_uom.code", read_only=True)

    class Meta:
        model = ForecastLine
        fields = ["item", "period_start", "quantity", "uom"]


class ForecastVersionSerializer(serializers.ModelSerializer):
    plant = code_of()
    created_by = username_of()
    submitted_by = username_of()
    approved_by = username_of()

    class Meta:
        model = ForecastVersion
        fields = [
            "id",
            "plan",
            "version",
            "plant",
            "bucket",
            "source_system",
            "status",
            "received_at",
            "created_by",
            "submitted_at",
            "submitted_by",
            "approved_at",
            "approved_by",
            "approved_by_policy",
            "activated_at",
            "superseded_at",
            "rejected_reason",
            "updated_at",
        ]


class ForecastVersionDetailSerializer(ForecastVersionSerializer):
    lines = ForecastLineSerializer(many=True, read_only=True)

    class Meta(ForecastVersionSerializer.Meta):
        fields = [*ForecastVersionSerializer.Meta.fields, "lines"]


class ForecastDiffRowSerializer(serializers.Serializer):
    item = serializers.CharField()
    period_start = serializers.DateField()
    quantity_a = serializers.DecimalField(**DECIMAL)
    quantity_b = serializers.DecimalField(**DECIMAL)
    difference = serializers.DecimalField(**DECIMAL)


class ForecastDiffSerializer(serializers.Serializer):
    version_a = serializers.IntegerField(help_text="The version compared against (`against`).")
    version_b = serializers.IntegerField(help_text="The version asked about.")
    total_a = serializers.DecimalField(**DECIMAL)
    total_b = serializers.DecimalField(**DECIMAL)
    total_difference = serializers.DecimalField(**DECIMAL)
    rows = ForecastDiffRowSerializer(many=True)


class DemandOrderLineSerializer(serializers.ModelSerializer):
    item = code_of()
    plant = code_of()
    uom = serializers.CharField(source="item.base_uom.code", read_only=True)

    class Meta:
        model = DemandOrderLine
        fields = [
            "line",
            "item",
            "plant",
            "quantity",
            "uom",
            "entered_quantity",
            "entered_uom",
            "due_date",
            "status",
            "updated_at",
        ]


class DemandOrderSerializer(serializers.ModelSerializer):
    lines = DemandOrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = DemandOrder
        fields = ["id", "number", "customer", "source_system", "updated_at", "lines"]


class ForecastAccuracySerializer(serializers.Serializer):
    version = serializers.IntegerField()
    periods = serializers.IntegerField()
    forecast_total = serializers.DecimalField(**DECIMAL)
    actual_total = serializers.DecimalField(**DECIMAL)
    mape = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
    bias = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
