"""Detectors: each kind raised from the owning app's state, closed when it clears, reopened when it returns."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from execution.models import InventoryMismatch
from integrations.models import Event, InboundMessage, OutboundMessage
from planning.exceptions.registry import detector, detectors
from planning.exceptions.subscribers import detect_exceptions_for_event
from planning.exceptions.tasks import sweep_exceptions
from planning.models import PlanningException
from procurement import services
from procurement.models import PurchaseOrderLine
from tests.factories import ExternalSystemFactory, ItemFactory, PlantFactory
from tests.integrations.delivery_factories import OutboundMessageFactory
from tests.procurement.factories import in_days, line_of

pytestmark = pytest.mark.django_db
Kind = PlanningException.Kind


def answer(po, *lines):
    return services.purchase_order_acknowledge(
        po=po, revision=po.revision, lines=list(lines), acting_system=po.supplier.external_system
    )


def late_proposal(po, days=27, line=10):
    (proposal,) = answer(
        po,
        {
            "line": line,
            "status": "changed",
            "confirmed_date": in_days(days),
            "reason_code": "capacity",
        },
    ).proposed
    return proposal


def open_of(kind):
    return list(PlanningException.objects.open().filter(kind=kind))


def test_every_kind_the_brief_names_has_a_detector():
    assert set(detectors()) == {
        Kind.PROPOSAL_REVIEW,
        Kind.ACK_OVERDUE,
        Kind.DEAD_INBOUND,
        Kind.DEAD_OUTBOUND,
        Kind.INVENTORY_MISMATCH,
    }


def test_a_proposal_beyond_tolerance_is_raised_by_the_sweep_with_the_gap(po):
    # given the supplier proposes line 10 a week late
    late_proposal(po)

    # when the sweep runs (twice: it never lists the condition twice)
    sweep_exceptions()
    sweep_exceptions()

    # then one exception names the line, the supplier and the gap
    (exception,) = open_of(Kind.PROPOSAL_REVIEW)
    line = line_of(po, 10)
    assert exception.key == f"proposal_review:po_line:{line.pk}"
    assert (exception.po_line, exception.supplier, exception.plant) == (line, po.supplier, po.plant)
    assert "proposes 7 days later" in exception.summary
    assert exception.detail["stage"] == "review"
    assert exception.detail["proposed_date"] == in_days(27).isoformat()


def test_accepting_the_proposal_auto_closes_it(po, buyer):
    proposal = late_proposal(po)
    sweep_exceptions()

    services.proposal_accept(proposal=proposal, acting_user=buyer)
    detector(Kind.PROPOSAL_REVIEW).detect([line_of(po, 10)])

    (exception,) = PlanningException.objects.filter(kind=Kind.PROPOSAL_REVIEW)
    assert exception.state == "closed"
    assert exception.close_reason == "auto-closed: proposal accepted"


def test_a_change_request_keeps_it_open_until_the_supplier_confirms_by_event(
    po, buyer, after_commit
):
    # given a proposal under review
    late_proposal(po)
    sweep_exceptions()

    # when the buyer sends an expedite change request for the line (a new revision)
    line = line_of(po, 10)
    after_commit(
        services.purchase_order_revise,
        po=po,
        lines=[{"line": 10, "requested_date": in_days(22)}],
        acting_user=buyer,
    )

    # then the exception waits for the supplier's answer
    (exception,) = open_of(Kind.PROPOSAL_REVIEW)
    assert exception.detail["stage"] == "awaiting_supplier"

    # when the supplier confirms the new date, its `purchase_order.confirmed` event re-runs the detector
    po.refresh_from_db()
    after_commit(answer, po, {"line": 10, "status": "accepted"})

    # then the exception closed by itself
    exception.refresh_from_db()
    assert (exception.state, exception.close_reason) == (
        "closed",
        "auto-closed: supplier confirmed",
    )
    assert line_of(po, 10).ack_status == PurchaseOrderLine.AckStatus.ACCEPTED
    assert Event.objects.filter(event_type="exception.resolved").count() == 1
    assert line.pk == exception.po_line_id


def test_a_new_proposal_after_rejection_reopens_nothing_twice(po, buyer):
    proposal = late_proposal(po)
    sweep_exceptions()
    services.proposal_reject(proposal=proposal, reason="Too late", acting_user=buyer)
    detector(Kind.PROPOSAL_REVIEW).detect([line_of(po, 10)])
    (exception,) = open_of(Kind.PROPOSAL_REVIEW)
    assert exception.detail["stage"] == "awaiting_supplier"

    po.refresh_from_db()
    late_proposal(po, days=30)
    sweep_exceptions()

    (again,) = open_of(Kind.PROPOSAL_REVIEW)
    assert again.pk == exception.pk and again.detail["stage"] == "review"
    assert "10 days later" in again.summary


def test_an_acknowledgement_past_sla_is_raised_and_closes_when_answered(po, after_commit):
    # given the PO's lines fell due three days ago
    PurchaseOrderLine.objects.filter(po=po).update(ack_due_at=timezone.now() - timedelta(days=3))

    # when the sweep runs
    sweep_exceptions()

    # then each unanswered line is an exception, high because 72 hours have passed
    rows = sorted(open_of(Kind.ACK_OVERDUE), key=lambda r: r.po_line.line_number)
    assert [r.po_line.line_number for r in rows] == [10, 20]
    assert {r.severity for r in rows} == {PlanningException.Severity.HIGH}
    assert "no answer from S001, 3 days past SLA" in rows[0].summary

    # when the supplier accepts line 10 (the event re-runs the detector for the PO's lines)
    after_commit(answer, po, {"line": 10, "status": "accepted"})

    # then line 10's exception closed, line 20's stays
    assert [r.po_line.line_number for r in open_of(Kind.ACK_OVERDUE)] == [20]
    closed = PlanningException.objects.get(kind=Kind.ACK_OVERDUE, po_line__line_number=10)
    assert closed.close_reason == "auto-closed: supplier confirmed"


def dead_inbound(system, **kwargs):
    envelope = {
        "type": "supplier.upserted",
        "version": 1,
        "id": "m-1",
        "source": system.code,
        "data": {},
    }
    return InboundMessage.objects.create(
        system=system,
        idempotency_key=kwargs.pop("key", "m-1"),
        message_type="supplier.upserted",
        correlation_id="c-1",
        body=json.dumps(envelope),
        body_sha256="0" * 64,
        envelope=envelope,
        status=InboundMessage.Status.DEAD,
        reason="Gave up after 5 attempts to apply it.",
        attempts=5,
        **kwargs,
    )


def test_a_dead_inbound_message_is_raised_and_closes_when_replayed():
    message = dead_inbound(ExternalSystemFactory(code="ERP-EU"))
    sweep_exceptions()
    (exception,) = open_of(Kind.DEAD_INBOUND)
    assert exception.inbound_message == message
    assert exception.summary.startswith("Inbound supplier.upserted from ERP-EU is dead")

    InboundMessage.objects.filter(pk=message.pk).update(status=InboundMessage.Status.APPLIED)
    sweep_exceptions()
    exception.refresh_from_db()
    assert exception.close_reason == "auto-closed: replayed and applied"


def test_a_dead_outbound_message_is_raised_and_reopens_if_it_dies_again():
    message = OutboundMessageFactory(
        status=OutboundMessage.Status.DEAD, attempts=5, last_status_code=500
    )
    sweep_exceptions()
    (exception,) = open_of(Kind.DEAD_OUTBOUND)
    assert "dead after 5 attempts (HTTP 500)" in exception.summary

    OutboundMessage.objects.filter(pk=message.pk).update(status=OutboundMessage.Status.PENDING)
    sweep_exceptions()
    assert open_of(Kind.DEAD_OUTBOUND) == []

    OutboundMessage.objects.filter(pk=message.pk).update(status=OutboundMessage.Status.DEAD)
    sweep_exceptions()
    (again,) = open_of(Kind.DEAD_OUTBOUND)
    assert again.pk == exception.pk and again.reopen_count == 1


def test_an_inventory_mismatch_follows_the_mismatch_by_event():
    item, plant = ItemFactory(code="BRK-9"), PlantFactory(code="P200")
    mismatch = InventoryMismatch.objects.create(
        item=item,
        plant=plant,
        source="WMS-1",
        as_of=timezone.now(),
        weft_on_hand=Decimal("100"),
        external_on_hand=Decimal("80"),
    )
    detected = Event(
        event_type="inventory.mismatch_detected",
        data={"plant": "P200", "item": "BRK-9", "source": "WMS-1"},
    )
    detect_exceptions_for_event(detected)
    (exception,) = open_of(Kind.INVENTORY_MISMATCH)
    assert exception.summary == "BRK-9 @ P200: WMS-1 counts 80, Weft 100"
    assert exception.severity == PlanningException.Severity.HIGH

    mismatch.status, mismatch.resolution = "closed", "cleared"
    mismatch.save()
    detect_exceptions_for_event(Event(event_type="inventory.mismatch_closed", data=detected.data))
    exception.refresh_from_db()
    assert exception.close_reason == "auto-closed: a later count agreed"
