"""E-mail to a supplier's contacts. Services queue a mail after commit; a Celery task sends it.

Mail is composed when it is sent, from the rows as committed, so a mail never describes a
change that was rolled back.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction

from procurement.models import PurchaseOrder, PurchaseOrderLine, SupplierProposal

log = logging.getLogger(__name__)

ISSUED = "issued"
CHANGED = "change_requested"
CANCELLED = "cancelled"

SUBJECTS = {
    ISSUED: "Purchase order {number} (revision {revision}) from Weft: please acknowledge",
    CHANGED: "Change to purchase order {number} (revision {revision}): please acknowledge",
    CANCELLED: "Purchase order {number} is cancelled (revision {revision})",
}


def purchase_order_mail_queue(po: PurchaseOrder, kind: str) -> None:
    """Send the supplier the PO (new, changed or cancelled) once the transaction commits."""
    from procurement.tasks import send_purchase_order_mail

    po_id, revision = po.pk, po.revision
    transaction.on_commit(lambda: send_purchase_order_mail.delay(po_id, kind, revision))


def proposal_rejected_mail_queue(proposal: SupplierProposal) -> None:
    from procurement.tasks import send_proposal_rejected_mail

    proposal_id = proposal.pk
    transaction.on_commit(lambda: send_proposal_rejected_mail.delay(proposal_id))


def reminder_mail_queue(supplier_id: int, line_ids: list[int]) -> None:
    from procurement.tasks import send_acknowledgement_reminder_mail

    transaction.on_commit(lambda: send_acknowledgement_reminder_mail.delay(supplier_id, line_ids))


def _send(recipients: list[str], subject: str, body: str) -> int:
    if not recipients:
        log.warning("No contact e-mail for the supplier; not sent: %s", subject)
        return 0
    return EmailMessage(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=recipients
    ).send()


def purchase_order_mail_send(*, po_id: int, kind: str, revision: int) -> int:
    po = (
        PurchaseOrder.objects.select_related("supplier", "plant")
        .prefetch_related("lines__item", "lines__uom")
        .filter(pk=po_id)
        .first()
    )
    if po is None:
        return 0
    subject = SUBJECTS[kind].format(number=po.number, revision=revision)
    rows = [
        f"  line {line.line_number}: {line.item.code} {line.item.description}, "
        f"{line.quantity.normalize():f} {line.uom.code} by {line.requested_date:%Y-%m-%d} "
        f"at {line.unit_price.normalize():f} {po.currency}"
        + (" (cancelled)" if line.status == PurchaseOrderLine.Status.CANCELLED else "")
        for line in po.lines.all()
    ]
    due = (
        f"Please answer every line by {po.ack_due_at:%Y-%m-%d %H:%M} UTC.\n"
        if po.ack_due_at
        else ""
    )
    body = (
        f"Dear {po.supplier.name},\n\n"
        f"purchase order {po.number}, revision {revision}, for plant {po.plant.code}:\n\n"
        + "\n".join(rows)
        + f"\n\n{due if kind != CANCELLED else ''}"
        "Answer in the supplier portal, through the API or by EDI (855 / ORDRSP).\n"
    )
    return _send(list(po.supplier.contact_emails), subject, body)


def proposal_rejected_mail_send(*, proposal_id: int) -> int:
    proposal = (
        SupplierProposal.objects.select_related("po_line__po__supplier", "po_line__uom")
        .filter(pk=proposal_id)
        .first()
    )
    if proposal is None:
        return 0
    line = proposal.po_line
    po = line.po
    subject = f"Purchase order {po.number} line {line.line_number}: your proposal was not accepted"
    body = (
        f"Dear {po.supplier.name},\n\n"
        f"your proposal for purchase order {po.number} line {line.line_number} "
        f"({proposal.get_kind_display()}: {proposal.proposed_quantity.normalize():f} {line.uom.code}"
        f"{f' on {proposal.proposed_date:%Y-%m-%d}' if proposal.proposed_date else ''}) "
        f"was not accepted.\n\nThe buyer's reason: {proposal.decision_reason}\n\n"
        f"We still need {line.quantity.normalize():f} {line.uom.code} by "
        f"{line.requested_date:%Y-%m-%d}. Please answer the line again.\n"
    )
    return _send(list(po.supplier.contact_emails), subject, body)


def acknowledgement_reminder_mail_send(*, supplier_id: int, line_ids: list[int]) -> int:
    lines = list(
        PurchaseOrderLine.objects.filter(pk__in=line_ids)
        .select_related("po__supplier", "item", "uom")
        .order_by("po__number", "line_number")
    )
    if not lines:
        return 0
    supplier = lines[0].po.supplier
    rows = [
        f"  {line.po.number} line {line.line_number}: {line.item.code}, "
        f"{line.quantity.normalize():f} {line.uom.code} by {line.requested_date:%Y-%m-%d} "
        f"(sent {line.sent_at:%Y-%m-%d}, answer was due {line.ack_due_at:%Y-%m-%d %H:%M} UTC)"
        for line in lines
    ]
    subject = f"Reminder: {len(lines)} purchase order line(s) await your acknowledgement"
    body = (
        f"Dear {supplier.name},\n\nthese purchase order lines are past your "
        f"{supplier.ack_sla_hours}-hour acknowledgement time and still unanswered:\n\n"
        + "\n".join(rows)
        + "\n\nPlease accept, propose a change or reject each line.\n"
    )
    return _send(list(supplier.contact_emails), subject, body)
