"""The event outbox: `emit` in the caller's transaction; a dispatcher fans events out after commit.

Internal subscribers are functions registered by apps (`@subscriber("purchase_order.confirmed")`)
and run as Celery tasks; external subscriptions get one OutboundMessage each, delivered by
`integrations.delivery`.
"""

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from integrations.correlation import current_correlation_id, new_correlation_id
from integrations.models import Event, OutboundMessage, Subscription

Subscriber = Callable[[Event], None]
_subscribers: dict[str, dict[str, Subscriber]] = {}


def subscriber(*event_types: str):
    """Register a function to run (as a Celery task) for every committed event of these types."""

    def register(function: Subscriber) -> Subscriber:
        name = f"{function.__module__}.{function.__qualname__}"
        for event_type in event_types:
            _subscribers.setdefault(event_type, {})[name] = function
        return function

    return register


def subscribers_for(event_type: str) -> dict[str, Subscriber]:
    return {**_subscribers.get(event_type, {}), **_subscribers.get("*", {})}


def subscriber_named(event_type: str, name: str) -> Subscriber | None:
    return subscribers_for(event_type).get(name)


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
    from integrations.tasks.outbox import dispatch_event

    transaction.on_commit(lambda: dispatch_event.delay(event.pk))
    return event


@transaction.atomic
def event_dispatch(*, event_id: int) -> list[int]:
    """Fan one event out to every matching subscription, once; return the new outbound message ids."""
    event = Event.objects.select_for_update().filter(pk=event_id).first()
    if event is None or event.dispatched_at is not None:
        return []
    now = timezone.now()
    subscriptions = [
        s for s in Subscription.objects.filter(enabled=True) if s.wants(event.event_type)
    ]
    messages = OutboundMessage.objects.bulk_create(
        [
            OutboundMessage(
                subscription=s, event=event, aggregate_key=event.aggregate_key, next_attempt_at=now
            )
            for s in subscriptions
        ],
        ignore_conflicts=False,
    )
    event.dispatched_at = now
    event.save(update_fields=["dispatched_at"])
    from integrations.tasks.delivery import deliver_outbound_message
    from integrations.tasks.outbox import run_subscriber

    message_ids = [m.pk for m in messages]
    names = list(subscribers_for(event.event_type))

    def enqueue() -> None:
        for name in names:
            run_subscriber.delay(event.pk, name)
        for message_id in message_ids:
            deliver_outbound_message.delay(message_id)

    transaction.on_commit(enqueue)
    return message_ids
