from decimal import Decimal

import pytest
from django.core import mail

from integrations.errors import ApplicationError, NotFoundError, OwnershipError
from integrations.models import Event
from integrations.schemas import data_errors
from procurement import services
from procurement.models import (
    Acknowledgement,
    AcknowledgementLine,
    PurchaseOrder,
    SupplierProposal,
)
from tests.factories import SupplierUserFactory
from tests.procurement.factories import SupplierToleranceFactory, in_days, line_of

pytestmark = pytest.mark.django_db


def answer(po, *lines, revision=0, **kwargs):
    return services.purchase_order_acknowledge(
        po=po,
        revision=revision,
        lines=list(lines),
        acting_system=kwargs.pop("acting_system", po.supplier.external_system),
        **kwargs,
    )


def confirmations():
    return [
        e.data for e in Event.objects.filter(event_type="purchase_order.confirmed").order_by("id")
    ]


def test_accepting_every_line_confirms_them_and_the_po(po):
    # when the supplier accepts both lines as requested
    result = answer(po, {"line": 10, "status": "accepted"}, {"line": 20, "status": "accepted"})

    # then both confirm at the requested values and the PO is acknowledged
    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.ACKNOWLEDGED
    assert [line.line_number for line in result.applied] == [10, 20]
    first = line_of(po, 10)
    assert (first.ack_status, first.confirmed_quantity, first.confirmed_date) == (
        "accepted",
        Decimal("40"),
        first.requested_date,
    )
    assert [(s.quantity, s.delivery_date) for s in first.schedule_lines.all()] == [
        (Decimal("40"), first.requested_date)
    ]

    # and the ERP is told, in the contract's exact shape
    (data,) = confirmations()
    assert data == {
        "po": po.number,
        "revision": 0,
        "lines": [
            {
                "line": 10,
                "confirmed_quantity": "40",
                "confirmed_date": in_days(20).isoformat(),
                "status": "accepted",
            },
            {
                "line": 20,
                "confirmed_quantity": "10",
                "confirmed_date": in_days(30).isoformat(),
                "status": "accepted",
            },
        ],
    }
    assert data_errors("purchase_order.confirmed", 1, data) == []

    # and the answer is kept with who gave it
    (kept,) = Acknowledgement.objects.all()
    assert kept.acting_system.code == "ACME" and kept.channel == "api"


def test_a_change_within_tolerance_applies_and_keeps_the_request(po):
    # given the global default: 2 days late, ±5% quantity
    # when the supplier confirms line 10 two days late and 5% short
    result = answer(
        po,
        {
            "line": 10,
            "status": "changed",
            "confirmed_quantity": Decimal("38"),
            "confirmed_date": in_days(22),
        },
    )

    # then it applies as a change; the requested values stay as they were
    line = line_of(po, 10)
    assert [row.line_number for row in result.applied] == [10]
    assert (line.ack_status, line.confirmed_quantity, line.confirmed_date) == (
        "changed",
        Decimal("38"),
        in_days(22),
    )
    assert (line.quantity, line.requested_date) == (Decimal("40"), in_days(20))
    assert confirmations()[0]["lines"] == [
        {
            "line": 10,
            "confirmed_quantity": "38",
            "confirmed_date": in_days(22).isoformat(),
            "status": "changed",
        }
    ]
    # line 20 is unanswered, so the PO still waits
    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.ISSUED


def test_a_change_beyond_tolerance_waits_for_a_buyer_who_accepts_it(po, buyer):
    # when the supplier proposes line 10 a week late
    result = answer(
        po,
        {
            "line": 10,
            "status": "changed",
            "confirmed_date": in_days(27),
            "reason_code": "capacity",
            "reason": "Furnace down",
        },
    )

    # then nothing is confirmed yet: a proposal waits for a buyer
    (proposal,) = result.proposed
    line = line_of(po, 10)
    assert line.ack_status == "proposed" and line.confirmed_date is None
    assert (proposal.status, proposal.kind, proposal.days_late) == ("pending", "changed", 7)
    assert (proposal.requested_quantity, proposal.proposed_quantity) == (
        Decimal("40"),
        Decimal("40"),
    )
    assert proposal.reason_code == "capacity"
    assert confirmations() == []

    # when the buyer accepts it
    services.proposal_accept(proposal=proposal, acting_user=buyer)

    # then it is the confirmation, and the ERP hears of it
    line.refresh_from_db()
    proposal.refresh_from_db()
    assert (line.ack_status, line.confirmed_date) == ("changed", in_days(27))
    assert (proposal.status, proposal.decided_by) == ("accepted", buyer)
    (data,) = confirmations()
    assert data["lines"] == [
        {
            "line": 10,
            "confirmed_quantity": "40",
            "confirmed_date": in_days(27).isoformat(),
            "status": "changed",
        }
    ]
    assert data_errors("purchase_order.confirmed", 1, data) == []


def test_a_rejected_proposal_sends_the_line_back_with_the_buyers_reason(po, buyer, after_commit):
    # given a proposal for half the quantity
    (proposal,) = answer(
        po, {"line": 20, "status": "changed", "confirmed_quantity": Decimal("5")}
    ).proposed

    # when the buyer rejects it with a reason
    after_commit(
        services.proposal_reject,
        proposal=proposal,
        reason="We need all ten for the launch",
        acting_user=buyer,
    )

    # then the line awaits a new answer, the proposal and decision are kept
    line = line_of(po, 20)
    proposal.refresh_from_db()
    assert line.ack_status == "awaiting" and line.confirmed_quantity is None
    assert (proposal.status, proposal.decision_reason, proposal.decided_by) == (
        "rejected",
        "We need all ten for the launch",
        buyer,
    )
    # and the supplier is told why
    (message,) = mail.outbox
    assert "not accepted" in message.subject and "We need all ten for the launch" in message.body


def test_rejecting_a_proposal_needs_a_reason_and_a_buyer(po, portal_user):
    (proposal,) = answer(
        po, {"line": 20, "status": "changed", "confirmed_quantity": Decimal("5")}
    ).proposed
    with pytest.raises(OwnershipError):
        services.proposal_reject(proposal=proposal, reason="no", acting_user=portal_user)
    from tests.factories import PlannerFactory

    with pytest.raises(ApplicationError, match="Say why") as refused:
        services.proposal_reject(proposal=proposal, reason="  ", acting_user=PlannerFactory())
    assert refused.value.extra["field"] == "reason"


def test_a_rejected_line_waits_for_a_buyer_and_accepting_it_cancels_the_line(po, buyer):
    # when the supplier rejects line 20
    (proposal,) = answer(
        po, {"line": 20, "status": "rejected", "reason": "Tooling not available"}
    ).proposed
    assert (proposal.kind, proposal.proposed_quantity) == ("rejected", Decimal("0"))

    # when the buyer accepts the rejection
    services.proposal_accept(proposal=proposal, acting_user=buyer)

    # then the line is cancelled, its confirmation is zero, and the ERP is told
    line = line_of(po, 20)
    assert (line.status, line.ack_status, line.confirmed_quantity) == (
        "cancelled",
        "rejected",
        Decimal("0"),
    )
    (data,) = confirmations()
    assert data["lines"] == [{"line": 20, "confirmed_quantity": "0", "status": "rejected"}]
    assert data_errors("purchase_order.confirmed", 1, data) == []


def test_an_answer_to_an_old_revision_is_refused_with_that_reason(po):
    # given the buyer revised the PO to revision 1
    services.purchase_order_revise(po=po, lines=[{"line": 10, "quantity": Decimal("50")}])

    # when the supplier answers revision 0
    with pytest.raises(ApplicationError) as refused:
        answer(po, {"line": 10, "status": "accepted"}, revision=0)

    # then it is refused, naming the revision that replaced it
    assert refused.value.status_code == 409
    assert "revision 1" in refused.value.message and "replaced" in refused.value.message
    assert refused.value.extra == {"field": "revision", "value": 0}
    assert Acknowledgement.objects.count() == 0


def test_an_answer_to_a_revision_never_issued_is_refused(po):
    with pytest.raises(ApplicationError, match="never issued"):
        answer(po, {"line": 10, "status": "accepted"}, revision=5)


@pytest.mark.parametrize(
    ("given", "field", "message"),
    [
        ({"line": 99, "status": "accepted"}, "lines[0].line", "has no line 99"),
        ({"line": 10, "status": "changed"}, "lines[0].status", "names a confirmed_quantity"),
        ({"line": 10, "status": "rejected"}, "lines[0].reason", "needs a reason"),
        (
            {"line": 10, "status": "changed", "confirmed_quantity": "lots"},
            "lines[0].confirmed_quantity",
            "must be a number",
        ),
        (
            {"line": 10, "status": "changed", "confirmed_quantity": "0"},
            "lines[0].confirmed_quantity",
            "above zero",
        ),
        (
            {"line": 10, "status": "changed", "confirmed_date": in_days(-1)},
            "lines[0].confirmed_date",
            "in the past",
        ),
        ({"line": 10, "status": "maybe"}, "lines[0].status", "must be one of"),
        (
            {
                "line": 10,
                "status": "changed",
                "schedule": [{"quantity": "20", "date": in_days(-3)}],
            },
            "lines[0].schedule[0].date",
            "in the past",
        ),
    ],
)
def test_bad_answers_are_refused_naming_the_field(po, given, field, message):
    with pytest.raises(ApplicationError, match=message) as refused:
        answer(po, given)
    assert refused.value.extra["field"] == field
    assert Acknowledgement.objects.count() == 0


def test_a_line_answered_twice_in_one_answer_is_refused(po):
    with pytest.raises(ApplicationError, match="answered twice"):
        answer(
            po,
            {"line": 10, "status": "accepted"},
            {"line": 10, "status": "rejected", "reason": "x"},
        )


def test_a_system_that_is_not_the_suppliers_may_not_answer(po, baltic):
    with pytest.raises(OwnershipError, match="BALTIC is not S001's system"):
        answer(po, {"line": 10, "status": "accepted"}, acting_system=baltic.external_system)


def test_a_portal_user_of_another_supplier_finds_nothing(po, baltic):
    stranger = SupplierUserFactory(username="bo", supplier=baltic)
    with pytest.raises(NotFoundError):
        services.purchase_order_acknowledge(
            po=po, revision=0, lines=[{"line": 10, "status": "accepted"}], acting_user=stranger
        )


def test_a_portal_users_answer_is_kept_as_theirs_with_the_suppliers_reference(po, portal_user):
    # when a portal user accepts and enters the supplier's own order number
    services.purchase_order_acknowledge(
        po=po,
        revision=0,
        lines=[{"line": 10, "status": "accepted"}, {"line": 20, "status": "accepted"}],
        supplier_reference="ACME-SO-9001",
        acting_user=portal_user,
    )

    # then the reference is on the PO and the answer names the user and the portal
    po.refresh_from_db()
    kept = Acknowledgement.objects.get()
    assert po.supplier_reference == "ACME-SO-9001"
    assert (kept.channel, kept.acting_user, kept.supplier_reference) == (
        "portal",
        portal_user,
        "ACME-SO-9001",
    )


def test_a_delivery_in_parts_becomes_schedule_lines(po):
    # when the supplier confirms line 10 in two deliveries, the second two days late
    result = answer(
        po,
        {
            "line": 10,
            "status": "changed",
            "schedule": [
                {"quantity": Decimal("25"), "date": in_days(18)},
                {"quantity": Decimal("15"), "date": in_days(22)},
            ],
        },
    )

    # then it applies (each date within tolerance) with the total and the last date
    line = line_of(po, 10)
    assert result.applied == [line]
    assert (line.confirmed_quantity, line.confirmed_date) == (Decimal("40"), in_days(22))
    assert [(s.quantity, s.delivery_date) for s in line.schedule_lines.all()] == [
        (Decimal("25"), in_days(18)),
        (Decimal("15"), in_days(22)),
    ]


def test_a_schedule_whose_total_contradicts_the_quantity_is_refused(po):
    with pytest.raises(ApplicationError, match="not the schedule's total"):
        answer(
            po,
            {
                "line": 10,
                "status": "changed",
                "confirmed_quantity": Decimal("40"),
                "schedule": [
                    {"quantity": Decimal("25"), "date": in_days(18)},
                    {"quantity": Decimal("5"), "date": in_days(19)},
                ],
            },
        )


def test_a_suppliers_own_tolerance_wins_over_the_global_default(po, acme):
    # given a strict global default and a lenient tolerance for this supplier
    SupplierToleranceFactory(supplier=None, days_late=0)
    SupplierToleranceFactory(supplier=acme, days_late=10)

    # when the supplier confirms a week late, it applies
    assert answer(po, {"line": 10, "status": "changed", "confirmed_date": in_days(27)}).applied


def test_the_global_default_applies_to_a_supplier_without_its_own(po):
    SupplierToleranceFactory(supplier=None, days_late=0, quantity_percent=Decimal("0"))
    assert answer(po, {"line": 10, "status": "changed", "confirmed_date": in_days(21)}).proposed


def test_an_accepted_line_with_another_date_is_judged_as_a_change(po):
    result = answer(po, {"line": 10, "status": "accepted", "confirmed_date": in_days(40)})
    assert result.proposed and result.proposed[0].kind == "changed"


def test_answering_again_while_a_proposal_waits_supersedes_it(po):
    # given a pending proposal a week late
    (first,) = answer(po, {"line": 10, "status": "changed", "confirmed_date": in_days(27)}).proposed

    # when the supplier answers again, now within tolerance
    result = answer(po, {"line": 10, "status": "changed", "confirmed_date": in_days(21)})

    # then the earlier proposal is superseded and the new answer applies; both answers are kept
    first.refresh_from_db()
    assert first.status == "superseded"
    assert result.applied and line_of(po, 10).confirmed_date == in_days(21)
    assert AcknowledgementLine.objects.filter(po_line__line_number=10).count() == 2
    assert SupplierProposal.objects.pending().count() == 0


def test_the_same_answer_twice_changes_nothing_the_second_time(po):
    # given an applied answer and a proposal
    lines = [
        {"line": 10, "status": "accepted"},
        {"line": 20, "status": "changed", "confirmed_quantity": Decimal("5"), "reason": "short"},
    ]
    answer(po, *lines)

    # when the very same answer comes again
    again = answer(po, *lines)

    # then nothing new is recorded, emitted or proposed
    assert again.acknowledgement is None
    assert [line.line_number for line in again.unchanged] == [10, 20]
    assert Acknowledgement.objects.count() == 1
    assert SupplierProposal.objects.count() == 1
    assert len(confirmations()) == 1


def test_a_cancelled_po_takes_no_answer(po):
    services.purchase_order_cancel(po=po)
    with pytest.raises(ApplicationError, match="cancelled; it takes no answers"):
        answer(po, {"line": 10, "status": "accepted"}, revision=1)


def test_a_revision_supersedes_the_pending_proposal_of_a_changed_line(po, buyer):
    (proposal,) = answer(
        po, {"line": 10, "status": "changed", "confirmed_date": in_days(27)}
    ).proposed
    services.purchase_order_revise(po=po, lines=[{"line": 10, "requested_date": in_days(27)}])
    proposal.refresh_from_db()
    assert proposal.status == "superseded"
    with pytest.raises(ApplicationError, match="superseded already"):
        services.proposal_accept(proposal=proposal, acting_user=buyer)
