"""Replay: a dead message goes out again with the same event id, its attempts kept."""

import json

import pytest
from django.utils import timezone

from integrations.delivery import outbound_message_deliver, outbound_replay
from integrations.models import OutboundMessage
from tests.integrations.delivery_factories import OutboundMessageFactory, SubscriptionFactory
from tests.partner_server import Answer, PartnerServer

pytestmark = pytest.mark.django_db

PENDING = OutboundMessage.Status.PENDING
DELIVERED = OutboundMessage.Status.DELIVERED
DEAD = OutboundMessage.Status.DEAD


@pytest.fixture
def partner():
    with PartnerServer() as server:
        yield server


def dead_message(partner, **subscription):
    partner.script(Answer(410, b"gone for maintenance"))
    message = OutboundMessageFactory(
        subscription=SubscriptionFactory(url=partner.url, **subscription)
    )
    outbound_message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == DEAD
    return message


def test_a_replayed_dead_message_is_delivered_with_the_same_event_id(partner):
    # given
    message = dead_message(partner)

    # when
    replayed = outbound_replay(messages=[message.pk], acting="user planner")
    outcome = outbound_message_deliver(message_id=message.pk)

    # then the partner saw the same envelope twice and can dedupe on its id
    first, second = partner.received
    assert first.header("Idempotency-Key") == second.header("Idempotency-Key")
    assert json.loads(first.body) == json.loads(second.body)
    # and the message is delivered with both attempts in its log
    message.refresh_from_db()
    assert (replayed, outcome) == (1, DELIVERED)
    assert message.replay_count == 1
    assert message.replayed_by == "user planner"
    assert [(a.number, a.status_code) for a in message.attempt_log.all()] == [(1, 410), (2, 200)]


def test_a_replay_gets_a_fresh_retry_budget(partner):
    # given a message that used up its 2 attempts
    partner.respond = lambda received: Answer(503)
    message = OutboundMessageFactory(
        subscription=SubscriptionFactory(url=partner.url, max_attempts=2)
    )
    outbound_message_deliver(message_id=message.pk)
    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert outbound_message_deliver(message_id=message.pk) == DEAD

    # when it is replayed and fails once more
    outbound_replay(messages=[message.pk], acting="user planner")
    outcome = outbound_message_deliver(message_id=message.pk)

    # then it is retried, not dead at once
    message.refresh_from_db()
    assert outcome == "retry"
    assert (message.status, message.attempts, message.attempts_since_replay()) == (PENDING, 3, 1)


def test_replay_leaves_pending_messages_and_delivered_ones_unless_asked(partner):
    # given
    pending = OutboundMessageFactory()
    delivered = OutboundMessageFactory(status=DELIVERED, delivered_at=timezone.now())

    # when
    without = outbound_replay(messages=[pending.pk, delivered.pk], acting="user planner")
    with_delivered = outbound_replay(
        messages=OutboundMessage.objects.filter(pk__in=[pending.pk, delivered.pk]),
        acting="user planner",
        include_delivered=True,
    )

    # then
    delivered.refresh_from_db()
    pending.refresh_from_db()
    assert (without, with_delivered) == (0, 1)
    assert (delivered.status, delivered.delivered_at, delivered.replay_count) == (PENDING, None, 1)
    assert pending.replay_count == 0
