from datetime import timedelta

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from integrations.models import Event
from integrations.outbox import (
    event_dispatch,
    pending_events_dispatch,
    subscriber_batch_run,
    subscriber_run,
)


@shared_task(acks_late=True)
def dispatch_event(event_id: int) -> None:
    event_dispatch(event_id=event_id)


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError, ConnectionError),
    retry_backoff=True,
    max_retries=8,
)
def dispatch_pending_events() -> int:
    """The coalesced dispatch run a committed emit kicks (see integrations.outbox)."""
    return pending_events_dispatch()


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def run_subscriber(event_id: int, subscriber_name: str) -> None:
    """Run one app's reaction to one event; the subscriber is idempotent on the event id."""
    event = Event.objects.filter(pk=event_id).first()
    if event is not None:
        subscriber_run(event=event, name=subscriber_name)


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError, ConnectionError),
    retry_backoff=True,
    max_retries=5,
)
def run_subscriber_batch(subscriber_name: str, event_ids: list[int]) -> int:
    """Run one app's reaction to a fan-out's events; each event that fails is re-queued alone.

    A database lost while loading the batch retries it whole (subscribers are idempotent).
    """
    failed = subscriber_batch_run(name=subscriber_name, event_ids=event_ids)
    for event_id in failed:
        run_subscriber.delay(event_id, subscriber_name)
    return len(event_ids) - len(failed)


@shared_task
def dispatch_stale_events(older_than_seconds: int = 30, limit: int = 1000) -> int:
    """Beat sweep: dispatch committed events whose after-commit enqueue was lost (e.g. broker down)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        Event.objects.filter(dispatched_at__isnull=True, occurred_at__lte=cutoff)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    for event_id in ids:
        event_dispatch(event_id=event_id)
    return len(ids)
