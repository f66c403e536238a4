"""End to end with a real Celery worker on Redis: emit → dispatch → delivery to the partner."""

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import transaction

from config.celery import app
from integrations.delivery import subscription_create
from integrations.models import OutboundMessage
from integrations.outbox import emit
from integrations.tasks.delivery import enqueue_due_outbound_messages
from integrations.webhooks import verify
from tests.factories import ExternalSystemFactory
from tests.integrations.delivery_factories import purchase_order_data
from tests.partner_server import Answer, PartnerServer

BROKER_URL = "redis://127.0.0.1:6379/14"


def forget_broker_connections() -> None:
    """Eager tasks run earlier in this process left pools bound to the settings' broker."""
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def real_worker() -> Iterator[None]:
    """A worker thread on Redis, on a queue of its own so parallel runs never share tasks."""
    queue = f"weft-test-{uuid.uuid4().hex[:12]}"
    overrides = {
        "broker_url": BROKER_URL,
        "task_always_eager": False,
        "task_default_queue": queue,
        "task_routes": {},
    }
    saved = {name: app.conf[name] for name in overrides}
    app.conf.update(overrides)
    forget_broker_connections()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue]):
            yield
    finally:
        app.conf.update(saved)
        forget_broker_connections()
        with app.connection_for_write(BROKER_URL) as connection:
            connection.default_channel.queue_delete(queue)


def wait_until(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_emitted_purchase_order_reaches_the_partner_through_a_real_worker(settings):
    # given a supplier's webhook that fails once before it accepts, and a short backoff
    settings.WEFT = {**settings.WEFT, "DELIVERY_BACKOFF_BASE_SECONDS": 0.2}
    with PartnerServer() as partner, real_worker():
        partner.script(Answer(503))
        subscription, secret = subscription_create(
            system=ExternalSystemFactory(code="SUP-ACME"),
            url=partner.url,
            event_types=["purchase_order.issued"],
        )

        # when a service emits the event and commits
        with transaction.atomic():
            event = emit("purchase_order.issued", purchase_order_data(), key="po:4500001")

        # then the worker dispatches it and makes the first attempt
        assert partner.wait_for(1), "the worker never called the partner"
        message = OutboundMessage.objects.get(event=event, subscription=subscription)

        # and the beat's task, going through the broker as beat would send it, queues the retry
        def beat_tick_delivers() -> bool:
            enqueue_due_outbound_messages.delay()
            return partner.wait_for(2, timeout=0.5)

        assert wait_until(beat_tick_delivers)
        assert wait_until(lambda: OutboundMessage.objects.get(pk=message.pk).status == "delivered")
    first, second = partner.received
    assert first.header("Idempotency-Key") == f"weft-event-{event.pk}"
    assert second.header("Idempotency-Key") == f"weft-event-{event.pk}"
    assert verify(secret, second.header("X-Weft-Signature"), second.body)
    assert [a.status_code for a in message.attempt_log.all()] == [503, 200]
