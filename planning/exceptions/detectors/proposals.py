"""Supplier proposals beyond tolerance: the buyer must accept or reject, or ask again.

The condition is per PO line. It holds while a proposal awaits the buyer, and after the buyer
rejected it or sent a change request, until the supplier answers again: a confirmation closes
it ("auto-closed: supplier confirmed"), a new proposal keeps it open with the new numbers.
"""

from datetime import datetime, time

from django.db.models import Prefetch
from django.utils import timezone

from planning.exceptions.registry import Detector, register
from planning.exceptions.services import Condition
from planning.models import PlanningException
from procurement.models import PurchaseOrderLine, SupplierProposal

Line = PurchaseOrderLine
Severity = PlanningException.Severity
PO_EVENTS = ("purchase_order.confirmed", "purchase_order.change_requested", "purchase_order.issued")
LIVE_LINE = (Line.Status.OPEN, Line.Status.PARTIALLY_RECEIVED)


def lines_of_po_event(event):
    number = (event.data or {}).get("po")
    if not number:
        return []
    return Line.objects.filter(po__number=number)


def _latest_proposal(line):
    proposals = getattr(line, "recent_proposals", None)
    if proposals is None:
        proposals = list(line.proposals.order_by("-created_at", "-id")[:1])
    return proposals[0] if proposals else None


def proposal_severity(proposal: SupplierProposal) -> int:
    if proposal.kind == "reject" or proposal.proposed_quantity <= 0:
        return Severity.CRITICAL
    gap_days = (
        (proposal.proposed_date - proposal.requested_date).days if proposal.proposed_date else 0
    )
    short = proposal.requested_quantity - proposal.proposed_quantity
    short_share = short / proposal.requested_quantity if proposal.requested_quantity else 0
    if gap_days >= 10 or short_share >= 0.2:
        return Severity.HIGH
    return Severity.MEDIUM


@register
class ProposalReviewDetector(Detector):
    kind = PlanningException.Kind.PROPOSAL_REVIEW
    model = Line
    object_field = "po_line"
    event_types = PO_EVENTS

    def prepare(self, queryset):
        return queryset.select_related(
            "po__supplier", "po__plant", "item__planner"
        ).prefetch_related(
            Prefetch(
                "proposals",
                queryset=SupplierProposal.objects.order_by("-created_at", "-id"),
                to_attr="all_proposals",
            )
        )

    def objects_for_event(self, event):
        return self.prepare(lines_of_po_event(event))

    def candidates(self):
        return Line.objects.filter(proposals__status=SupplierProposal.Status.PENDING).distinct()

    def _latest(self, line):
        proposals = getattr(line, "all_proposals", None)
        if proposals is not None:
            return proposals[0] if proposals else None
        return _latest_proposal(line)

    def condition(self, line):
        if line.status not in LIVE_LINE:
            return None
        proposal = self._latest(line)
        if proposal is None:
            return None
        po = line.po
        if proposal.status == SupplierProposal.Status.PENDING:
            stage = "review"
        elif (
            proposal.status
            in (
                SupplierProposal.Status.REJECTED,
                SupplierProposal.Status.SUPERSEDED,
            )
            and line.ack_status == Line.AckStatus.AWAITING
        ):
            stage = "awaiting_supplier"
        else:
            return None
        requested_date = line.requested_date
        detail = {
            "stage": stage,
            "proposal": proposal.pk,
            "proposal_kind": proposal.kind,
            "requested_quantity": str(proposal.requested_quantity),
            "requested_date": proposal.requested_date.isoformat(),
            "proposed_quantity": str(proposal.proposed_quantity),
            "proposed_date": proposal.proposed_date.isoformat() if proposal.proposed_date else None,
            "reason_code": proposal.reason_code,
            "po": po.number,
            "line": line.line_number,
        }
        where = f"PO {po.number}/{line.line_number} {line.item.code}"
        if stage == "review":
            if proposal.kind == "reject":
                summary = f"{where}: {po.supplier.code} rejected the line"
            else:
                gap = (
                    (proposal.proposed_date - proposal.requested_date).days
                    if proposal.proposed_date
                    else 0
                )
                parts = []
                if gap:
                    parts.append(f"{abs(gap)} days {'later' if gap > 0 else 'earlier'}")
                if proposal.proposed_quantity != proposal.requested_quantity:
                    parts.append(
                        f"{proposal.proposed_quantity.normalize():f} of {proposal.requested_quantity.normalize():f}"
                    )
                summary = f"{where}: {po.supplier.code} proposes {', '.join(parts) or 'a change'}"
            severity = proposal_severity(proposal)
        else:
            summary = f"{where}: change sent, awaiting {po.supplier.code}'s answer"
            severity = Severity.MEDIUM
        return Condition(
            key=self.key(line),
            kind=self.kind,
            severity=severity,
            summary=summary,
            item=line.item,
            plant=po.plant,
            supplier=po.supplier,
            po_line=line,
            detail=detail,
            due_at=timezone.make_aware(datetime.combine(requested_date, time(0))),
        )

    def clear_reason(self, line) -> str:
        proposal = self._latest(line)
        if line.status not in LIVE_LINE:
            return f"auto-closed: line {line.get_status_display().lower()}"
        if proposal is not None and proposal.status == SupplierProposal.Status.ACCEPTED:
            return "auto-closed: proposal accepted"
        if line.ack_status in (Line.AckStatus.ACCEPTED, Line.AckStatus.CHANGED):
            return "auto-closed: supplier confirmed"
        return "auto-closed: nothing awaits review"
