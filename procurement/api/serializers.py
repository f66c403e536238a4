"""Output serializers name their fields; input serializers are plain and carry canonical codes."""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from procurement.models import (
    Acknowledgement,
    AcknowledgementLine,
    AdvanceShipNotice,
    AsnLine,
    ConfirmedScheduleLine,
    PurchaseOrder,
    PurchaseOrderLine,
    ReasonCode,
    Receipt,
    ReceiptLine,
    SupplierProposal,
)

DECIMAL = {"max_digits": 18, "decimal_places": 6, "coerce_to_string": True}
CODE = {"max_length": 50, "allow_blank": False}


def code_of(field: str | None = None, **kwargs):
    return serializers.SlugRelatedField(slug_field="code", read_only=True, source=field, **kwargs)


class ScheduleLineSerializer(serializers.ModelSerializer):
    date = serializers.DateField(source="delivery_date")

    class Meta:
        model = ConfirmedScheduleLine
        fields = ["quantity", "date"]


class PurchaseOrderLineSerializer(serializers.ModelSerializer):
    line = serializers.IntegerField(source="line_number")
    item = code_of()
    item_description = serializers.CharField(source="item.description")
    uom = code_of()
    schedule = ScheduleLineSerializer(source="schedule_lines", many=True)
    pending_proposal = serializers.SerializerMethodField()

    class Meta:
        model = PurchaseOrderLine
        fields = [
            "line",
            "item",
            "item_description",
            "quantity",
            "uom",
            "base_quantity",
            "unit_price",
            "requested_date",
            "status",
            "ack_status",
            "confirmed_quantity",
            "confirmed_date",
            "confirmed_revision",
            "schedule",
            "pending_proposal",
            "sent_revision",
            "sent_at",
            "ack_due_at",
            "reminders_sent",
            "shipped_quantity",
            "received_quantity",
        ]

    @extend_schema_field(OpenApiTypes.INT)
    def get_pending_proposal(self, line) -> int | None:
        pending = getattr(line, "pending_proposals", None)
        if pending is None:
            pending = list(line.proposals.pending())
        return pending[0].pk if pending else None


class PurchaseOrderSerializer(serializers.ModelSerializer):
    supplier = code_of()
    plant = code_of()
    buyer = serializers.SlugRelatedField(slug_field="username", read_only=True)
    lines_awaiting = serializers.IntegerField(
        read_only=True, help_text="Lines waiting for the supplier's answer."
    )
    lines_proposed = serializers.IntegerField(
        read_only=True, help_text="Lines whose supplier proposal waits for a buyer."
    )

    class Meta:
        model = PurchaseOrder
        fields = [
            "id",
            "number",
            "supplier",
            "plant",
            "currency",
            "revision",
            "status",
            "issued_at",
            "ack_due_at",
            "supplier_reference",
            "buyer",
            "lines_awaiting",
            "lines_proposed",
            "created_at",
            "updated_at",
        ]


class PurchaseOrderDetailSerializer(PurchaseOrderSerializer):
    lines = PurchaseOrderLineSerializer(many=True, read_only=True)

    class Meta(PurchaseOrderSerializer.Meta):
        fields = [*PurchaseOrderSerializer.Meta.fields, "lines"]


class AnsweredLineSerializer(serializers.ModelSerializer):
    line = serializers.IntegerField(source="line_number")
    pending_proposal = serializers.SerializerMethodField()

    class Meta:
        model = PurchaseOrderLine
        fields = [
            "line",
            "status",
            "ack_status",
            "confirmed_quantity",
            "confirmed_date",
            "pending_proposal",
        ]

    @extend_schema_field(OpenApiTypes.INT)
    def get_pending_proposal(self, line) -> int | None:
        return self.context["proposals"].get(line.pk)


class AcknowledgementResultSerializer(serializers.Serializer):
    """What an answer did, line by line; GET the PO for the whole of it."""

    id = serializers.IntegerField(source="po.pk", help_text="The purchase order")
    number = serializers.CharField(source="po.number")
    revision = serializers.IntegerField(source="po.revision")
    status = serializers.ChoiceField(source="po.status", choices=PurchaseOrder.Status.choices)
    supplier_reference = serializers.CharField(source="po.supplier_reference")
    lines = AnsweredLineSerializer(many=True, help_text="The lines this answer named")
    acknowledgement = serializers.SerializerMethodField(
        help_text="The answer recorded; null when it changed nothing."
    )
    applied = serializers.SerializerMethodField(help_text="Lines whose confirmation applied")
    proposed = serializers.SerializerMethodField(help_text="Lines now waiting for a buyer")
    unchanged = serializers.SerializerMethodField(help_text="Lines this answer repeated")

    @extend_schema_field(OpenApiTypes.INT)
    def get_acknowledgement(self, result) -> int | None:
        return result.acknowledgement.pk if result.acknowledgement else None

    def get_applied(self, result) -> list[int]:
        return [line.line_number for line in result.applied]

    def get_proposed(self, result) -> list[int]:
        return [proposal.po_line.line_number for proposal in result.proposed]

    def get_unchanged(self, result) -> list[int]:
        return [line.line_number for line in result.unchanged]


class AcknowledgementLineSerializer(serializers.ModelSerializer):
    line = serializers.IntegerField(source="po_line.line_number")
    proposal = serializers.SerializerMethodField()
    proposal_status = serializers.SerializerMethodField()
    decision_reason = serializers.SerializerMethodField()

    class Meta:
        model = AcknowledgementLine
        fields = [
            "line",
            "answer",
            "confirmed_quantity",
            "confirmed_date",
            "schedule",
            "reason_code",
            "reason",
            "outcome",
            "proposal",
            "proposal_status",
            "decision_reason",
        ]

    def _proposal(self, row):
        try:
            return row.proposal
        except SupplierProposal.DoesNotExist:
            return None

    @extend_schema_field(OpenApiTypes.INT)
    def get_proposal(self, row) -> int | None:
        proposal = self._proposal(row)
        return proposal.pk if proposal else None

    @extend_schema_field(OpenApiTypes.STR)
    def get_proposal_status(self, row) -> str | None:
        proposal = self._proposal(row)
        return proposal.status if proposal else None

    @extend_schema_field(OpenApiTypes.STR)
    def get_decision_reason(self, row) -> str | None:
        proposal = self._proposal(row)
        return proposal.decision_reason if proposal else None


class AcknowledgementSerializer(serializers.ModelSerializer):
    actor = serializers.CharField()
    channel = serializers.CharField(help_text="api, message (JSON or EDI), portal or console")
    lines = AcknowledgementLineSerializer(many=True)

    class Meta:
        model = Acknowledgement
        fields = [
            "id",
            "revision",
            "channel",
            "supplier_reference",
            "actor",
            "message_id",
            "received_at",
            "lines",
        ]


class SupplierProposalSerializer(serializers.ModelSerializer):
    po = serializers.CharField(source="po_line.po.number")
    po_id = serializers.IntegerField(source="po_line.po_id")
    supplier = serializers.CharField(source="po_line.po.supplier.code")
    plant = serializers.CharField(source="po_line.po.plant.code")
    line = serializers.IntegerField(source="po_line.line_number")
    item = serializers.CharField(source="po_line.item.code")
    uom = serializers.CharField(source="po_line.uom.code")
    quantity_gap = serializers.DecimalField(**DECIMAL, read_only=True)
    days_late = serializers.IntegerField(read_only=True, allow_null=True)
    proposed_by = serializers.CharField(source="answer.acknowledgement.actor")
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = SupplierProposal
        fields = [
            "id",
            "po",
            "po_id",
            "supplier",
            "plant",
            "line",
            "item",
            "uom",
            "revision",
            "kind",
            "requested_quantity",
            "requested_date",
            "proposed_quantity",
            "proposed_date",
            "quantity_gap",
            "days_late",
            "schedule",
            "reason_code",
            "reason",
            "status",
            "proposed_by",
            "decided_by",
            "decided_at",
            "decision_reason",
            "created_at",
            "updated_at",
        ]


class StaleAcknowledgementSerializer(serializers.ModelSerializer):
    po = serializers.CharField(source="po.number")
    po_id = serializers.IntegerField()
    supplier = serializers.CharField(source="po.supplier.code")
    plant = serializers.CharField(source="po.plant.code")
    line = serializers.IntegerField(source="line_number")
    item = code_of()
    uom = code_of()
    days_since_sent = serializers.SerializerMethodField()
    days_overdue = serializers.SerializerMethodField()

    class Meta:
        model = PurchaseOrderLine
        fields = [
            "po",
            "po_id",
            "supplier",
            "plant",
            "line",
            "item",
            "quantity",
            "uom",
            "requested_date",
            "sent_revision",
            "sent_at",
            "ack_due_at",
            "days_since_sent",
            "days_overdue",
            "reminders_sent",
            "last_reminded_at",
            "next_reminder_at",
        ]

    def get_days_since_sent(self, line) -> int:
        return (timezone.now() - line.sent_at).days

    def get_days_overdue(self, line) -> int:
        return (timezone.now() - line.ack_due_at).days


class AsnLineSerializer(serializers.ModelSerializer):
    po = serializers.CharField(source="po_line.po.number")
    line = serializers.IntegerField(source="po_line.line_number")
    uom = code_of()

    class Meta:
        model = AsnLine
        fields = ["po", "line", "quantity", "uom", "line_quantity", "expected_date"]


class AsnSerializer(serializers.ModelSerializer):
    supplier = code_of()
    lines = AsnLineSerializer(many=True, read_only=True)

    class Meta:
        model = AdvanceShipNotice
        fields = [
            "id",
            "number",
            "supplier",
            "ship_date",
            "expected_date",
            "carrier",
            "tracking",
            "status",
            "location",
            "status_reason",
            "lines",
            "created_at",
            "updated_at",
        ]


class ReceiptLineSerializer(serializers.ModelSerializer):
    po = serializers.CharField(source="po_line.po.number")
    line = serializers.IntegerField(source="po_line.line_number")
    item = code_of()
    uom = code_of()

    class Meta:
        model = ReceiptLine
        fields = ["po", "line", "item", "quantity", "uom", "line_quantity", "base_quantity"]


class ReceiptSerializer(serializers.ModelSerializer):
    plant = code_of()
    lines = ReceiptLineSerializer(many=True, read_only=True)

    class Meta:
        model = Receipt
        fields = ["id", "number", "plant", "received_at", "source", "lines", "created_at"]


# Input: the canonical shapes of MESSAGES.md, shared by the API and the inbound handlers.


class PurchaseOrderLineInput(serializers.Serializer):
    line = serializers.IntegerField(min_value=1)
    item = serializers.CharField(**CODE)
    quantity = serializers.DecimalField(**DECIMAL, min_value=0)
    uom = serializers.CharField(max_length=10)
    unit_price = serializers.DecimalField(**DECIMAL, min_value=0, required=False, allow_null=True)
    requested_date = serializers.DateField()
    status = serializers.ChoiceField(choices=["open", "closed", "cancelled"], default="open")


class PurchaseOrderInput(serializers.Serializer):
    """`purchase_order.upserted` data."""

    number = serializers.CharField(**CODE)
    supplier = serializers.CharField(**CODE)
    plant = serializers.CharField(**CODE)
    currency = serializers.RegexField(r"^[A-Z]{3}$", default="EUR")
    revision = serializers.IntegerField(min_value=0, required=False, allow_null=True, default=None)
    lines = PurchaseOrderLineInput(many=True, allow_empty=False)


class PurchaseOrderCreateInput(serializers.Serializer):
    """A draft PO a buyer makes in Weft."""

    number = serializers.CharField(**CODE)
    supplier = serializers.CharField(**CODE)
    plant = serializers.CharField(**CODE)
    currency = serializers.RegexField(r"^[A-Z]{3}$", default="EUR")
    lines = PurchaseOrderLineInput(many=True, allow_empty=False)


class PurchaseOrderLineChangeInput(serializers.Serializer):
    """A change to one line (only what is given changes) or, with a new number, a new line."""

    line = serializers.IntegerField(min_value=1)
    item = serializers.CharField(**CODE, required=False)
    quantity = serializers.DecimalField(**DECIMAL, min_value=0, required=False)
    uom = serializers.CharField(max_length=10, required=False)
    unit_price = serializers.DecimalField(**DECIMAL, min_value=0, required=False)
    requested_date = serializers.DateField(required=False)
    status = serializers.ChoiceField(choices=["open", "cancelled"], required=False)


class PurchaseOrderReviseInput(serializers.Serializer):
    lines = PurchaseOrderLineChangeInput(many=True, allow_empty=False)


class PurchaseOrderCancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, allow_blank=True, default="")


class ScheduleLineInput(serializers.Serializer):
    quantity = serializers.DecimalField(**DECIMAL, min_value=0)
    date = serializers.DateField()


class AcknowledgementLineInput(serializers.Serializer):
    line = serializers.IntegerField(min_value=1)
    status = serializers.ChoiceField(choices=AcknowledgementLine.Answer.values)
    confirmed_quantity = serializers.DecimalField(
        **DECIMAL, min_value=0, required=False, allow_null=True
    )
    confirmed_date = serializers.DateField(required=False, allow_null=True)
    reason = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")
    reason_code = serializers.ChoiceField(
        choices=ReasonCode.values, allow_blank=True, required=False, default=""
    )
    schedule = ScheduleLineInput(
        many=True, required=False, help_text="Deliveries in parts; their total is the quantity."
    )


class AcknowledgementInput(serializers.Serializer):
    """`purchase_order.acknowledged` data."""

    po = serializers.CharField(**CODE)
    revision = serializers.IntegerField(min_value=0, required=False, allow_null=True, default=None)
    lines = AcknowledgementLineInput(many=True, allow_empty=False)


class AcknowledgeInput(serializers.Serializer):
    """An answer through the API: name the revision you answer."""

    revision = serializers.IntegerField(min_value=0)
    supplier_reference = serializers.CharField(max_length=50, allow_blank=True, default="")
    lines = AcknowledgementLineInput(many=True, allow_empty=False)


class ProposalRejectInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="The supplier sees this.")


class AsnLineInput(serializers.Serializer):
    po = serializers.CharField(**CODE)
    line = serializers.IntegerField(min_value=1)
    quantity = serializers.DecimalField(**DECIMAL, min_value=0)
    uom = serializers.CharField(max_length=10)


class AsnInput(serializers.Serializer):
    """`asn.created` data; through the API the supplier may be left to the caller."""

    number = serializers.CharField(**CODE)
    supplier = serializers.CharField(**CODE, required=False)
    ship_date = serializers.DateField(required=False, allow_null=True, default=None)
    expected_date = serializers.DateField(required=False, allow_null=True, default=None)
    carrier = serializers.CharField(max_length=50, allow_blank=True, default="")
    tracking = serializers.CharField(max_length=100, allow_blank=True, default="")
    lines = AsnLineInput(many=True, allow_empty=False)


class ShipmentInput(serializers.Serializer):
    """`shipment.updated` data."""

    asn = serializers.CharField(**CODE)
    tracking = serializers.CharField(max_length=100, allow_blank=True, default="")
    status = serializers.ChoiceField(choices=AdvanceShipNotice.Status.values)
    expected_date = serializers.DateField(required=False, allow_null=True, default=None)
    location = serializers.CharField(max_length=200, allow_blank=True, default="")
    reason = serializers.CharField(max_length=2000, allow_blank=True, default="")


class ReceiptLineInput(serializers.Serializer):
    po = serializers.CharField(**CODE)
    line = serializers.IntegerField(min_value=1)
    item = serializers.CharField(**CODE)
    quantity = serializers.DecimalField(**DECIMAL, min_value=0)
    uom = serializers.CharField(max_length=10)


class ReceiptInput(serializers.Serializer):
    """`receipt.posted` data."""

    number = serializers.CharField(**CODE)
    plant = serializers.CharField(**CODE)
    received_at = serializers.DateTimeField()
    lines = ReceiptLineInput(many=True, allow_empty=False)
