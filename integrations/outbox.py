"""The event outbox: `emit` in the caller's transaction; a dispatcher fans events out after commit.

Internal subscribers are functions registered by apps (`@subscriber("purchase_order.confirmed")`)
and run as Celery tasks on the `subscribers` queue; external subscriptions get one
OutboundMessage each, delivered by `integrations.delivery`.

Subscriber tasks are batched: a fan-out of many events queues ONE `run_subscriber_batch(name,
event_ids)` per subscriber, not one task per subscriber per event (100,000 MES events once left
58,541 such tasks queued in front of the inbox drains). The batch task loads its events in one
query and runs them in id order:

- a plain subscriber (`@subscriber(...)`, takes one event) runs once per event in the event's
  correlation scope. An event whose run raises is logged and re-queued alone as
  `run_subscriber(event_id, name)`, which keeps the single-event retry policy; the batch goes on
  with the next event, so one bad event never holds back or loses the others.
- a batch subscriber (`@subscriber(..., batch=True)`, takes a list of events) is called once with
  all of them, in one transaction, where handling them together saves real work (one net-change
  request per plant, one read of the enabled API calls). If that call raises, nothing of it is
  kept and each event is re-queued alone as `run_subscriber`, which calls it with `[event]`.

A worker lost mid-batch runs the batch again (acks late), so subscribers stay idempotent on the
event id, as they were when every run was its own task.

Publishing one dispatch task per event would cost a broker round trip per event and a worker
task (with its own transaction) per event. With a worker, a committed emit only "kicks" the
dispatcher instead: a Redis `SET NX` flag says a dispatch run is queued already, so only the
first kick publishes. The run fans out the undispatched events in id order, many per
transaction, until none is left, then clears its flag and looks once more (as the inbox drains
do). The beat's `dispatch_stale_events` still picks up anything a lost kick left behind. With
Celery eager (the embedded default and the tests) each event is dispatched right after commit.
"""

import logging
from collections.abc import Callable
from functools import cache
from typing import Any

import redis
from celery import current_app as celery_app
from django.db import transaction
from django.utils import timezone

from integrations.correlation import correlation_scope, current_correlation_id, new_correlation_id
from integrations.models import Event, OutboundMessage, Subscription

log = logging.getLogger(__name__)

# A plain subscriber takes one event; one registered with batch=True takes a list of events.
Subscriber = Callable[[Event], None] | Callable[[list[Event]], None]
_subscribers: dict[str, dict[str, Subscriber]] = {}
_batch_subscribers: set[str] = set()


def subscriber(*event_types: str, batch: bool = False):
    """Register a function to run (as a Celery task) for every committed event of these types.

    With `batch=True` the function takes the list of events of one fan-out (id order) at once.
    """

    def register(function: Subscriber) -> Subscriber:
        name = f"{function.__module__}.{function.__qualname__}"
        for event_type in event_types:
            _subscribers.setdefault(event_type, {})[name] = function
        if batch:
            _batch_subscribers.add(name)
        else:
            _batch_subscribers.discard(name)
        return function

    return register


def subscribers_for(event_type: str) -> dict[str, Subscriber]:
    return {**_subscribers.get(event_type, {}), **_subscribers.get("*", {})}


def subscriber_named(event_type: str, name: str) -> Subscriber | None:
    return subscribers_for(event_type).get(name)


def subscriber_run(*, event: Event, name: str) -> None:
    """Run one subscriber for one event, in the event's correlation scope (exceptions propagate)."""
    function = subscriber_named(event.event_type, name)
    if function is None:
        log.warning("No subscriber %s for %s any more", name, event.event_type)
        return
    with correlation_scope(event.correlation_id):
        function([event] if name in _batch_subscribers else event)


def subscriber_batch_run(*, name: str, event_ids: list[int]) -> list[int]:
    """Run one subscriber for a fan-out's events in id order; return the ids that failed.

    The caller re-queues each failed event alone (see the module docstring).
    """
    events = [
        event
        for event in Event.objects.filter(pk__in=event_ids).order_by("id")
        if subscriber_named(event.event_type, name) is not None
    ]
    if not events:
        return []
    if name in _batch_subscribers:
        function = subscriber_named(events[0].event_type, name)
        try:
            with transaction.atomic():
                function(events)
        except Exception:
            log.exception("Subscriber %s failed on a batch of %d events", name, len(events))
            return [event.pk for event in events]
        return []
    failed = []
    for event in events:
        try:
            subscriber_run(event=event, name=name)
        except Exception:
            # Isolated on purpose: the event is retried alone, the batch goes on.
            log.exception("Subscriber %s failed on event %s", name, event.pk)
            failed.append(event.pk)
    return failed


def emit(
    event_type: str, data: dict[str, Any], *, key: str, correlation_id: str | None = None
) -> Event:
    """Record an event in the current transaction; it is dispatched only if the transaction commits."""
    event = Event.objects.create(
        event_type=event_type,
        aggregate_key=key,
        data=data,
        correlation_id=correlation_id or current_correlation_id() or new_correlation_id(),
    )
    if celery_app.conf.task_always_eager:
        from integrations.tasks.outbox import dispatch_event

        transaction.on_commit(lambda: dispatch_event.delay(event.pk))
    elif not any(
        hook is kick_dispatch for _, hook, _ in transaction.get_connection().run_on_commit
    ):
        # One kick per transaction is enough (an inbox chunk emits hundreds of events).
        transaction.on_commit(kick_dispatch)
    return event


DISPATCH_FLAG_SECONDS = 300
DISPATCH_BATCH = 200


@cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def _dispatch_flag() -> str:
    # Namespaced by the default queue, like the inbox's drain flags.
    return f"weft:outbox:dispatch:{celery_app.conf.task_default_queue}"


def kick_dispatch() -> bool:
    """Queue a dispatch run unless one is queued already; True when this call queued it."""
    client = _redis(celery_app.conf.broker_url)
    if not client.set(_dispatch_flag(), "1", nx=True, ex=DISPATCH_FLAG_SECONDS):
        return False
    from integrations.tasks.outbox import dispatch_pending_events

    dispatch_pending_events.delay()
    return True


def _undispatched():
    return Event.objects.filter(dispatched_at__isnull=True).order_by("id")


def pending_events_dispatch(*, batch: int = DISPATCH_BATCH) -> int:
    """The dispatch run: fan out every undispatched event, in id order, until none is left."""
    client = _redis(celery_app.conf.broker_url)
    dispatched = 0
    while True:
        count = events_dispatch(limit=batch)
        dispatched += count
        if count:
            client.expire(_dispatch_flag(), DISPATCH_FLAG_SECONDS)
            continue
        client.delete(_dispatch_flag())
        # An event committed between the last look and the delete found the flag set and queued
        # nothing: look once more, and keep going if we win the flag back.
        if _undispatched().exists() and client.set(
            _dispatch_flag(), "1", nx=True, ex=DISPATCH_FLAG_SECONDS
        ):
            continue
        return dispatched


@transaction.atomic
def events_dispatch(*, limit: int = DISPATCH_BATCH) -> int:
    """Fan out up to `limit` undispatched events (oldest first) in one transaction; return how many.

    Rows another dispatcher holds are skipped, not waited for; each event is still fanned out once.
    """
    events = list(_undispatched().select_for_update(skip_locked=True)[:limit])
    if events:
        _fan_out(events)
    return len(events)


@transaction.atomic
def event_dispatch(*, event_id: int) -> list[int]:
    """Fan one event out to every matching subscription, once; return the new outbound message ids."""
    event = Event.objects.select_for_update().filter(pk=event_id).first()
    if event is None or event.dispatched_at is not None:
        return []
    return _fan_out([event])


def _fan_out(events: list[Event]) -> list[int]:
    """Mark locked, undispatched events dispatched; queue their subscribers and deliveries."""
    now = timezone.now()
    subscriptions = list(Subscription.objects.filter(enabled=True))
    messages = OutboundMessage.objects.bulk_create(
        [
            OutboundMessage(
                subscription=s, event=event, aggregate_key=event.aggregate_key, next_attempt_at=now
            )
            for event in events
            for s in subscriptions
            if s.wants(event.event_type)
        ],
        ignore_conflicts=False,
    )
    Event.objects.filter(pk__in=[event.pk for event in events]).update(dispatched_at=now)
    for event in events:
        event.dispatched_at = now
    from integrations.tasks.delivery import deliver_outbound_message
    from integrations.tasks.outbox import run_subscriber_batch

    message_ids = [m.pk for m in messages]
    batches: dict[str, list[int]] = {}
    for event in events:
        for name in subscribers_for(event.event_type):
            batches.setdefault(name, []).append(event.pk)

    def enqueue() -> None:
        for name, event_ids in batches.items():
            run_subscriber_batch.delay(name, event_ids)
        for message_id in message_ids:
            deliver_outbound_message.delay(message_id)

    transaction.on_commit(enqueue)
    return message_ids
