"""/metrics: protected from the public; business figures read from the database at scrape time."""

import json
import logging
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from integrations.correlation import (
    CorrelationIdLogFilter,
    JsonLogFormatter,
    correlation_scope,
)
from integrations.models import DeliveryAttempt, InboundMessage, OutboundMessage
from tests.factories import ExternalSystemFactory
from tests.integrations.delivery_factories import OutboundMessageFactory

pytestmark = pytest.mark.django_db


def received(system, key: str, minutes_ago: int) -> InboundMessage:
    message = InboundMessage.objects.create(
        system=system,
        idempotency_key=key,
        message_type="item.upserted",
        correlation_id="c-" + key,
        body="{}",
        body_sha256=key,
    )
    InboundMessage.objects.filter(pk=message.pk).update(
        received_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return message


def sample(text: str, name: str, **labels) -> float:
    """The value of one sample in Prometheus text format."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        metric, _, value = line.rpartition(" ")
        head = metric.split("{", 1)
        if head[0] != name:
            continue
        found = (
            dict(part.split("=", 1) for part in head[1].rstrip("}").split(",") if "=" in part)
            if len(head) > 1
            else {}
        )
        if {k: v.strip('"') for k, v in found.items()} == labels:
            return float(value)
    raise AssertionError(f"no sample {name} {labels}")


def test_anonymous_callers_are_refused():
    response = APIClient().get("/metrics")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="weft-metrics"'


def test_a_key_without_the_metrics_scope_is_refused(partner_key):
    _, raw = partner_key("messages:read")

    response = APIClient().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 403


def test_a_wrong_token_is_refused(settings):
    settings.WEFT = settings.WEFT | {"METRICS_TOKEN": "s3cret-scrape-token"}

    response = APIClient().get("/metrics", HTTP_AUTHORIZATION="Bearer guess")

    assert response.status_code == 401


def test_the_scrape_token_and_allowed_addresses_get_in(settings):
    settings.WEFT = settings.WEFT | {
        "METRICS_TOKEN": "s3cret-scrape-token",
        "METRICS_ALLOWED_IPS": ["10.0.0.9"],
    }

    by_token = APIClient().get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")
    by_address = APIClient().get("/metrics", REMOTE_ADDR="10.0.0.9")

    assert by_token.status_code == 200 and by_address.status_code == 200


def test_business_metrics_count_messages_backlog_and_deliveries(partner_key):
    system = ExternalSystemFactory(code="ERP-EU")
    received(system, "a", minutes_ago=10)
    received(system, "b", minutes_ago=1)
    delivered = OutboundMessageFactory(status=OutboundMessage.Status.DELIVERED)
    OutboundMessageFactory(status=OutboundMessage.Status.DEAD)
    DeliveryAttempt.objects.create(
        message=delivered, number=1, started_at=timezone.now(), duration_ms=250, status_code=200
    )
    _, raw = partner_key("metrics:read")

    response = APIClient().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 200
    text = response.content.decode()
    assert (
        sample(
            text, "weft_inbound_messages", system="ERP-EU", type="item.upserted", status="received"
        )
        == 2
    )
    assert sample(text, "weft_queue_backlog", queue="inbound") == 2
    assert 590 <= sample(text, "weft_queue_oldest_pending_age_seconds", queue="inbound") <= 660
    assert sample(text, "weft_delivery_attempts_total") == 1
    assert sample(text, "weft_delivery_attempt_duration_seconds_total") == 0.25
    assert sample(text, "weft_delivery_attempts_last_hour", answer="2xx") == 1
    assert sample(text, "weft_open_exceptions", kind="dead_outbound_message") == 1
    assert "django_http_requests_total_by_method" in text


def test_scraping_costs_a_bounded_number_of_queries(partner_key, django_assert_max_num_queries):
    _, raw = partner_key("metrics:read")
    client = APIClient()
    client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {raw}")

    with django_assert_max_num_queries(15):
        client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_json_logs_carry_correlation_id_system_and_object():
    record = logging.LogRecord("weft.test", logging.INFO, __file__, 1, "applied", (), None)
    record.system = "ERP-EU"
    record.object = "item:PRT-1"

    with correlation_scope("corr-123"):
        CorrelationIdLogFilter().filter(record)
    line = json.loads(JsonLogFormatter().format(record))

    assert line["correlation_id"] == "corr-123"
    assert line["system"] == "ERP-EU"
    assert line["object"] == "item:PRT-1"
    assert line["message"] == "applied"
