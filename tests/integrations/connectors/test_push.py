"""Push: an event calls the partner's own API through a mapping; its document number is stored back."""

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from integrations.connectors.demo import (
    REQUISITION_MAPPING,
    REQUISITION_SAMPLE,
    configure_standin_connectors,
    mapping_ready,
)
from integrations.connectors.push import api_call_message_send, external_number
from integrations.models import ApiCallMessage, Mapping, PartnerApi
from integrations.outbox import emit

pytestmark = pytest.mark.django_db


def released(number="PLN-000042", item="SM-000007"):
    return {**REQUISITION_SAMPLE, "number": number, "item": item}


@pytest.fixture
def requisitions(erp_eu, standin):
    configure_standin_connectors(system=erp_eu, base_url=standin.url, token_url=standin.token_url)
    standin.auth = "oauth2"
    standin.client_secret = "standin-secret"
    return standin


def release(after_commit, data):
    def emit_it():
        with transaction.atomic():
            return emit("planned_order.released", data, key=f"planned_order:{data['number']}")

    return after_commit(emit_it)


def test_a_released_planned_order_becomes_a_requisition_and_its_number_is_stored(
    requisitions, after_commit
):
    # when a planned order is released
    event = release(after_commit, released())

    # then the ERP got the mapped body once, authenticated, with an idempotency key
    calls = requisitions.requests_to("/requisitions")
    assert [c.status for c in calls] == [201]
    body = requisitions.requisitions[f"weft-event-{event.pk}:requisitions"]["request"]
    assert body == {
        "material": "SM-000007",
        "plant": "P100",
        "quantity": "120",
        "unit": "EA",
        "delivery_date": "2026-06-15",
        "release_date": "2026-06-01",
        "vendor": "S001",
        "reference": "WEFT-PLN-000042",
    }
    # and its document number is kept on the planned order, for the domain to read
    message = ApiCallMessage.objects.get(event=event)
    assert (message.status, message.document_number) == ("delivered", "PR1000001")
    assert (
        external_number(system_code="ERP-EU", object_type="planned_order", object_key="PLN-000042")
        == "PR1000001"
    )


def test_a_failing_partner_is_retried_later_and_the_number_arrives_then(requisitions, after_commit):
    requisitions.fail_next(500)
    event = release(after_commit, released())
    message = ApiCallMessage.objects.get(event=event)
    assert (message.status, message.attempts, message.last_status_code) == ("pending", 1, 500)
    assert message.next_attempt_at > timezone.now()

    ApiCallMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert api_call_message_send(message_id=message.pk) == "delivered"
    assert (
        external_number(system_code="ERP-EU", object_type="planned_order", object_key="PLN-000042")
        == "PR1000001"
    )


def test_a_refused_body_is_dead_at_once_with_the_answer_kept(requisitions, after_commit):
    event = release(after_commit, released(item=""))

    message = ApiCallMessage.objects.get(event=event)
    assert (message.status, message.last_status_code) == ("dead", 422)
    assert json.loads(message.response_body)["detail"] == "material is required"


def test_an_open_circuit_postpones_the_call_without_using_an_attempt(requisitions, after_commit):
    api = PartnerApi.objects.get(system__code="ERP-EU")
    api.circuit, api.circuit_opened_at = PartnerApi.Circuit.OPEN, timezone.now()
    api.save()

    event = release(after_commit, released())

    message = ApiCallMessage.objects.get(event=event)
    assert (message.status, message.attempts) == ("pending", 0)
    assert "unreachable since" in message.last_error
    assert message.next_attempt_at >= timezone.now() + timedelta(seconds=30)
    assert requisitions.requests_to("/requisitions") == []


def test_the_same_event_is_sent_once_even_if_its_task_runs_twice(requisitions, after_commit):
    event = release(after_commit, released())
    message = ApiCallMessage.objects.get(event=event)

    assert api_call_message_send(message_id=message.pk) == "not due"
    assert len(requisitions.requests_to("/requisitions")) == 1


def test_an_api_call_needs_an_outbound_mapping_and_known_event_types(erp_eu, standin):
    from integrations.connectors.push import api_call_create
    from integrations.connectors.services import partner_api_configure
    from integrations.errors import ApplicationError

    api = partner_api_configure(system=erp_eu, base_url=standin.url)
    mapping = mapping_ready(
        name="reqs",
        direction=Mapping.Direction.OUTBOUND,
        message_type="planned_order.released",
        expression=REQUISITION_MAPPING,
        sample=REQUISITION_SAMPLE,
    )
    with pytest.raises(ApplicationError) as refused:
        api_call_create(
            api=api,
            name="x",
            event_types=["planned_order.exploded"],
            path_template="requisitions",
            mapping=mapping,
            object_type="planned_order",
        )
    assert refused.value.extra == {"field": "event_types", "value": "planned_order.exploded"}
