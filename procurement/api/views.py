"""Purchase orders, proposals, stale acknowledgements, ASNs and receipts for partners and people.

Every queryset is limited to what the caller may see (`access.suppliers_for`), so another
supplier's document answers 404 on every route. Actions parse a small input serializer and
call one service.
"""

from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from integrations.api.authentication import SystemPrincipal
from integrations.api.pagination import CodeCursorPagination
from integrations.api.views import api_writer, caller_actor
from integrations.errors import ApplicationError
from masterdata.models import Supplier
from masterdata.services import resolve
from procurement import selectors, services
from procurement.api import serializers
from procurement.api.access import require_buyer, require_not_supplier, suppliers_for
from procurement.filters import (
    AsnFilter,
    PurchaseOrderFilter,
    ReceiptFilter,
    StaleAcknowledgementFilter,
    SupplierProposalFilter,
)
from procurement.inbound import sender_supplier
from procurement.models import Receipt

READ_WRITE = {"read": "procurement:read", "write": "procurement:write"}
PROBLEMS = {
    400: OpenApiResponse(description="Invalid input or a business rule refused it (field named)"),
    403: OpenApiResponse(description="The caller may not do this"),
    404: OpenApiResponse(description="Not found, or not the caller's supplier's"),
    409: OpenApiResponse(description="The document's state does not allow it (e.g. old revision)"),
}


def _acting(request) -> dict:
    user = request.user
    if isinstance(user, SystemPrincipal):
        return {"acting_system": user.system}
    return {"acting_user": user}


class ProcurementViewSet(viewsets.GenericViewSet):
    lookup_field = "pk"
    lookup_value_regex = "[0-9]+"
    required_scopes = READ_WRITE

    @property
    def suppliers(self):
        return suppliers_for(self.request)


@extend_schema_view(
    list=extend_schema(description="Purchase orders the caller may see, newest revision state."),
    retrieve=extend_schema(description="One purchase order with its lines and confirmations."),
)
class PurchaseOrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ProcurementViewSet):
    filterset_class = PurchaseOrderFilter

    def get_queryset(self):
        if self.action == "list":
            return selectors.purchase_order_list(suppliers=self.suppliers)
        if self.action == "retrieve":
            return selectors.purchase_order_detail_queryset(suppliers=self.suppliers)
        # An action only needs to find the PO (or 404); its answer is loaded afterwards.
        return selectors.purchase_orders_visible(suppliers=self.suppliers)

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.PurchaseOrderSerializer
        return serializers.PurchaseOrderDetailSerializer

    def _detail(self, po, status_code=status.HTTP_200_OK) -> Response:
        fresh = selectors.purchase_order_detail_queryset().get(pk=po.pk)
        return Response(serializers.PurchaseOrderDetailSerializer(fresh).data, status=status_code)

    @extend_schema(
        request=serializers.PurchaseOrderCreateInput,
        responses={201: serializers.PurchaseOrderDetailSerializer, **PROBLEMS},
        description="A buyer creates a draft PO (when Weft owns purchase orders).",
    )
    def create(self, request):
        require_buyer(request)
        payload = serializers.PurchaseOrderCreateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        values = dict(payload.validated_data)
        values["lines"] = [dict(line) for line in values["lines"]]
        with caller_actor(request), transaction.atomic():
            po = services.purchase_order_create(
                **values, acting_user=request.user, writer=api_writer(request, "purchase_order")
            )
        return self._detail(po, status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.AcknowledgeInput,
        responses={200: serializers.AcknowledgementResultSerializer, **PROBLEMS},
        description=(
            "The supplier's answer per line: accepted, changed (confirmed quantity, date or "
            "schedule) or rejected (reason required). Within tolerance it applies; beyond it "
            "waits for a buyer. The same answer again changes nothing."
        ),
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None, format=None):
        po = self.get_object()
        payload = serializers.AcknowledgeInput(data=request.data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        with caller_actor(request):
            result = services.purchase_order_acknowledge(
                po=po,
                revision=values["revision"],
                lines=[dict(line) for line in values["lines"]],
                supplier_reference=values["supplier_reference"],
                **_acting(request),
            )
        # Answered from what the service holds, without reading the PO again.
        answer = serializers.AcknowledgementResultSerializer(
            result, context={"proposals": result.pending_proposals}
        )
        return Response(answer.data)

    @extend_schema(
        request=None,
        responses={200: serializers.PurchaseOrderDetailSerializer, **PROBLEMS},
        description="A buyer sends a draft PO to its supplier.",
    )
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None, format=None):
        po = self.get_object()
        require_buyer(request)
        with caller_actor(request):
            services.purchase_order_issue(
                po=po, acting_user=request.user, writer=api_writer(request, "purchase_order")
            )
        return self._detail(po)

    @extend_schema(
        request=serializers.PurchaseOrderReviseInput,
        responses={200: serializers.PurchaseOrderDetailSerializer, **PROBLEMS},
        description="A buyer changes lines; an issued PO gets a new revision for the supplier.",
    )
    @action(detail=True, methods=["post"])
    def revise(self, request, pk=None, format=None):
        po = self.get_object()
        require_buyer(request)
        payload = serializers.PurchaseOrderReviseInput(data=request.data)
        payload.is_valid(raise_exception=True)
        with caller_actor(request):
            services.purchase_order_revise(
                po=po,
                lines=[dict(line) for line in payload.validated_data["lines"]],
                acting_user=request.user,
                writer=api_writer(request, "purchase_order"),
            )
        return self._detail(po)

    @extend_schema(
        request=serializers.PurchaseOrderCancelInput,
        responses={200: serializers.PurchaseOrderDetailSerializer, **PROBLEMS},
        description="A buyer cancels a PO with nothing shipped or received.",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None, format=None):
        po = self.get_object()
        require_buyer(request)
        payload = serializers.PurchaseOrderCancelInput(data=request.data)
        payload.is_valid(raise_exception=True)
        with caller_actor(request):
            services.purchase_order_cancel(
                po=po,
                reason=payload.validated_data["reason"],
                acting_user=request.user,
                writer=api_writer(request, "purchase_order"),
            )
        return self._detail(po)

    @extend_schema(
        request=None,
        responses={200: serializers.PurchaseOrderDetailSerializer, **PROBLEMS},
        description="A buyer closes a received or partly received PO.",
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None, format=None):
        po = self.get_object()
        require_buyer(request)
        with caller_actor(request):
            services.purchase_order_close(
                po=po, acting_user=request.user, writer=api_writer(request, "purchase_order")
            )
        return self._detail(po)

    @extend_schema(
        responses={200: serializers.AcknowledgementSerializer(many=True), **PROBLEMS},
        description="Every answer to this PO and what became of it, oldest first.",
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def acknowledgements(self, request, pk=None, format=None):
        po = self.get_object()
        rows = selectors.acknowledgement_list(po=po)
        return Response(serializers.AcknowledgementSerializer(rows, many=True).data)


class ProposalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ProcurementViewSet):
    """Supplier answers beyond tolerance, waiting for (or decided by) a buyer."""

    serializer_class = serializers.SupplierProposalSerializer
    filterset_class = SupplierProposalFilter

    def get_queryset(self):
        return selectors.proposal_list(suppliers=self.suppliers)

    def _fresh(self, proposal) -> Response:
        fresh = selectors.proposal_list().get(pk=proposal.pk)
        return Response(serializers.SupplierProposalSerializer(fresh).data)

    @extend_schema(
        request=None,
        responses={200: serializers.SupplierProposalSerializer, **PROBLEMS},
        description="A buyer accepts the proposal as it stands; it becomes the confirmation.",
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None, format=None):
        proposal = self.get_object()
        require_buyer(request)
        with caller_actor(request):
            services.proposal_accept(proposal=proposal, acting_user=request.user)
        return self._fresh(proposal)

    @extend_schema(
        request=serializers.ProposalRejectInput,
        responses={200: serializers.SupplierProposalSerializer, **PROBLEMS},
        description="A buyer rejects the proposal with a reason the supplier sees.",
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None, format=None):
        proposal = self.get_object()
        require_buyer(request)
        payload = serializers.ProposalRejectInput(data=request.data)
        payload.is_valid(raise_exception=True)
        with caller_actor(request):
            services.proposal_reject(
                proposal=proposal, reason=payload.validated_data["reason"], acting_user=request.user
            )
        return self._fresh(proposal)


class OverdueFirstPagination(CodeCursorPagination):
    ordering = ("ack_due_at", "id")


class StaleAcknowledgementViewSet(mixins.ListModelMixin, ProcurementViewSet):
    """PO lines sent and unanswered past the supplier's SLA, with their age and reminders."""

    serializer_class = serializers.StaleAcknowledgementSerializer
    filterset_class = StaleAcknowledgementFilter
    pagination_class = OverdueFirstPagination

    def get_queryset(self):
        return selectors.stale_acknowledgement_list(suppliers=self.suppliers)


class AsnViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ProcurementViewSet
):
    serializer_class = serializers.AsnSerializer
    filterset_class = AsnFilter

    def get_queryset(self):
        return selectors.asn_list(suppliers=self.suppliers)

    def _supplier(self, request, named: str | None) -> Supplier:
        user = request.user
        if isinstance(user, SystemPrincipal):
            return sender_supplier(user.system, named or user.system.code)
        suppliers = self.suppliers
        if suppliers is None:
            if not named:
                raise ApplicationError("Name the supplier of the ASN.", {"field": "supplier"})
            return resolve(Supplier, named, "supplier")
        if not suppliers or (named and named != suppliers[0].code):
            raise PermissionDenied("You may send ASNs for your own supplier only.")
        return suppliers[0]

    @extend_schema(
        request=serializers.AsnInput,
        responses={201: serializers.AsnSerializer, 200: serializers.AsnSerializer, **PROBLEMS},
        description=(
            "A supplier's ship notice against its PO lines. The supplier defaults to the caller's "
            "own; shipping beyond a line's open quantity plus tolerance is refused naming the line."
        ),
    )
    def create(self, request):
        payload = serializers.AsnInput(data=request.data)
        payload.is_valid(raise_exception=True)
        values = dict(payload.validated_data)
        supplier = self._supplier(request, values.pop("supplier", None))
        values["lines"] = [dict(line) for line in values["lines"]]
        existed = supplier.asns.filter(number=values["number"]).exists()
        with caller_actor(request):
            asn = services.asn_create(supplier=supplier, **values, **_acting(request))
        fresh = selectors.asn_list().get(pk=asn.pk)
        return Response(
            serializers.AsnSerializer(fresh).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )


class ReceiptViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ProcurementViewSet
):
    serializer_class = serializers.ReceiptSerializer
    filterset_class = ReceiptFilter

    def get_queryset(self):
        return selectors.receipt_list(suppliers=self.suppliers)

    @extend_schema(
        request=serializers.ReceiptInput,
        responses={
            201: serializers.ReceiptSerializer,
            200: serializers.ReceiptSerializer,
            **PROBLEMS,
        },
        description="Goods received against PO lines (by the system of record of receipts).",
    )
    def create(self, request):
        require_not_supplier(request)
        payload = serializers.ReceiptInput(data=request.data)
        payload.is_valid(raise_exception=True)
        values = dict(payload.validated_data)
        values["lines"] = [dict(line) for line in values["lines"]]
        existed = Receipt.objects.filter(number=values["number"]).exists()
        with caller_actor(request):
            receipt = services.receipt_post(
                **values,
                writer=api_writer(request, "receipt"),
                acting_user=None if isinstance(request.user, SystemPrincipal) else request.user,
            )
        fresh = selectors.receipt_list().get(pk=receipt.pk)
        return Response(
            serializers.ReceiptSerializer(fresh).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )
