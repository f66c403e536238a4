"""Per subscription, the events of one aggregate arrive in order; a dead one does not block."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.delivery import outbound_message_deliver
from integrations.models import OutboundMessage
from tests.integrations.delivery_factories import (
    EventFactory,
    OutboundMessageFactory,
    SubscriptionFactory,
)
from tests.partner_server import Answer, PartnerServer

pytestmark = pytest.mark.django_db

PENDING = OutboundMessage.Status.PENDING
DELIVERED = OutboundMessage.Status.DELIVERED
DEAD = OutboundMessage.Status.DEAD


@pytest.fixture
def partner():
    with PartnerServer() as server:
        yield server


def two_changes_of_one_order(subscription, key="po:4500123"):
    older = OutboundMessageFactory(subscription=subscription, event=EventFactory(aggregate_key=key))
    newer = OutboundMessageFactory(subscription=subscription, event=EventFactory(aggregate_key=key))
    return older, newer


def keys_received(partner) -> list[str]:
    return [r.header("Idempotency-Key") for r in partner.received]


def test_a_newer_message_waits_while_an_older_one_of_its_aggregate_is_pending(partner):
    # given the older change failed once and waits for its retry
    partner.script(Answer(500))
    older, newer = two_changes_of_one_order(SubscriptionFactory(url=partner.url))
    outbound_message_deliver(message_id=older.pk)
    older.refresh_from_db()

    # when the newer one comes up
    outcome = outbound_message_deliver(message_id=newer.pk)

    # then it is not sent and waits until the older one is due again
    newer.refresh_from_db()
    assert outcome == "waiting for an older message"
    assert keys_received(partner) == [older.event.idempotency_key]
    assert (newer.status, newer.attempts) == (PENDING, 0)
    assert newer.next_attempt_at >= older.next_attempt_at


def test_other_aggregates_and_other_subscriptions_are_not_held_back(partner):
    # given a pending older message of po:1 for one subscription
    partner.script(Answer(500))
    subscription = SubscriptionFactory(url=partner.url)
    blocked_key = "po:1"
    older = OutboundMessageFactory(
        subscription=subscription, event=EventFactory(aggregate_key=blocked_key)
    )
    outbound_message_deliver(message_id=older.pk)
    other_order = OutboundMessageFactory(
        subscription=subscription, event=EventFactory(aggregate_key="po:2")
    )
    other_subscriber = OutboundMessageFactory(
        subscription=SubscriptionFactory(url=partner.url),
        event=EventFactory(aggregate_key=blocked_key),
    )

    # when
    outcomes = [
        outbound_message_deliver(message_id=other_order.pk),
        outbound_message_deliver(message_id=other_subscriber.pk),
    ]

    # then
    assert outcomes == [DELIVERED, DELIVERED]


def test_when_the_older_message_is_delivered_the_newer_one_follows_at_once(
    partner, django_capture_on_commit_callbacks
):
    # given the newer change was held back behind the older one
    partner.script(Answer(500))
    older, newer = two_changes_of_one_order(SubscriptionFactory(url=partner.url))
    outbound_message_deliver(message_id=older.pk)
    outbound_message_deliver(message_id=newer.pk)

    # when the older one's retry succeeds (and its after-commit work runs)
    OutboundMessage.objects.filter(pk=older.pk).update(next_attempt_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        outbound_message_deliver(message_id=older.pk)

    # then the newer one was woken and delivered right after it, in order
    newer.refresh_from_db()
    assert newer.status == DELIVERED
    assert keys_received(partner) == [
        older.event.idempotency_key,
        older.event.idempotency_key,
        newer.event.idempotency_key,
    ]


def test_a_dead_older_message_does_not_block_the_newer_state(partner):
    # given the older change was refused for good
    partner.script(Answer(422, b"line 10 unknown"))
    older, newer = two_changes_of_one_order(SubscriptionFactory(url=partner.url))
    outbound_message_deliver(message_id=older.pk)

    # when
    outcome = outbound_message_deliver(message_id=newer.pk)

    # then the newer state is delivered and the dead one stays visible for replay
    older.refresh_from_db()
    assert outcome == DELIVERED
    assert older.status == DEAD


def test_order_follows_the_events_even_when_their_messages_were_made_the_other_way_round(partner):
    # given the newer event's message was dispatched first (a lower message id)
    subscription = SubscriptionFactory(url=partner.url)
    older_event = EventFactory(aggregate_key="po:77")
    newer_event = EventFactory(aggregate_key="po:77")
    newer = OutboundMessageFactory(subscription=subscription, event=newer_event)
    older = OutboundMessageFactory(subscription=subscription, event=older_event)
    assert newer.pk < older.pk

    # when
    outcomes = [
        outbound_message_deliver(message_id=newer.pk),
        outbound_message_deliver(message_id=older.pk),
    ]

    # then
    assert outcomes == ["waiting for an older message", DELIVERED]


def test_an_older_event_not_yet_dispatched_holds_the_newer_one_back(partner):
    # given an older event of the same order still waiting for its dispatcher
    EventFactory(aggregate_key="po:88", dispatched_at=None)
    newer = OutboundMessageFactory(
        subscription=SubscriptionFactory(url=partner.url),
        event=EventFactory(aggregate_key="po:88"),
    )

    # when
    outcome = outbound_message_deliver(message_id=newer.pk)

    # then it is checked again shortly
    newer.refresh_from_db()
    assert outcome == "waiting for an older message"
    assert partner.received == []
    assert newer.next_attempt_at <= timezone.now() + timedelta(seconds=5)
