"""Supplier answers to purchase order lines, and the buyer's decisions on proposals.

One service takes every answer, whichever road it came by (API, JSON message, X12 855,
EDIFACT ORDRSP, the portal). Per line:

- accepted, or changed within the supplier's tolerances: the confirmation applies at once
  (confirmed quantity, date and schedule lines change; `purchase_order.confirmed` goes out);
- changed beyond tolerance, or rejected: a `SupplierProposal` waits for a buyer, who accepts
  it (then it applies as above) or rejects it with a reason the supplier sees (the line then
  awaits a new answer). A rejection always waits for a buyer: no tolerance covers "none".

Requested and confirmed values live in separate columns and never overwrite each other; every
answer is kept (`Acknowledgement`, `AcknowledgementLine`) with who gave it.

A supplier answering a line again while its proposal waits: the later answer replaces the
earlier one (that proposal becomes "superseded" and the new answer is judged afresh), since
the supplier's latest word is what it will deliver. An answer identical to the line's current
state (the confirmation in force, or the pending proposal) changes nothing and is not
recorded again, so a resent answer is harmless.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from integrations.errors import ApplicationError
from integrations.outbox import emit
from integrations.roles import supplier_of
from procurement import events, notifications
from procurement.models import (
    Acknowledgement,
    AcknowledgementLine,
    ConfirmedScheduleLine,
    PurchaseOrder,
    PurchaseOrderLine,
    SupplierProposal,
    SupplierTolerance,
)
from procurement.services.common import (
    actor_scope,
    buyer_check,
    positive_decimal,
    purchase_order_status_refresh,
    supplier_actor_check,
    tolerance_for,
)

Line = PurchaseOrderLine
Answer = AcknowledgementLine.Answer


@dataclass
class AcknowledgementResult:
    """What one answer did: the record kept (None when nothing changed) and each line's fate."""

    po: PurchaseOrder
    lines: list[Line] = field(default_factory=list)
    acknowledgement: Acknowledgement | None = None
    # Line id → id of its proposal waiting for a buyer, once the answer is taken.
    pending_proposals: dict[int, int] = field(default_factory=dict)
    applied: list[Line] = field(default_factory=list)
    proposed: list[SupplierProposal] = field(default_factory=list)
    unchanged: list[Line] = field(default_factory=list)


@dataclass
class _Answer:
    line: Line
    kind: str
    quantity: Decimal
    date: date | None
    schedule: list[tuple[Decimal, date]]
    reason_code: str
    reason: str

    def schedule_json(self) -> list[dict]:
        return [
            {"quantity": events.decimal_text(quantity), "date": day.isoformat()}
            for quantity, day in self.schedule
        ]


@transaction.atomic
def purchase_order_acknowledge(
    *,
    po: PurchaseOrder,
    revision: int | None,
    lines: list[dict],
    supplier_reference: str = "",
    acting_user=None,
    acting_system=None,
    message_id: str = "",
    today: date | None = None,
) -> AcknowledgementResult:
    """Take a supplier's answer per line: within tolerance it confirms, beyond it waits for a buyer.

    `lines` holds `{line, status (accepted/changed/rejected), confirmed_quantity,
    confirmed_date, reason, reason_code, schedule: [{quantity, date}]}`; quantities are in the
    line's unit. `revision` None means the PO's current revision (the message contract lets a
    supplier leave it out); any other revision but the current one is refused.
    """
    po = (
        PurchaseOrder.objects.select_for_update(of=("self",))
        .select_related("supplier")
        .get(pk=po.pk)
    )
    supplier_actor_check(supplier=po.supplier, acting_user=acting_user, acting_system=acting_system)
    with actor_scope(acting_user=acting_user, acting_system=acting_system):
        return _acknowledge(
            po,
            revision,
            lines,
            supplier_reference.strip(),
            acting_user,
            acting_system,
            message_id,
            today or timezone.localdate(),
        )


def _acknowledge(
    po, revision, lines, supplier_reference, acting_user, acting_system, message_id, today
) -> AcknowledgementResult:
    if not po.is_with_supplier():
        raise ApplicationError(
            f"Purchase order {po.number} is {po.status}; it takes no answers.",
            {"field": "po", "value": po.number},
            status_code=409,
        )
    if revision is not None and revision != po.revision:
        told = (
            f"it was replaced by revision {po.revision}: answer that one"
            if revision < po.revision
            else "that revision was never issued"
        )
        raise ApplicationError(
            f"Purchase order {po.number} is at revision {po.revision}; this answer is for "
            f"revision {revision}, and {told}.",
            {"field": "revision", "value": revision},
            status_code=409,
        )
    if not lines:
        raise ApplicationError("An answer needs at least one line.", {"field": "lines"})
    by_number = {
        line.line_number: line for line in po.lines.select_for_update().order_by("line_number")
    }
    answers = _read_answers(po, by_number, lines, today)
    # A line never answered has neither a pending proposal nor schedule lines: no need to look.
    answered = [
        answer.line for answer in answers if answer.line.ack_status != Line.AckStatus.AWAITING
    ]
    pending = {
        proposal.po_line_id: proposal
        for proposal in (
            SupplierProposal.objects.pending().filter(po_line__in=answered) if answered else []
        )
    }
    schedules = _schedules_of(answered) if answered else {}
    result = AcknowledgementResult(po=po, lines=[answer.line for answer in answers])
    fresh = []
    for answer in answers:
        if _repeats_current_state(answer, pending.get(answer.line.pk), schedules):
            result.unchanged.append(answer.line)
            if answer.line.pk in pending:
                result.pending_proposals[answer.line.pk] = pending[answer.line.pk].pk
        else:
            fresh.append(answer)
    reference_changed = bool(supplier_reference) and supplier_reference != po.supplier_reference
    if not fresh and not reference_changed:
        return result

    acknowledgement = Acknowledgement.objects.create(
        po=po,
        revision=po.revision,
        channel=_channel(acting_user, acting_system, message_id),
        supplier_reference=supplier_reference,
        acting_user=acting_user if getattr(acting_user, "is_authenticated", False) else None,
        acting_system=acting_system,
        message_id=message_id,
    )
    result.acknowledgement = acknowledgement
    tolerance = None
    for answer in fresh:
        superseded = pending.get(answer.line.pk)
        if superseded is not None:
            superseded.status = SupplierProposal.Status.SUPERSEDED
            superseded.save()
        if answer.kind == Answer.CHANGED and tolerance is None:
            tolerance = tolerance_for(po.supplier)
        applies = answer.kind == Answer.ACCEPTED or (
            answer.kind == Answer.CHANGED and _within(tolerance, answer)
        )
        record = AcknowledgementLine.objects.create(
            acknowledgement=acknowledgement,
            po_line=answer.line,
            answer=answer.kind,
            confirmed_quantity=answer.quantity,
            confirmed_date=answer.date,
            schedule=answer.schedule_json(),
            reason_code=answer.reason_code,
            reason=answer.reason,
            outcome=AcknowledgementLine.Outcome.APPLIED
            if applies
            else AcknowledgementLine.Outcome.PROPOSED,
        )
        if applies:
            _confirm(
                answer.line,
                answer.kind,
                answer.quantity,
                answer.date,
                answer.schedule,
                had_schedule=answer.line.pk in schedules,
            )
            result.applied.append(answer.line)
        else:
            proposal = _propose(po, answer, record)
            result.proposed.append(proposal)
            result.pending_proposals[answer.line.pk] = proposal.pk
    if reference_changed:
        po.supplier_reference = supplier_reference
        po.save()
    _after_change(po, result.applied, lines=list(by_number.values()))
    return result


def _channel(acting_user, acting_system, message_id: str) -> str:
    if message_id:
        return Acknowledgement.Channel.MESSAGE
    if acting_system is not None:
        return Acknowledgement.Channel.API
    if acting_user is not None and supplier_of(acting_user) is not None:
        return Acknowledgement.Channel.PORTAL
    return Acknowledgement.Channel.CONSOLE


def _read_answers(po, by_number: dict[int, Line], lines: list[dict], today: date) -> list[_Answer]:
    answers = []
    seen: set[int] = set()
    for index, given in enumerate(lines):
        where = f"lines[{index}]"
        number = given.get("line")
        line = by_number.get(number)
        if line is None:
            raise ApplicationError(
                f"Purchase order {po.number} has no line {number}.",
                {"field": f"{where}.line", "value": number},
            )
        if number in seen:
            raise ApplicationError(
                f"Line {number} is answered twice.", {"field": f"{where}.line", "value": number}
            )
        seen.add(number)
        if not line.can_acknowledge():
            raise ApplicationError(
                f"Line {number} of {po.number} is {line.status}; it takes no answer.",
                {"field": f"{where}.line", "value": number},
                status_code=409,
            )
        answers.append(_read_answer(line, given, where, today))
    return answers


def _read_answer(line: Line, given: dict, where: str, today: date) -> _Answer:
    status = given.get("status")
    reason = (given.get("reason") or "").strip()
    reason_code = given.get("reason_code") or ""
    if status not in Answer.values:
        raise ApplicationError(
            f"{where}.status must be one of {', '.join(Answer.values)}.",
            {"field": f"{where}.status", "value": status},
        )
    if status == Answer.REJECTED:
        if not reason:
            raise ApplicationError(
                f"{where}.reason: a rejected line needs a reason.",
                {"field": f"{where}.reason", "value": reason},
            )
        return _Answer(line, Answer.REJECTED, Decimal("0"), None, [], reason_code, reason)

    schedule = _read_schedule(given.get("schedule") or [], where, today)
    quantity, day = given.get("confirmed_quantity"), given.get("confirmed_date")
    if quantity is not None:
        quantity = positive_decimal(quantity, f"{where}.confirmed_quantity")
    if isinstance(day, str):
        day = _date(day, f"{where}.confirmed_date")
    if day is not None and day < today:
        raise ApplicationError(
            f"{where}.confirmed_date {day.isoformat()} is in the past.",
            {"field": f"{where}.confirmed_date", "value": day.isoformat()},
        )
    if schedule:
        total, last = sum(q for q, _ in schedule), max(d for _, d in schedule)
        if quantity is not None and quantity != total:
            raise ApplicationError(
                f"{where}.confirmed_quantity {events.decimal_text(quantity)} is not the schedule's "
                f"total {events.decimal_text(total)}.",
                {"field": f"{where}.confirmed_quantity", "value": events.decimal_text(quantity)},
            )
        if day is not None and day != last:
            raise ApplicationError(
                f"{where}.confirmed_date {day.isoformat()} is not the schedule's last date "
                f"{last.isoformat()}.",
                {"field": f"{where}.confirmed_date", "value": day.isoformat()},
            )
        quantity, day = total, last
    elif status == Answer.CHANGED and quantity is None and day is None:
        raise ApplicationError(
            f"{where}: a changed line names a confirmed_quantity, a confirmed_date or a schedule.",
            {"field": f"{where}.status", "value": status},
        )
    quantity = line.quantity if quantity is None else quantity
    day = line.requested_date if day is None else day
    # The values decide: an "accepted" line with another date or quantity is a change.
    same = quantity == line.quantity and day == line.requested_date and len(schedule) <= 1
    return _Answer(
        line,
        Answer.ACCEPTED if same else Answer.CHANGED,
        quantity,
        day,
        schedule if len(schedule) > 1 else [],
        reason_code,
        reason,
    )


def _read_schedule(rows: list[dict], where: str, today: date) -> list[tuple[Decimal, date]]:
    schedule = []
    for index, row in enumerate(rows):
        at = f"{where}.schedule[{index}]"
        quantity = positive_decimal(row.get("quantity"), f"{at}.quantity")
        day = row.get("date")
        day = _date(day, f"{at}.date") if isinstance(day, str) or day is None else day
        if day < today:
            raise ApplicationError(
                f"{at}.date {day.isoformat()} is in the past.",
                {"field": f"{at}.date", "value": day.isoformat()},
            )
        schedule.append((quantity, day))
    return sorted(schedule, key=lambda entry: entry[1])


def _date(value, field_name: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ApplicationError(
            f"{field_name} must be a date as YYYY-MM-DD.", {"field": field_name, "value": value}
        ) from None


def _schedules_of(lines: list[Line]) -> dict[int, list[tuple[Decimal, date]]]:
    schedules: dict[int, list[tuple[Decimal, date]]] = {}
    for row in ConfirmedScheduleLine.objects.filter(po_line__in=lines).order_by("delivery_date"):
        schedules.setdefault(row.po_line_id, []).append((row.quantity, row.delivery_date))
    return schedules


def _repeats_current_state(answer: _Answer, pending, schedules: dict) -> bool:
    line = answer.line
    if pending is not None:
        return (
            pending.kind == answer.kind
            and pending.proposed_quantity == answer.quantity
            and pending.proposed_date == answer.date
            and pending.schedule == answer.schedule_json()
            and pending.reason == answer.reason
        )
    if answer.kind == Answer.REJECTED:
        return line.ack_status == Line.AckStatus.REJECTED
    if line.ack_status != answer.kind:
        return False
    current_schedule = schedules.get(line.pk, [])
    wanted_schedule = answer.schedule or [(answer.quantity, answer.date)]
    return (
        line.confirmed_quantity == answer.quantity
        and line.confirmed_date == answer.date
        and current_schedule == wanted_schedule
    )


def _within(tolerance: SupplierTolerance, answer: _Answer) -> bool:
    line = answer.line
    if not tolerance.quantity_within(line.quantity, answer.quantity):
        return False
    days = [day for _, day in answer.schedule] or [answer.date]
    return all(tolerance.date_within(line.requested_date, day) for day in days)


def _confirm(line: Line, kind: str, quantity: Decimal, day, schedule, had_schedule=True) -> None:
    """The confirmation in force for the line: quantity, date, schedule lines."""
    line.confirmed_quantity = quantity
    line.confirmed_date = day
    line.confirmed_revision = line.po.revision
    if kind == Answer.REJECTED:
        line.ack_status = Line.AckStatus.REJECTED
        line.status = Line.Status.CANCELLED
    else:
        line.ack_status = (
            Line.AckStatus.CHANGED if kind == Answer.CHANGED else Line.AckStatus.ACCEPTED
        )
    line.save()
    for old in line.schedule_lines.all() if had_schedule else []:
        old.delete()
    if kind != Answer.REJECTED:
        for part_quantity, part_date in schedule or [(quantity, day)]:
            ConfirmedScheduleLine.objects.create(
                po_line=line, quantity=part_quantity, delivery_date=part_date
            )


def _propose(po: PurchaseOrder, answer: _Answer, record: AcknowledgementLine) -> SupplierProposal:
    line = answer.line
    line.ack_status = Line.AckStatus.PROPOSED
    line.save()
    return SupplierProposal.objects.create(
        po_line=line,
        answer=record,
        revision=po.revision,
        kind=answer.kind,
        requested_quantity=line.quantity,
        requested_date=line.requested_date,
        proposed_quantity=answer.quantity,
        proposed_date=answer.date,
        schedule=answer.schedule_json(),
        reason_code=answer.reason_code,
        reason=answer.reason,
    )


def _after_change(po: PurchaseOrder, applied: list[Line], lines: list[Line] | None = None) -> None:
    purchase_order_status_refresh(po, lines=lines)
    if applied:
        emit(events.CONFIRMED, events.confirmed_data(po, applied), key=events.aggregate_key(po))


def _locked_proposal(proposal: SupplierProposal) -> tuple[SupplierProposal, PurchaseOrder]:
    """The proposal and its PO, locked PO first (as an answer locks them), so they never deadlock."""
    po = PurchaseOrder.objects.select_for_update().get(
        pk=SupplierProposal.objects.filter(pk=proposal.pk).values("po_line__po_id")[:1]
    )
    proposal = (
        SupplierProposal.objects.select_for_update(of=("self",))
        .select_related("po_line__po__supplier")
        .get(pk=proposal.pk)
    )
    if not proposal.is_pending():
        raise ApplicationError(
            f"This proposal is {proposal.status} already; only a pending one is decided.",
            {"field": "status", "value": proposal.status},
            status_code=409,
        )
    line = proposal.po_line
    if not line.can_acknowledge() or (line.sent_revision or 0) > proposal.revision:
        raise ApplicationError(
            f"Line {line.line_number} of {line.po.number} changed since this proposal.",
            {"field": "status", "value": proposal.status},
            status_code=409,
        )
    return proposal, po


@transaction.atomic
def proposal_accept(*, proposal: SupplierProposal, acting_user) -> SupplierProposal:
    """Accept a supplier's proposal as it stands: it becomes the line's confirmation."""
    buyer_check(acting_user)
    with actor_scope(acting_user=acting_user):
        proposal, po = _locked_proposal(proposal)
        line = (
            Line.objects.select_for_update(of=("self",))
            .select_related("po")
            .get(pk=proposal.po_line_id)
        )
        schedule = [
            (Decimal(part["quantity"]), date.fromisoformat(part["date"]))
            for part in proposal.schedule
        ]
        _confirm(line, proposal.kind, proposal.proposed_quantity, proposal.proposed_date, schedule)
        _decide(proposal, SupplierProposal.Status.ACCEPTED, acting_user, "")
        _after_change(po, [line])
    return proposal


@transaction.atomic
def proposal_reject(*, proposal: SupplierProposal, reason: str, acting_user) -> SupplierProposal:
    """Reject a supplier's proposal with a reason it sees; the line awaits a new answer."""
    buyer_check(acting_user)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            "Say why the proposal is rejected; the supplier sees the reason.",
            {"field": "reason", "value": reason},
        )
    with actor_scope(acting_user=acting_user):
        proposal, po = _locked_proposal(proposal)
        line = (
            Line.objects.select_for_update(of=("self",))
            .select_related("po__supplier")
            .get(pk=proposal.po_line_id)
        )
        now = timezone.now()
        line.ack_status = Line.AckStatus.AWAITING
        # The supplier is asked again now: its acknowledgement time starts over.
        line.sent_at = now
        line.ack_due_at = now + timedelta(hours=line.po.supplier.ack_sla_hours)
        line.next_reminder_at = line.ack_due_at
        line.reminders_sent = 0
        line.last_reminded_at = None
        line.save()
        _decide(proposal, SupplierProposal.Status.REJECTED, acting_user, reason)
        purchase_order_status_refresh(po)
        notifications.proposal_rejected_mail_queue(proposal)
    return proposal


def _decide(proposal: SupplierProposal, status: str, acting_user, reason: str) -> None:
    proposal.status = status
    proposal.decided_by = acting_user if getattr(acting_user, "is_authenticated", False) else None
    proposal.decided_at = timezone.now()
    proposal.decision_reason = reason
    proposal.save()
