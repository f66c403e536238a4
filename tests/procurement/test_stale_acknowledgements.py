from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from procurement import selectors, services
from procurement.tasks import remind_stale_acknowledgements
from tests.procurement.factories import issued_po, line_of

pytestmark = pytest.mark.django_db


def test_a_line_unanswered_past_the_sla_is_stale(po):
    # given a PO sent now to a supplier with a 48-hour SLA
    sent = line_of(po, 10).sent_at

    # then it is not stale before 48 hours, and stale after
    assert list(selectors.stale_acknowledgement_list(now=sent + timedelta(hours=47))) == []
    stale = list(selectors.stale_acknowledgement_list(now=sent + timedelta(hours=49)))
    assert [(line.po.number, line.line_number) for line in stale] == [
        (po.number, 10),
        (po.number, 20),
    ]


def test_an_answered_line_is_not_stale(po):
    services.purchase_order_acknowledge(
        po=po,
        revision=0,
        lines=[{"line": 10, "status": "accepted"}],
        acting_system=po.supplier.external_system,
    )
    later = timezone.now() + timedelta(hours=49)
    assert [line.line_number for line in selectors.stale_acknowledgement_list(now=later)] == [20]


def test_the_supplier_is_reminded_once_per_sla_period_in_one_email(po, acme, after_commit):
    # given two unanswered lines on each of two POs of the same supplier
    other = issued_po(acme)
    sent = line_of(po, 10).sent_at

    # when the sweep runs before the SLA ends, nobody is reminded
    assert after_commit(services.stale_acknowledgements_remind, now=sent + timedelta(hours=47)) == 0
    assert mail.outbox == []

    # when it runs after the SLA, the supplier gets one e-mail naming all four lines
    assert after_commit(services.stale_acknowledgements_remind, now=sent + timedelta(hours=49)) == 4
    (reminder,) = mail.outbox
    assert reminder.to == ["orders@s001.example.com"]
    assert po.number in reminder.body and other.number in reminder.body

    # when it runs again within the same SLA period (every 15 minutes, say), no more mail
    for minutes in (15, 30, 60 * 47):
        after_commit(
            services.stale_acknowledgements_remind, now=sent + timedelta(hours=49, minutes=minutes)
        )
    assert len(mail.outbox) == 1

    # when the next SLA period has passed, one more reminder
    assert (
        after_commit(
            services.stale_acknowledgements_remind, now=sent + timedelta(hours=97, minutes=1)
        )
        == 4
    )
    assert len(mail.outbox) == 2
    line = line_of(po, 10)
    assert line.reminders_sent == 2 and line.last_reminded_at == sent + timedelta(
        hours=97, minutes=1
    )


def test_each_supplier_gets_its_own_reminder(po, baltic, after_commit):
    issued_po(baltic)
    after_commit(services.stale_acknowledgements_remind, now=timezone.now() + timedelta(hours=49))
    assert sorted(message.to[0] for message in mail.outbox) == [
        "orders@s001.example.com",
        "orders@s002.example.com",
    ]


def test_the_beat_task_reminds(po, after_commit):
    line = line_of(po, 10)
    line.ack_due_at = line.next_reminder_at = timezone.now() - timedelta(minutes=1)
    line.save()
    assert after_commit(remind_stale_acknowledgements.delay).get() == 1
    assert len(mail.outbox) == 1


def test_a_rejected_proposal_restarts_the_acknowledgement_clock(po, buyer):
    (proposal,) = services.purchase_order_acknowledge(
        po=po,
        revision=0,
        lines=[{"line": 10, "status": "rejected", "reason": "No capacity"}],
        acting_system=po.supplier.external_system,
    ).proposed
    services.proposal_reject(proposal=proposal, reason="Please find capacity", acting_user=buyer)
    line = line_of(po, 10)
    assert line.ack_status == "awaiting"
    assert line.ack_due_at > timezone.now() + timedelta(hours=47)


def test_a_planners_reminder_goes_now_for_the_named_lines_still_awaiting_an_answer(
    po, after_commit
):
    # given line 10 answered and line 20 still open, neither yet due for the beat's reminder
    services.purchase_order_acknowledge(
        po=po,
        revision=0,
        lines=[{"line": 10, "status": "accepted"}],
        acting_system=po.supplier.external_system,
    )
    now = line_of(po, 20).sent_at + timedelta(hours=1)

    # when a planner reminds both lines
    ids = [line_of(po, 10).pk, line_of(po, 20).pk]
    assert after_commit(services.stale_acknowledgements_remind, now=now, line_ids=ids) == 1

    # then only the open line is reminded, counted as the beat counts, in one e-mail
    open_line = line_of(po, 20)
    assert (open_line.reminders_sent, open_line.last_reminded_at) == (1, now)
    assert open_line.next_reminder_at == now + timedelta(hours=po.supplier.ack_sla_hours)
    assert line_of(po, 10).reminders_sent == 0
    (reminder,) = mail.outbox
    assert f"{po.number} line 20" in reminder.body and f"{po.number} line 10" not in reminder.body
