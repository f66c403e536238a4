"""Factories for the outbox: events, subscriptions and the messages between them."""

import uuid

import factory
from django.utils import timezone

from integrations.models import Event, OutboundMessage, Subscription
from tests.factories import ExternalSystemFactory


def purchase_order_data(po: str = "4500001", revision: int = 1) -> dict:
    return {
        "po": po,
        "revision": revision,
        "supplier": "SUP-001",
        "plant": "P100",
        "currency": "EUR",
        "lines": [
            {
                "line": 10,
                "item": "ITEM-00001",
                "supplier_item_code": "ACME-1",
                "quantity": "12.5",
                "uom": "EA",
                "unit_price": "2.50",
                "requested_date": "2026-06-01",
            }
        ],
    }


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    system = factory.SubFactory(ExternalSystemFactory)
    event_types = factory.LazyFunction(lambda: ["*"])
    url = "http://127.0.0.1:9/weft"
    secret = factory.Sequence(lambda n: f"whsec_test_{n}")
    format = Subscription.Format.JSON
    max_attempts = 5
    timeout_seconds = 2


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    event_type = "purchase_order.issued"
    aggregate_key = factory.Sequence(lambda n: f"po:{4500000 + n}")
    data = factory.LazyAttribute(lambda e: purchase_order_data(po=e.aggregate_key.split(":")[-1]))
    correlation_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    dispatched_at = factory.LazyFunction(timezone.now)


class OutboundMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutboundMessage

    subscription = factory.SubFactory(SubscriptionFactory)
    event = factory.SubFactory(EventFactory)
    aggregate_key = factory.LazyAttribute(lambda m: m.event.aggregate_key)
    next_attempt_at = factory.LazyFunction(timezone.now)
