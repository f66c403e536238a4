"""Forecast versions with their approval actions and diff, and demand orders, for partners and people.

Actions parse a small input serializer and call one service. Approving, rejecting and
activating need a planner signed in; an API key's system is refused (403) — a source system's
forecast policy is how a system's forecasts skip the planner.
"""

from django.db import transaction
from django.db.models import Prefetch
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from integrations.api.views import (
    UpsertViewSet,
    api_writer,
    caller_actor,
    caller_system,
    upsert_schema,
)
from integrations.errors import ApplicationError
from integrations.ownership import ownership_check
from planning import accuracy
from planning.api import serializers
from planning.api.filters import DemandOrderFilter, ForecastVersionFilter
from planning.models import DemandOrder, DemandOrderLine, ForecastLine, ForecastVersion
from planning.services import demand, forecasts

READ_WRITE = {"read": "planning:read", "write": "planning:write"}
PROBLEMS = {
    400: OpenApiResponse(description="Invalid input or a business rule refused it (field named)"),
    403: OpenApiResponse(description="The caller may not do this (e.g. not a planner)"),
    404: OpenApiResponse(description="Not found"),
    409: OpenApiResponse(description="The version's status does not allow it"),
}


def _person(request):
    """The signed-in person, or None for an API key's system."""
    return request.user if getattr(request.user, "pk", None) else None


@extend_schema_view(
    list=extend_schema(description="Forecast versions, newest first per plan and plant."),
    retrieve=extend_schema(description="One forecast version with its lines in base units."),
)
class ForecastVersionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    lookup_field = "pk"
    lookup_value_regex = "[0-9]+"
    required_scopes = READ_WRITE
    filterset_class = ForecastVersionFilter

    def get_queryset(self):
        versions = ForecastVersion.objects.select_related(
            "plant", "created_by", "submitted_by", "approved_by"
        )
        if self.action == "retrieve":
            lines = ForecastLine.objects.select_related("item__base_uom").order_by(
                "item__code", "period_start"
            )
            versions = versions.prefetch_related(Prefetch("lines", queryset=lines))
        return versions

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.ForecastVersionDetailSerializer
        return serializers.ForecastVersionSerializer

    def _answer(self, forecast, status_code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=forecast.pk)
        return Response(serializers.ForecastVersionSerializer(fresh).data, status=status_code)

    @extend_schema(
        request=serializers.ForecastPublishInput,
        responses={201: serializers.ForecastVersionSerializer, **PROBLEMS},
        description=(
            "Publish a version (as `forecast.published` does): it waits for approval as "
            "submitted, unless the caller's system has a policy approving it. The same version "
            "with other content is refused once approved."
        ),
    )
    def create(self, request):
        payload = serializers.ForecastPublishInput(data=request.data)
        payload.is_valid(raise_exception=True)
        values = dict(payload.validated_data)
        lines = [dict(line) for line in values.pop("lines")]
        with caller_actor(request), transaction.atomic():
            ownership_check(object_type="forecast", writer=api_writer(request, "forecast"))
            forecast = forecasts.forecast_publish(
                **values,
                lines=lines,
                source_system=caller_system(request),
                acting_user=_person(request),
            )
        return self._answer(forecast, status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={200: serializers.ForecastVersionSerializer, **PROBLEMS},
        description="Put a draft forward for approval.",
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None, format=None):
        forecast = self.get_object()
        with caller_actor(request):
            forecast = forecasts.forecast_submit(forecast=forecast, acting_user=_person(request))
        return self._answer(forecast)

    @extend_schema(
        request=None,
        responses={200: serializers.ForecastVersionSerializer, **PROBLEMS},
        description="A planner approves a submitted version.",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None, format=None):
        forecast = self.get_object()
        with caller_actor(request):
            forecast = forecasts.forecast_approve(forecast=forecast, acting_user=_person(request))
        return self._answer(forecast)

    @extend_schema(
        request=serializers.ForecastRejectInput,
        responses={200: serializers.ForecastVersionSerializer, **PROBLEMS},
        description="A planner rejects a version that is not active yet, saying why.",
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None, format=None):
        forecast = self.get_object()
        payload = serializers.ForecastRejectInput(data=request.data)
        payload.is_valid(raise_exception=True)
        with caller_actor(request):
            forecast = forecasts.forecast_reject(
                forecast=forecast,
                reason=payload.validated_data["reason"],
                acting_user=_person(request),
            )
        return self._answer(forecast)

    @extend_schema(
        request=None,
        responses={200: serializers.ForecastVersionSerializer, **PROBLEMS},
        description=(
            "A planner activates an approved version: the plan's active version at the plant is "
            "superseded and `forecast.approved` goes to the subscribers."
        ),
    )
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None, format=None):
        forecast = self.get_object()
        with caller_actor(request):
            forecast = forecasts.forecast_activate(forecast=forecast, acting_user=_person(request))
        return self._answer(forecast)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "against", int, required=True, description="The id of the version compared with"
            ),
            OpenApiParameter(
                "changed", bool, description="Only the items and periods whose quantity differs"
            ),
        ],
        responses={200: serializers.ForecastDiffSerializer, **PROBLEMS},
        description="Per item and period, `against`'s quantity (a) and this version's (b), totals.",
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def diff(self, request, pk=None, format=None):
        forecast = self.get_object()
        against = request.query_params.get("against", "")
        if not against.isdigit():
            raise ApplicationError(
                "against must be the id of another forecast version.",
                {"field": "against", "value": against},
            )
        other = ForecastVersion.objects.filter(pk=int(against)).first()
        if other is None:
            raise ApplicationError(
                f"Unknown forecast version {against}.", {"field": "against", "value": against}
            )
        changed = request.query_params.get("changed", "").lower() in ("1", "true", "yes")
        result = forecasts.forecast_diff(other, forecast, changed_only=changed)
        body = {
            "version_a": other.pk,
            "version_b": forecast.pk,
            "total_a": result.total_a,
            "total_b": result.total_b,
            "total_difference": result.total_difference,
            "rows": [
                {
                    "item": row.item,
                    "period_start": row.period_start,
                    "quantity_a": row.quantity_a,
                    "quantity_b": row.quantity_b,
                    "difference": row.difference,
                }
                for row in result.rows
            ],
        }
        return Response(serializers.ForecastDiffSerializer(body).data)

    @extend_schema(
        responses={200: serializers.ForecastAccuracySerializer(many=True)},
        description="MAPE and bias (percent) per version whose periods have passed.",
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def accuracy(self, request, format=None):
        versions = self.filter_queryset(self.get_queryset())
        rows = accuracy.forecast_accuracy_by_version(versions)
        return Response(
            serializers.ForecastAccuracySerializer([vars(row) for row in rows], many=True).data
        )


@extend_schema_view(
    list=extend_schema(description="Customer demand orders with their lines."),
    retrieve=extend_schema(description="One demand order by number."),
    create=upsert_schema(serializers.DemandOrderInput, serializers.DemandOrderSerializer),
)
class DemandOrderViewSet(UpsertViewSet):
    lookup_field = "number"
    queryset = DemandOrder.objects.prefetch_related(
        Prefetch(
            "lines",
            queryset=DemandOrderLine.objects.select_related("item__base_uom", "plant").order_by(
                "line"
            ),
        )
    )
    serializer_class = serializers.DemandOrderSerializer
    filterset_class = DemandOrderFilter
    input_serializer_class = serializers.DemandOrderInput
    upsert_service = demand.demand_order_upsert
    object_type = "demand_order"
    natural_key = {"number": "number"}
    required_scopes = READ_WRITE
