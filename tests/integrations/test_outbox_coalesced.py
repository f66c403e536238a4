"""Coalesced outbox dispatch with a real worker: many events, one dispatch task, each event once."""

import json
import threading
from collections import Counter

import pytest
from celery.signals import task_prerun
from django.db import transaction

from integrations import outbox
from integrations.delivery import subscription_create
from integrations.models import Event, OutboundMessage
from integrations.outbox import emit, subscriber
from tests.celery_worker import real_worker, wait_until
from tests.factories import ExternalSystemFactory
from tests.partner_server import PartnerServer

EVENT_TYPE = "test.coalesced"


@pytest.fixture
def recorded():
    """An internal subscriber of EVENT_TYPE that records the ids it is run for."""
    seen: list[int] = []
    lock = threading.Lock()

    def record(event) -> None:
        with lock:
            seen.append(event.pk)

    subscriber(EVENT_TYPE)(record)
    yield seen
    outbox._subscribers.pop(EVENT_TYPE, None)


@pytest.fixture
def tasks_run():
    """How many times each task ran in the worker."""
    counts: Counter[str] = Counter()

    def count(sender=None, **kwargs) -> None:
        counts[sender.name] += 1

    task_prerun.connect(count, weak=False)
    yield counts
    task_prerun.disconnect(count)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_events_of_one_transaction_cost_one_dispatch_task_and_reach_everyone_once(
    recorded, tasks_run
):
    with PartnerServer() as partner, real_worker():
        # given a partner subscribed to the event type, and an internal subscriber of it
        subscription, _ = subscription_create(
            system=ExternalSystemFactory(code="SUB-COAL"),
            url=partner.url,
            event_types=["*"],
        )

        # when one transaction emits 120 events about 7 aggregates, and 10 more transactions
        # emit one each
        with transaction.atomic():
            ids = [emit(EVENT_TYPE, {"n": n}, key=f"agg:{n % 7}").pk for n in range(120)]
        for n in range(120, 130):
            with transaction.atomic():
                ids.append(emit(EVENT_TYPE, {"n": n}, key=f"agg:{n % 7}").pk)

        # then every event is dispatched, run by the subscriber once and delivered once
        assert wait_until(
            lambda: not Event.objects.filter(dispatched_at__isnull=True).exists(), timeout=60
        )
        assert wait_until(lambda: len(recorded) >= 130, timeout=60)
        assert partner.wait_for(130, timeout=120), f"only {len(partner.received)} delivered"

    assert sorted(recorded) == sorted(ids)
    per_event = Counter(
        OutboundMessage.objects.filter(subscription=subscription).values_list("event_id", flat=True)
    )
    assert sorted(per_event) == sorted(ids) and set(per_event.values()) == {1}
    delivered = [json.loads(r.body)["id"] for r in partner.received]
    assert sorted(delivered) == sorted(f"weft-event-{i}" for i in ids)
    # and the 130 events cost at most one dispatch task per emitting transaction, none per event
    assert 1 <= tasks_run["integrations.tasks.outbox.dispatch_pending_events"] <= 11
    assert tasks_run["integrations.tasks.outbox.dispatch_event"] == 0


@pytest.mark.django_db
def test_events_dispatch_fans_out_oldest_first_and_skips_what_is_dispatched():
    # given three events, the second dispatched already
    with transaction.atomic():
        first, second, third = (emit(EVENT_TYPE, {"n": n}, key="agg:1") for n in range(3))
    Event.objects.filter(pk=second.pk).update(dispatched_at=first.occurred_at)

    # when a dispatch run takes at most two
    assert outbox.events_dispatch(limit=2) == 2

    # then the first and third are dispatched, and a second run finds nothing left
    assert (
        Event.objects.filter(pk__in=[first.pk, third.pk], dispatched_at__isnull=False).count() == 2
    )
    assert Event.objects.filter(dispatched_at__isnull=True).count() == 0
    assert outbox.events_dispatch() == 0
