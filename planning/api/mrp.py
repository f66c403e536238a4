"""MRP over the API: runs (start, progress), planned orders (firm, pegging), records, advice, ATP.

Planning data is the manufacturer's own: supplier users and supplier systems are refused.
"""

import django_filters as filters
from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.api.authentication import SystemPrincipal
from integrations.api.views import caller_actor
from integrations.errors import ApplicationError
from integrations.models import ExternalSystem
from integrations.roles import supplier_of
from masterdata.models import Item, Plant, Supplier
from masterdata.services import resolve
from planning.atp import atp_for
from planning.firming import planned_order_firm
from planning.models import MrpMessage, MrpRecord, MrpRun, PlannedOrder
from planning.pegging import end_demands
from planning.runs import mrp_run_request

SCOPES = {"read": "planning:read", "write": "planning:write"}
DECIMAL = {"max_digits": 18, "decimal_places": 6, "coerce_to_string": True}
PROBLEMS = {
    400: OpenApiResponse(description="Invalid input (field and value named)"),
    403: OpenApiResponse(description="The caller may not do this"),
    404: OpenApiResponse(description="Not found"),
    409: OpenApiResponse(description="The object's state does not allow it"),
}


class NotSupplier(permissions.BasePermission):
    """Suppliers (portal users and supplier systems) never see the manufacturer's plan."""

    message = "Planning data is not available to suppliers."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if isinstance(user, SystemPrincipal):
            linked = Supplier.objects.filter(external_system=user.system).exists()
            return not linked and user.system.kind != ExternalSystem.Kind.SUPPLIER
        return supplier_of(user) is None


class PlanningView:
    required_scopes = SCOPES

    def get_permissions(self):
        return [*super().get_permissions(), NotSupplier()]


def code_of() -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="code", read_only=True)


# Runs


class MrpRunSerializer(serializers.ModelSerializer):
    plant = code_of()
    requested_by = serializers.CharField(
        source="requested_by.username", default=None, read_only=True
    )

    class Meta:
        model = MrpRun
        fields = [
            "id",
            "plant",
            "mode",
            "status",
            "trigger",
            "requested_by",
            "requested_at",
            "started_at",
            "finished_at",
            "phase",
            "progress_done",
            "progress_total",
            "items_requested",
            "items_planned",
            "planned_orders",
            "exceptions",
            "duration_ms",
            "timings",
            "error",
            "correlation_id",
        ]


class MrpRunStartInput(serializers.Serializer):
    plant = serializers.CharField(max_length=20)


class MrpRunFilter(filters.FilterSet):
    plant = filters.CharFilter(field_name="plant__code")

    class Meta:
        model = MrpRun
        fields = ["plant", "mode", "status"]


class MrpRunViewSet(PlanningView, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """MRP runs with their progress; POST queues a full run of a plant (202)."""

    queryset = MrpRun.objects.select_related("plant", "requested_by")
    serializer_class = MrpRunSerializer
    filterset_class = MrpRunFilter
    lookup_value_regex = "[0-9]+"

    @extend_schema(request=MrpRunStartInput, responses={202: MrpRunSerializer, **PROBLEMS})
    def create(self, request):
        given = MrpRunStartInput(data=request.data)
        given.is_valid(raise_exception=True)
        plant = resolve(Plant, given.validated_data["plant"], "plant")
        user = request.user
        trigger = f"API key of {user.system_code}" if isinstance(user, SystemPrincipal) else "API"
        with caller_actor(request), transaction.atomic():
            run = mrp_run_request(
                plant=plant,
                acting_user=None if isinstance(user, SystemPrincipal) else user,
                trigger=trigger,
            )
        run.refresh_from_db()
        return Response(MrpRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


# Planned orders


class PlannedOrderSerializer(serializers.ModelSerializer):
    item = code_of()
    plant = code_of()
    supplier = code_of()
    uom = serializers.CharField(source="item.base_uom.code", read_only=True)
    quantity = serializers.DecimalField(**DECIMAL)
    po = serializers.SerializerMethodField()
    work_order = serializers.SlugRelatedField(slug_field="number", read_only=True)

    class Meta:
        model = PlannedOrder
        fields = [
            "id",
            "number",
            "kind",
            "item",
            "plant",
            "quantity",
            "uom",
            "release_date",
            "due_date",
            "past_due",
            "supplier",
            "status",
            "firmed_at",
            "po",
            "work_order",
            "run",
        ]

    def get_po(self, order) -> str | None:
        return order.po_line.po.number if order.po_line_id else None


class PlannedOrderFirmInput(serializers.Serializer):
    quantity = serializers.DecimalField(max_digits=18, decimal_places=6, required=False)
    due_date = serializers.DateField(required=False)


class EndDemandSerializer(serializers.Serializer):
    kind = serializers.CharField()
    ref = serializers.CharField()
    item = serializers.CharField()
    date = serializers.DateField()
    quantity = serializers.DecimalField(**DECIMAL)


class PlannedOrderFilter(filters.FilterSet):
    item = filters.CharFilter(field_name="item__code")
    plant = filters.CharFilter(field_name="plant__code")
    supplier = filters.CharFilter(field_name="supplier__code")
    due_before = filters.DateFilter(field_name="due_date", lookup_expr="lte")

    class Meta:
        model = PlannedOrder
        fields = ["item", "plant", "kind", "status", "supplier", "past_due"]


class PlannedOrderViewSet(PlanningView, viewsets.ReadOnlyModelViewSet):
    """Planned orders of the current plan; firm one to make it a PO, a work order or an ERP release."""

    queryset = PlannedOrder.objects.select_related(
        "item__base_uom", "plant", "supplier", "po_line__po", "work_order"
    ).order_by("due_date", "id")
    serializer_class = PlannedOrderSerializer
    filterset_class = PlannedOrderFilter
    lookup_field = "number"
    lookup_value_regex = "[^/]+"

    @extend_schema(
        request=PlannedOrderFirmInput, responses={200: PlannedOrderSerializer, **PROBLEMS}
    )
    @action(detail=True, methods=["post"])
    def firm(self, request, number=None, format=None):
        order = self.get_object()
        if isinstance(request.user, SystemPrincipal):
            raise PermissionDenied("A planner firms planned orders; an API key cannot.")
        given = PlannedOrderFirmInput(data=request.data)
        given.is_valid(raise_exception=True)
        with caller_actor(request):
            order = planned_order_firm(
                planned_order=order, acting_user=request.user, **given.validated_data
            )
        return Response(PlannedOrderSerializer(self.get_queryset().get(pk=order.pk)).data)

    @extend_schema(responses={200: EndDemandSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def pegging(self, request, number=None, format=None):
        """The customer orders and forecast this planned order serves, through every level."""
        order = self.get_object()
        rows = end_demands(
            plant=order.plant,
            item_id=order.item_id,
            supply_kind="planned_order",
            supply_ref=order.number,
        )
        codes = dict(
            Item.objects.filter(pk__in={r.item_id for r in rows}).values_list("id", "code")
        )
        return Response(
            EndDemandSerializer(
                [{**row.__dict__, "item": codes[row.item_id]} for row in rows], many=True
            ).data
        )


# Records, advice, ATP


class MrpMessageSerializer(serializers.ModelSerializer):
    item = code_of()
    plant = code_of()
    quantity = serializers.DecimalField(**DECIMAL)
    po = serializers.SerializerMethodField()
    po_line = serializers.IntegerField(source="po_line.line_number", default=None, read_only=True)
    work_order = serializers.SlugRelatedField(slug_field="number", read_only=True)
    planned_order = serializers.SlugRelatedField(slug_field="number", read_only=True)

    class Meta:
        model = MrpMessage
        fields = [
            "id",
            "kind",
            "item",
            "plant",
            "date",
            "to_date",
            "quantity",
            "reason",
            "po",
            "po_line",
            "work_order",
            "planned_order",
            "run",
        ]

    def get_po(self, message) -> str | None:
        return message.po_line.po.number if message.po_line_id else None


class MrpMessageFilter(filters.FilterSet):
    item = filters.CharFilter(field_name="item__code")
    plant = filters.CharFilter(field_name="plant__code")

    class Meta:
        model = MrpMessage
        fields = ["item", "plant", "kind"]


class MrpMessageViewSet(PlanningView, viewsets.ReadOnlyModelViewSet):
    """The current plan's action messages: shortage, reschedule in/out, cancel, expedite, late."""

    queryset = MrpMessage.objects.select_related(
        "item", "plant", "po_line__po", "work_order", "planned_order"
    ).order_by("date", "id")
    serializer_class = MrpMessageSerializer
    filterset_class = MrpMessageFilter
    lookup_value_regex = "[0-9]+"


ITEM_PLANT = [
    OpenApiParameter("item", str, required=True, description="Item code"),
    OpenApiParameter("plant", str, required=True, description="Plant code"),
]
ROWS = (
    "gross_requirements",
    "scheduled_receipts",
    "projected_on_hand",
    "net_requirements",
    "planned_receipts",
    "planned_releases",
)


class RecordBucketSerializer(serializers.Serializer):
    start = serializers.DateField()
    gross_requirements = serializers.FloatField()
    scheduled_receipts = serializers.FloatField()
    projected_on_hand = serializers.FloatField()
    net_requirements = serializers.FloatField()
    planned_receipts = serializers.FloatField()
    planned_releases = serializers.FloatField()


class MrpRecordSerializer(serializers.Serializer):
    item = serializers.CharField()
    plant = serializers.CharField()
    on_hand = serializers.DecimalField(**DECIMAL)
    safety_stock = serializers.DecimalField(**DECIMAL)
    planned_at = serializers.DateTimeField()
    run = serializers.IntegerField(allow_null=True)
    buckets = RecordBucketSerializer(many=True)


class AtpBucketSerializer(serializers.Serializer):
    start = serializers.DateField()
    supply = serializers.FloatField()
    orders = serializers.FloatField()
    atp = serializers.FloatField()
    cumulative_atp = serializers.FloatField()


def _item_and_plant(request) -> tuple[Item, Plant]:
    for name in ("item", "plant"):
        if not request.query_params.get(name):
            raise ApplicationError(f"{name} is required.", {"field": name, "value": None})
    item = resolve(Item, request.query_params["item"], "item")
    plant = resolve(Plant, request.query_params["plant"], "plant")
    return item, plant


class PlanningAPIView(PlanningView, APIView):
    pass


class MrpRecordView(PlanningAPIView):
    """The item's time-phased record from its last plan: the textbook MRP grid, bucket by bucket."""

    @extend_schema(parameters=ITEM_PLANT, responses={200: MrpRecordSerializer, **PROBLEMS})
    def get(self, request, format=None):
        item, plant = _item_and_plant(request)
        record = get_object_or_404(MrpRecord, item=item, plant=plant)
        buckets = [
            {"start": start, **{name: record.rows[row][b] for row, name in enumerate(ROWS)}}
            for b, start in enumerate(record.bucket_starts)
        ]
        data = {
            "item": item.code,
            "plant": plant.code,
            "on_hand": record.on_hand,
            "safety_stock": record.safety_stock,
            "planned_at": record.planned_at,
            "run": record.run_id,
            "buckets": buckets,
        }
        return Response(MrpRecordSerializer(data).data)


class AtpView(PlanningAPIView):
    """Available to promise per week for an item at a plant (discrete, with look-ahead)."""

    @extend_schema(
        parameters=ITEM_PLANT, responses={200: AtpBucketSerializer(many=True), **PROBLEMS}
    )
    def get(self, request, format=None):
        item, plant = _item_and_plant(request)
        return Response(AtpBucketSerializer(atp_for(item=item, plant=plant), many=True).data)
