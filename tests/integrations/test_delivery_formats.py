"""What an EDI subscription receives: X12 850 or EDIFACT ORDERS for purchase orders, else JSON."""

import json

import pytest

from integrations.codecs import edifact, x12
from integrations.delivery import outbound_message_deliver
from integrations.models import ExternalSystem, OutboundMessage, Subscription
from integrations.webhooks import verify
from tests.factories import ExternalSystemFactory
from tests.integrations.delivery_factories import (
    EventFactory,
    OutboundMessageFactory,
    SubscriptionFactory,
)
from tests.partner_server import Answer, PartnerServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner():
    with PartnerServer() as server:
        yield server


def edi_message(partner, format, event_type="purchase_order.issued", **event):
    subscription = SubscriptionFactory(
        url=partner.url, format=format, system=ExternalSystemFactory(code="SUP-ACME")
    )
    return OutboundMessageFactory(
        subscription=subscription, event=EventFactory(event_type=event_type, **event)
    )


def test_an_x12_subscription_receives_a_signed_850_for_an_issued_purchase_order(partner):
    # given
    message = edi_message(partner, Subscription.Format.X12)

    # when
    outbound_message_deliver(message_id=message.pk)

    # then the body is one X12 interchange with one 850, addressed to the partner
    [request] = partner.received
    assert request.header("Content-Type") == "application/edi-x12"
    assert request.header("Idempotency-Key") == f"weft-event-{message.event_id}"
    assert verify(message.subscription.secret, request.header("X-Weft-Signature"), request.body)
    interchange = x12.parse_interchange(request.body)
    assert (interchange.sender_id, interchange.receiver_id) == ("WEFT", "SUP-ACME")
    assert int(interchange.control_number) == message.pk
    [transaction_set] = interchange.groups[0].transaction_sets
    assert transaction_set.code == "850"
    beg = next(s for s in transaction_set.segments if s.tag == "BEG")
    assert (beg.element(1), beg.element(3)) == ("00", message.event.data["po"])


def test_an_edifact_subscription_receives_orders_for_a_change_request(partner):
    # given a partner known by its own interchange id
    message = edi_message(
        partner, Subscription.Format.EDIFACT, event_type="purchase_order.change_requested"
    )
    ExternalSystem.objects.filter(code="SUP-ACME").update(edi_sender_id="4012345000009")

    # when
    outbound_message_deliver(message_id=message.pk)

    # then
    [request] = partner.received
    assert request.header("Content-Type") == "application/edifact"
    interchange = edifact.parse_interchange(request.body)
    [orders] = interchange.messages
    assert orders.message_type == "ORDERS"
    assert interchange.receiver_id == "4012345000009"
    assert interchange.control_reference == str(message.pk)
    bgm = next(s for s in orders.segments if s.tag == "BGM")
    assert bgm.elements[1] == message.event.data["po"]
    assert message.attempt_log.get().status_code == 200


def test_a_retry_sends_the_same_interchange_again(partner):
    # given a first attempt that failed
    partner.script(Answer(500))
    message = edi_message(partner, Subscription.Format.X12)
    outbound_message_deliver(message_id=message.pk)

    # when
    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=message.created_at)
    outbound_message_deliver(message_id=message.pk)

    # then the partner can dedupe on the interchange control number as well as the key
    first, second = partner.received
    assert first.body == second.body


def test_other_event_types_go_to_an_edi_subscription_as_json(partner):
    # given
    message = edi_message(
        partner,
        Subscription.Format.X12,
        event_type="exception.raised",
        data={"key": "shortage:ITEM-1:P100", "kind": "shortage", "severity": "high"},
    )

    # when
    outbound_message_deliver(message_id=message.pk)

    # then
    [request] = partner.received
    assert request.header("Content-Type") == "application/json"
    assert json.loads(request.body)["type"] == "exception.raised"


def test_a_purchase_order_that_cannot_be_written_as_edi_is_dead_with_the_reason(partner):
    # given data without a purchase order number
    message = edi_message(partner, Subscription.Format.EDIFACT, data={"revision": 1, "lines": []})

    # when
    outbound_message_deliver(message_id=message.pk)

    # then nothing was sent and the reason names the format
    message.refresh_from_db()
    assert partner.received == []
    assert message.status == OutboundMessage.Status.DEAD
    assert message.last_error.startswith("The edifact body:")
