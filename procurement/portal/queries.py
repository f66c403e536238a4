"""The portal's reads: one supplier's issued orders, the work waiting for it, a line's timeline.

Everything starts from `purchase_orders_visible(suppliers=[supplier])`, so another supplier's
order is simply absent and its detail answers 404. Drafts are the buyer's, never shown.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, F, Min, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce

from procurement.filters import PurchaseOrderFilter
from procurement.models import (
    AdvanceShipNotice,
    PurchaseOrder,
    PurchaseOrderLine,
    SupplierProposal,
)
from procurement.selectors import acknowledgement_list, purchase_orders_visible

Line = PurchaseOrderLine
AckStatus = PurchaseOrderLine.AckStatus


def portal_orders(supplier) -> QuerySet:
    return purchase_orders_visible(suppliers=[supplier]).exclude(status=PurchaseOrder.Status.DRAFT)


def _supplier_lines(supplier) -> QuerySet:
    """The supplier's lines, with the date and quantity they deliver on."""
    return Line.objects.filter(po__supplier=supplier).annotate(
        due_date=Coalesce("confirmed_date", "requested_date"),
        to_ship=Coalesce("confirmed_quantity", "quantity"),
    )


def _view_conditions(supplier, today: date) -> dict[str, Q]:
    """Per list view, what a line must be to put its PO in it."""
    with_supplier = Q(po__status__in=PurchaseOrder.Status.with_supplier())
    awaiting = with_supplier & Q(status=Line.Status.OPEN, ack_status=AckStatus.AWAITING)
    delivering = with_supplier & Q(
        status__in=Line.Status.receivable(), ack_status__in=[AckStatus.ACCEPTED, AckStatus.CHANGED]
    )
    unshipped = Q(shipped_quantity__lt=F("to_ship"), received_quantity__lt=F("to_ship"))
    sent_back = SupplierProposal.objects.filter(
        status=SupplierProposal.Status.REJECTED, po_line__po__supplier=supplier
    ).values("po_line_id")
    return {
        "awaiting": awaiting,
        "proposed": with_supplier & Q(ack_status=AckStatus.PROPOSED, status=Line.Status.OPEN),
        "returned": awaiting & Q(pk__in=sent_back),
        "pending": delivering,
        "late": delivering & unshipped & Q(due_date__lt=today),
        "due": delivering
        & unshipped
        & Q(due_date__gte=today, due_date__lte=today + timedelta(days=7)),
    }


VIEWS = {
    "awaiting": "Awaiting response",
    "proposed": "Changes proposed",
    "returned": "Sent back by buyer",
    "pending": "Pending delivery",
    "late": "Past due",
    "due": "Due in 7 days",
    "all": "All",
}

SORTS = {
    "-issued": ("Newest issued", ["-issued_at", "-id"]),
    "issued": ("Oldest issued", ["issued_at", "id"]),
    "number": ("PO number", ["number"]),
    "-number": ("PO number, descending", ["-number"]),
    "ack_due": ("Answer due", [F("ack_due_at").asc(nulls_last=True), "id"]),
}
DEFAULT_SORT = "-issued"


def order_list(supplier, *, view: str, search: str, sort: str, today: date) -> QuerySet:
    """The supplier's orders in one list view, searched and sorted; nothing but the PO rows."""
    orders = portal_orders(supplier)
    if view in VIEWS and view != "all":
        lines = _supplier_lines(supplier).filter(_view_conditions(supplier, today)[view])
        orders = orders.filter(pk__in=lines.values("po_id"))
    if search:
        orders = PurchaseOrderFilter({"q": search}, orders).qs
    return orders.select_related("plant").order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT])[1])


def view_counts(supplier, today: date, views=("awaiting", "proposed", "returned", "late", "due")):
    """How many orders each list view holds, for the tabs and the home tiles: one query."""
    conditions = _view_conditions(supplier, today)
    return _supplier_lines(supplier).aggregate(
        **{view: Count("po_id", distinct=True, filter=conditions[view]) for view in views}
    )


def attach_line_figures(orders: list[PurchaseOrder]) -> list[PurchaseOrder]:
    """Give each order on a page its line counts and next due date, in one query for the page."""
    figures = {
        row["po_id"]: row
        for row in Line.objects.filter(po__in=orders)
        .values("po_id")
        .annotate(
            line_count=Count("id"),
            awaiting=Count("id", filter=Q(ack_status=AckStatus.AWAITING, status=Line.Status.OPEN)),
            proposed=Count("id", filter=Q(ack_status=AckStatus.PROPOSED)),
            next_due=Min(
                Coalesce("confirmed_date", "requested_date"),
                filter=Q(status__in=Line.Status.receivable()),
            ),
        )
    }
    for po in orders:
        row = figures.get(po.pk, {})
        po.line_count = row.get("line_count", 0)
        po.lines_awaiting = row.get("awaiting", 0)
        po.lines_proposed = row.get("proposed", 0)
        po.next_due = row.get("next_due")
    return orders


def order_lines(po: PurchaseOrder, *, line_number: int | None = None) -> list[PurchaseOrderLine]:
    lines = po.lines.select_related("item", "uom").prefetch_related(
        Prefetch("proposals", queryset=SupplierProposal.objects.pending(), to_attr="pending")
    )
    if line_number is not None:
        lines = lines.filter(line_number=line_number)
    return list(lines.order_by("line_number"))


def open_quantity_to_ship(line: PurchaseOrderLine):
    return max(line.expected_quantity - max(line.shipped_quantity, line.received_quantity), 0)


def shippable_lines(po: PurchaseOrder) -> list[PurchaseOrderLine]:
    """The lines a ship notice may carry, each with what is left to ship."""
    if not po.is_with_supplier():
        return []
    lines = []
    for line in po.lines.select_related("item", "uom").filter(status__in=Line.Status.receivable()):
        line.ship_open_quantity = open_quantity_to_ship(line)
        if line.ship_open_quantity > 0:
            lines.append(line)
    return lines


def ship_notices_of(po: PurchaseOrder) -> QuerySet:
    return (
        AdvanceShipNotice.objects.filter(supplier_id=po.supplier_id, lines__po_line__po=po)
        .distinct()
        .order_by("-created_at", "-id")
    )


@dataclass
class TimelineEntry:
    at: datetime
    who: str
    kind: str
    title: str
    quantity: object = None
    day: date | None = None
    reason_code: str = ""
    reason: str = ""
    schedule: list = field(default_factory=list)


def timelines(po: PurchaseOrder) -> dict[int, list[TimelineEntry]]:
    """Per line id, what the supplier said and what the buyer decided, oldest first."""
    entries: dict[int, list[TimelineEntry]] = {}
    for acknowledgement in acknowledgement_list(po=po):
        for said in acknowledgement.lines.all():
            entries.setdefault(said.po_line_id, []).extend(_entries_of(acknowledgement, said))
    for line_entries in entries.values():
        line_entries.sort(key=lambda entry: entry.at)
    return entries


def _entries_of(acknowledgement, said) -> list[TimelineEntry]:
    answer_titles = {
        "accepted": "Accepted",
        "changed": "Proposed a change",
        "rejected": "Rejected",
    }
    title = answer_titles.get(said.answer, said.answer)
    if said.outcome == said.Outcome.APPLIED and said.answer == "changed":
        title = "Accepted with changes (within tolerance)"
    result = [
        TimelineEntry(
            at=acknowledgement.received_at,
            who=acknowledgement.actor,
            kind=said.answer,
            title=title,
            quantity=said.confirmed_quantity if said.answer != "rejected" else None,
            day=said.confirmed_date,
            reason_code=said.get_reason_code_display() if said.reason_code else "",
            reason=said.reason,
        )
    ]
    try:
        proposal = said.proposal
    except ObjectDoesNotExist:
        return result
    if proposal.status == SupplierProposal.Status.PENDING:
        result[0].title += " — awaiting buyer"
    elif proposal.status == SupplierProposal.Status.SUPERSEDED:
        result[0].title += " — replaced by a later answer"
    elif proposal.decided_at:
        accepted = proposal.status == SupplierProposal.Status.ACCEPTED
        result.append(
            TimelineEntry(
                at=proposal.decided_at,
                who=str(proposal.decided_by) if proposal.decided_by_id else "buyer",
                kind="buyer-accepted" if accepted else "buyer-rejected",
                title="Buyer accepted the proposal"
                if accepted
                else "Buyer rejected the proposal; answer again",
                reason=proposal.decision_reason,
            )
        )
    return result
