"""One attempt at a time: the claim, the lease, and the beat that queues due messages."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from integrations import webhooks
from integrations.delivery import due_outbound_messages_enqueue, outbound_message_deliver
from integrations.models import OutboundMessage
from tests.integrations.delivery_factories import OutboundMessageFactory, SubscriptionFactory
from tests.partner_server import Answer, PartnerServer

PENDING = OutboundMessage.Status.PENDING
DELIVERED = OutboundMessage.Status.DELIVERED


class WorkerLost(BaseException):
    """Stands for a worker process killed in the middle of a call."""


@pytest.fixture
def partner():
    with PartnerServer() as server:
        yield server


def in_threads(*functions):
    """Run each function in its own thread (and database connection); return their results."""
    results = [None] * len(functions)
    start = threading.Barrier(len(functions))

    def run(index, function):
        try:
            start.wait()
            results[index] = function()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def in_background(function) -> threading.Thread:
    """Start a function in a thread of its own, as another worker would run it."""
    thread = threading.Thread(target=in_threads, args=(function,))
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_the_same_message_make_one_call(partner):
    # given a partner slow enough for both workers to overlap
    partner.respond = lambda received: Answer(200, delay_seconds=0.5)
    message = OutboundMessageFactory(subscription=SubscriptionFactory(url=partner.url))

    # when two workers take the same task at the same moment
    outcomes = in_threads(
        lambda: outbound_message_deliver(message_id=message.pk),
        lambda: outbound_message_deliver(message_id=message.pk),
    )

    # then exactly one called the partner
    assert sorted(outcomes) == [DELIVERED, "not due"]
    assert len(partner.received) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (DELIVERED, 1)


@pytest.mark.django_db(transaction=True)
def test_an_attempt_that_outlived_its_lease_cannot_overwrite_the_newer_attempt(partner):
    # given a first attempt hanging at the partner
    partner.script(Answer(500, delay_seconds=1.5), Answer(200))
    message = OutboundMessageFactory(subscription=SubscriptionFactory(url=partner.url))
    slow = in_background(lambda: outbound_message_deliver(message_id=message.pk))
    assert partner.wait_for(1)

    # when its lease is taken as expired and a second worker delivers the message
    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    second = outbound_message_deliver(message_id=message.pk)
    slow.join(timeout=10)

    # then the late 500 is logged but the message stays delivered
    message.refresh_from_db()
    assert second == DELIVERED
    assert message.status == DELIVERED
    assert sorted((a.number, a.status_code) for a in message.attempt_log.all()) == [
        (1, 500),
        (2, 200),
    ]


@pytest.mark.django_db
def test_a_message_whose_worker_died_is_queued_again_when_its_lease_expires(partner, monkeypatch):
    # given a worker that died in the middle of the call
    message = OutboundMessageFactory(subscription=SubscriptionFactory(url=partner.url))

    def die(*args, **kwargs):
        raise WorkerLost

    with monkeypatch.context() as patch:
        patch.setattr(webhooks, "post", die)
        with pytest.raises(WorkerLost):
            outbound_message_deliver(message_id=message.pk)
    message.refresh_from_db()
    lease_end = message.next_attempt_at

    # then the beat leaves it alone while the lease runs
    assert lease_end > timezone.now() + timedelta(seconds=30)
    assert message.pk not in due_outbound_messages_enqueue()

    # when the lease has expired
    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())

    # then the beat queues it and the next worker delivers it
    assert message.pk in due_outbound_messages_enqueue()
    assert outbound_message_deliver(message_id=message.pk) == DELIVERED
    assert [a.number for a in message.attempt_log.all()] == [2]


@pytest.mark.django_db
def test_the_beat_queues_a_due_message_once_until_its_queueing_goes_stale(settings):
    # given a due message nobody queued and one queued a moment ago
    settings.WEFT = {**settings.WEFT, "DELIVERY_REQUEUE_AFTER_SECONDS": 60}
    forgotten = OutboundMessageFactory(enqueued_at=None)
    just_queued = OutboundMessageFactory()
    later = OutboundMessageFactory(next_attempt_at=timezone.now() + timedelta(minutes=1))

    # when the beat runs twice
    first, second = due_outbound_messages_enqueue(), due_outbound_messages_enqueue()

    # then
    assert forgotten.pk in first
    assert just_queued.pk not in first
    assert later.pk not in first
    assert second == []

    # when the queued copies are older than the re-queue time (their task was lost)
    OutboundMessage.objects.update(enqueued_at=timezone.now() - timedelta(seconds=61))

    # then
    assert set(due_outbound_messages_enqueue()) == {forgotten.pk, just_queued.pk}


@pytest.mark.django_db
def test_the_beat_skips_disabled_subscriptions_and_finished_messages():
    # given
    OutboundMessageFactory(subscription=SubscriptionFactory(enabled=False), enqueued_at=None)
    OutboundMessageFactory(status=OutboundMessage.Status.DEAD, enqueued_at=None)
    OutboundMessageFactory(status=OutboundMessage.Status.DELIVERED, enqueued_at=None)

    # then
    assert due_outbound_messages_enqueue() == []
