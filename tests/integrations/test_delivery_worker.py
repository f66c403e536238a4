"""End to end with a real Celery worker on Redis: emit → dispatch → delivery to the partner."""

import pytest
from django.db import transaction

from integrations.delivery import subscription_create
from integrations.models import OutboundMessage
from integrations.outbox import emit
from integrations.tasks.delivery import enqueue_due_outbound_messages
from integrations.webhooks import verify
from tests.celery_worker import real_worker, wait_until
from tests.factories import ExternalSystemFactory
from tests.integrations.delivery_factories import purchase_order_data
from tests.partner_server import Answer, PartnerServer


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
