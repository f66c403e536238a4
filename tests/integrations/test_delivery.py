"""Delivery outcomes against a real HTTP server on 127.0.0.1: delivered, retried, dead."""

import json
from datetime import timedelta
from email.utils import format_datetime

import pytest
from django.utils import timezone

from integrations.delivery import outbound_message_deliver
from integrations.models import OutboundMessage
from integrations.webhooks import verify
from tests.integrations.delivery_factories import OutboundMessageFactory, SubscriptionFactory
from tests.partner_server import Answer, PartnerServer

pytestmark = pytest.mark.django_db

PENDING = OutboundMessage.Status.PENDING
DELIVERED = OutboundMessage.Status.DELIVERED
DEAD = OutboundMessage.Status.DEAD


@pytest.fixture
def partner():
    with PartnerServer() as server:
        yield server


def message_to(partner, **subscription):
    return OutboundMessageFactory(subscription=SubscriptionFactory(url=partner.url, **subscription))


def deliver_again(message) -> str:
    """Deliver once more as if its retry time had come."""
    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    return outbound_message_deliver(message_id=message.pk)


def test_a_2xx_answer_delivers_the_signed_envelope_with_its_headers(partner):
    # given
    message = message_to(partner)

    # when
    outcome = outbound_message_deliver(message_id=message.pk)

    # then the partner got the envelope, signed, with the idempotency and correlation headers
    [request] = partner.received
    assert request.method == "POST"
    assert request.header("Content-Type") == "application/json"
    assert request.header("Idempotency-Key") == f"weft-event-{message.event_id}"
    assert request.header("X-Correlation-ID") == message.event.correlation_id
    assert verify(message.subscription.secret, request.header("X-Weft-Signature"), request.body)
    assert json.loads(request.body) == message.event.envelope()
    # and the message is delivered with its one attempt logged
    message.refresh_from_db()
    assert outcome == DELIVERED
    assert message.status == DELIVERED
    assert message.delivered_at is not None
    assert message.last_status_code == 200
    attempt = message.attempt_log.get()
    assert (attempt.number, attempt.status_code, attempt.error) == (1, 200, "")
    assert attempt.response_body == '{"ok": true}'
    assert attempt.duration_ms >= 0


def test_a_500_is_tried_again_within_the_first_backoff_window(partner):
    # given
    partner.script(Answer(500, b"database unavailable"))
    message = message_to(partner)
    before = timezone.now()

    # when
    outcome = outbound_message_deliver(message_id=message.pk)

    # then it waits a random delay of at most the base (10 s) for attempt 2
    message.refresh_from_db()
    assert outcome == "retry"
    assert message.status == PENDING
    assert before <= message.next_attempt_at <= timezone.now() + timedelta(seconds=10)
    assert message.last_status_code == 500
    assert message.attempt_log.get().response_body == "database unavailable"


def test_a_429_waits_for_its_retry_after_seconds(partner):
    # given
    partner.script(Answer(429, headers={"Retry-After": "120"}))
    message = message_to(partner)
    before = timezone.now()

    # when
    outbound_message_deliver(message_id=message.pk)

    # then
    message.refresh_from_db()
    assert message.status == PENDING
    assert before + timedelta(seconds=120) <= message.next_attempt_at
    assert message.next_attempt_at <= timezone.now() + timedelta(seconds=120)


def test_a_503_with_a_retry_after_date_waits_until_then(partner):
    # given
    until = timezone.now().replace(microsecond=0) + timedelta(minutes=15)
    partner.script(Answer(503, headers={"Retry-After": format_datetime(until, usegmt=True)}))
    message = message_to(partner)

    # when
    outbound_message_deliver(message_id=message.pk)

    # then
    message.refresh_from_db()
    assert message.status == PENDING
    assert abs((message.next_attempt_at - until).total_seconds()) < 2


def test_a_400_is_dead_at_once_with_the_answer_kept(partner):
    # given
    partner.script(Answer(400, b'{"error": "unknown supplier SUP-001"}'))
    message = message_to(partner)

    # when
    outcome = outbound_message_deliver(message_id=message.pk)

    # then
    message.refresh_from_db()
    assert outcome == DEAD
    assert message.status == DEAD
    assert message.last_status_code == 400
    assert message.last_error == "HTTP 400"
    assert message.attempt_log.get().response_body == '{"error": "unknown supplier SUP-001"}'


def test_a_redirect_is_not_followed_and_is_dead(partner):
    # given
    partner.script(Answer(302, headers={"Location": "http://169.254.169.254/"}))
    message = message_to(partner)

    # when
    outbound_message_deliver(message_id=message.pk)

    # then
    message.refresh_from_db()
    assert len(partner.received) == 1
    assert (message.status, message.last_status_code) == (DEAD, 302)


def test_no_answer_within_the_timeout_is_tried_again(partner):
    # given a partner that answers after the subscription's 1 s timeout
    partner.script(Answer(200, delay_seconds=3))
    message = message_to(partner, timeout_seconds=1)

    # when
    outbound_message_deliver(message_id=message.pk)

    # then
    message.refresh_from_db()
    attempt = message.attempt_log.get()
    assert message.status == PENDING
    assert message.last_status_code is None
    assert attempt.error.startswith("No answer within 1 s")
    assert 900 <= attempt.duration_ms < 3000


def test_a_partner_that_is_down_is_tried_again(partner):
    # given
    message = message_to(partner)
    partner.go_down()

    # when
    outbound_message_deliver(message_id=message.pk)

    # then
    message.refresh_from_db()
    assert message.status == PENDING
    assert message.attempt_log.get().error.startswith("Connection failed")


def test_the_partner_coming_back_up_gets_the_retry(partner):
    # given a first attempt while the partner was down
    message = message_to(partner)
    partner.go_down()
    outbound_message_deliver(message_id=message.pk)

    # when it is up again and the retry is due
    partner.come_up()
    outcome = deliver_again(message)

    # then
    assert outcome == DELIVERED
    assert [a.number for a in message.attempt_log.all()] == [1, 2]


def test_after_max_attempts_the_message_is_dead_with_every_attempt_kept(partner):
    # given a partner failing every time and a budget of 3 attempts
    partner.respond = lambda received: Answer(500, b"still broken")
    message = message_to(partner, max_attempts=3)

    # when
    outcomes = [outbound_message_deliver(message_id=message.pk)]
    outcomes += [deliver_again(message) for _ in range(3)]

    # then the third failure is final and a fourth call sends nothing
    message.refresh_from_db()
    assert outcomes == ["retry", "retry", DEAD, "not pending"]
    assert len(partner.received) == 3
    assert message.status == DEAD
    assert message.last_error == "HTTP 500; gave up after 3 attempts"
    assert [(a.number, a.status_code) for a in message.attempt_log.all()] == [
        (1, 500),
        (2, 500),
        (3, 500),
    ]


def test_the_kept_answer_is_cut_to_2_kb(partner):
    # given
    partner.script(Answer(500, b"x" * 100_000))
    message = message_to(partner)

    # when
    outbound_message_deliver(message_id=message.pk)

    # then
    assert len(message.attempt_log.get().response_body) == 2048


def test_a_message_not_yet_due_is_left_alone(partner):
    # given
    message = OutboundMessageFactory(
        subscription=SubscriptionFactory(url=partner.url),
        next_attempt_at=timezone.now() + timedelta(minutes=5),
    )

    # when
    outcome = outbound_message_deliver(message_id=message.pk)

    # then
    assert outcome == "not due"
    assert partner.received == []


def test_a_disabled_subscription_keeps_its_messages_waiting(partner):
    # given
    message = message_to(partner, enabled=False)

    # when
    outcome = outbound_message_deliver(message_id=message.pk)

    # then
    message.refresh_from_db()
    assert outcome == "subscription disabled"
    assert (message.status, message.attempts, partner.received) == (PENDING, 0, [])
