"""Acknowledgements past the supplier's SLA: a PO line sent and still unanswered."""

from django.utils import timezone

from planning.exceptions.detectors.proposals import LIVE_LINE, PO_EVENTS, lines_of_po_event
from planning.exceptions.registry import Detector, register
from planning.exceptions.services import Condition
from planning.models import PlanningException
from procurement.models import PurchaseOrder, PurchaseOrderLine

Line = PurchaseOrderLine
Severity = PlanningException.Severity


def overdue_severity(hours: float) -> int:
    if hours >= 24 * 7:
        return Severity.CRITICAL
    if hours >= 72:
        return Severity.HIGH
    return Severity.MEDIUM


@register
class AckOverdueDetector(Detector):
    kind = PlanningException.Kind.ACK_OVERDUE
    model = Line
    object_field = "po_line"
    event_types = PO_EVENTS

    def prepare(self, queryset):
        return queryset.select_related("po__supplier", "po__plant", "item__planner")

    def objects_for_event(self, event):
        return self.prepare(lines_of_po_event(event))

    def candidates(self):
        return Line.objects.stale(timezone.now())

    def condition(self, line):
        now = timezone.now()
        po = line.po
        if (
            line.status != Line.Status.OPEN
            or line.ack_status != Line.AckStatus.AWAITING
            or po.status not in PurchaseOrder.Status.with_supplier()
            or line.ack_due_at is None
            or line.ack_due_at > now
        ):
            return None
        hours = (now - line.ack_due_at).total_seconds() / 3600
        late = f"{int(hours // 24)} days" if hours >= 48 else f"{int(hours)} h"
        return Condition(
            key=self.key(line),
            kind=self.kind,
            severity=overdue_severity(hours),
            summary=f"PO {po.number}/{line.line_number} {line.item.code}: no answer from {po.supplier.code}, {late} past SLA",
            item=line.item,
            plant=po.plant,
            supplier=po.supplier,
            po_line=line,
            detail={
                "po": po.number,
                "line": line.line_number,
                "sent_at": line.sent_at.isoformat() if line.sent_at else None,
                "ack_due_at": line.ack_due_at.isoformat(),
                "reminders_sent": line.reminders_sent,
            },
            due_at=line.ack_due_at,
        )

    def clear_reason(self, line) -> str:
        if line.status not in LIVE_LINE:
            return f"auto-closed: line {line.get_status_display().lower()}"
        if line.ack_status in (Line.AckStatus.ACCEPTED, Line.AckStatus.CHANGED):
            return "auto-closed: supplier confirmed"
        if line.ack_status == Line.AckStatus.PROPOSED:
            return "auto-closed: supplier answered with a proposal"
        if line.ack_status == Line.AckStatus.REJECTED:
            return "auto-closed: supplier rejected the line"
        return "auto-closed: sent again, a new SLA runs"
