"""Reads more than one caller needs (API, portal, console), each limited to what the caller may see.

`suppliers` is None for callers who see every supplier's documents (planners, buyers, the
ERP), else the suppliers the caller acts for: a supplier system's suppliers, or a portal
user's one supplier. Anything outside is simply absent, so a detail view answers 404.
"""

from datetime import datetime

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from masterdata.models import Supplier
from procurement.filters import (
    AsnFilter,
    PurchaseOrderFilter,
    ReceiptFilter,
    StaleAcknowledgementFilter,
    SupplierProposalFilter,
)
from procurement.models import (
    Acknowledgement,
    AdvanceShipNotice,
    AsnLine,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    SupplierProposal,
)

Suppliers = QuerySet[Supplier] | list[Supplier] | None


def _scoped(queryset: QuerySet, suppliers: Suppliers, path: str) -> QuerySet:
    return queryset if suppliers is None else queryset.filter(**{f"{path}__in": suppliers})


def purchase_orders_visible(*, suppliers: Suppliers = None) -> QuerySet:
    """The POs the caller may see, nothing loaded beyond the row."""
    return _scoped(PurchaseOrder.objects.all(), suppliers, "supplier")


def purchase_order_list(*, filters: dict | None = None, suppliers: Suppliers = None) -> QuerySet:
    """POs with header fields and how many lines await the supplier's answer."""
    awaiting = Q(
        lines__ack_status=PurchaseOrderLine.AckStatus.AWAITING,
        lines__status=PurchaseOrderLine.Status.OPEN,
        status__in=PurchaseOrder.Status.with_supplier(),
    )
    queryset = _scoped(
        PurchaseOrder.objects.select_related("supplier", "plant").annotate(
            lines_awaiting=Count("lines", filter=awaiting),
            lines_proposed=Count(
                "lines", filter=Q(lines__ack_status=PurchaseOrderLine.AckStatus.PROPOSED)
            ),
        ),
        suppliers,
        "supplier",
    )
    return PurchaseOrderFilter(filters or {}, queryset).qs


def purchase_order_detail_queryset(*, suppliers: Suppliers = None) -> QuerySet:
    """POs with their lines, schedule lines and pending proposals loaded in a fixed few queries."""
    lines = PurchaseOrderLine.objects.select_related("item", "uom").prefetch_related(
        "schedule_lines",
        Prefetch(
            "proposals", queryset=SupplierProposal.objects.pending(), to_attr="pending_proposals"
        ),
    )
    return purchase_order_list(suppliers=suppliers).prefetch_related(
        Prefetch("lines", queryset=lines)
    )


def acknowledgement_list(*, po: PurchaseOrder) -> QuerySet:
    """What was said about a PO and decided, oldest first: the timeline under each line."""
    return (
        Acknowledgement.objects.filter(po=po)
        .select_related("acting_user", "acting_system")
        .prefetch_related("lines__po_line", "lines__proposal__decided_by")
        .order_by("received_at", "id")
    )


def proposal_list(*, filters: dict | None = None, suppliers: Suppliers = None) -> QuerySet:
    queryset = SupplierProposal.objects.select_related(
        "po_line__po__supplier",
        "po_line__po__plant",
        "po_line__item",
        "po_line__uom",
        "decided_by",
        "answer__acknowledgement__acting_user",
        "answer__acknowledgement__acting_system",
    )
    return SupplierProposalFilter(
        filters or {}, _scoped(queryset, suppliers, "po_line__po__supplier")
    ).qs


def stale_acknowledgement_list(
    *, filters: dict | None = None, suppliers: Suppliers = None, now: datetime | None = None
) -> QuerySet:
    """Lines sent and unanswered past their supplier's SLA, the longest overdue first."""
    queryset = (
        PurchaseOrderLine.objects.stale(now or timezone.now())
        .select_related("po__supplier", "po__plant", "item", "uom")
        .order_by("ack_due_at", "id")
    )
    return StaleAcknowledgementFilter(
        filters or {}, _scoped(queryset, suppliers, "po__supplier")
    ).qs


def asn_list(*, filters: dict | None = None, suppliers: Suppliers = None) -> QuerySet:
    lines = AsnLine.objects.select_related("po_line__po", "uom")
    queryset = AdvanceShipNotice.objects.select_related("supplier").prefetch_related(
        Prefetch("lines", queryset=lines)
    )
    return AsnFilter(filters or {}, _scoped(queryset, suppliers, "supplier")).qs


def receipt_list(*, filters: dict | None = None, suppliers: Suppliers = None) -> QuerySet:
    """Receipts; a supplier sees those with its lines, and only its own lines on them."""
    lines = ReceiptLine.objects.select_related("po_line__po", "item", "uom")
    queryset = Receipt.objects.select_related("plant")
    if suppliers is not None:
        lines = lines.filter(po_line__po__supplier__in=suppliers)
        queryset = queryset.filter(pk__in=lines.values("receipt_id"))
    return ReceiptFilter(
        filters or {}, queryset.prefetch_related(Prefetch("lines", queryset=lines))
    ).qs
