"""`/api/v1/messages/outbound/` and `/api/v1/subscriptions/`: status, attempts and replay."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from integrations.models import DeliveryAttempt, OutboundMessage
from tests.factories import ExternalSystemFactory
from tests.integrations.delivery_factories import (
    EventFactory,
    OutboundMessageFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db

DEAD = OutboundMessage.Status.DEAD
DELIVERED = OutboundMessage.Status.DELIVERED
PENDING = OutboundMessage.Status.PENDING
LIST = "/api/v1/messages/outbound/"


def client_for(partner_key, *scopes, system=None):
    system, raw = partner_key(*scopes, system=system)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.system = system
    return client


def message_of(system, **fields):
    return OutboundMessageFactory(subscription=SubscriptionFactory(system=system), **fields)


def with_attempts(message, *codes):
    for number, code in enumerate(codes, start=1):
        DeliveryAttempt.objects.create(
            message=message,
            number=number,
            started_at=timezone.now(),
            duration_ms=12,
            status_code=code,
            response_body=f"answer {number}",
        )
    OutboundMessage.objects.filter(pk=message.pk).update(attempts=len(codes))
    return message


def test_a_partner_lists_only_its_own_systems_messages(partner_client):
    # given
    own = message_of(partner_client.system)
    message_of(ExternalSystemFactory())

    # when
    response = partner_client.get(LIST)

    # then
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [own.pk]
    row = response.json()["results"][0]
    assert row["idempotency_key"] == f"weft-event-{own.event_id}"
    assert row["system"] == partner_client.system.code
    assert row["event_type"] == "purchase_order.issued"


def test_the_list_filters_by_status_system_event_type_subscription_and_date(planner, api_client):
    # given
    api_client.force_login(planner)
    erp, supplier = ExternalSystemFactory(code="ERP-EU"), ExternalSystemFactory(code="SUP-ACME")
    dead = message_of(erp, status=DEAD)
    confirmed = message_of(
        supplier, event=EventFactory(event_type="purchase_order.confirmed"), status=DELIVERED
    )
    old = message_of(supplier)
    OutboundMessage.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    since = (timezone.now() - timedelta(days=1)).isoformat()

    def ids(**filters):
        response = api_client.get(LIST, filters)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    # then
    assert ids(status="dead") == [dead.pk]
    assert ids(system="SUP-ACME") == [confirmed.pk, old.pk]
    assert ids(event_type="purchase_order.confirmed") == [confirmed.pk]
    assert ids(subscription=dead.subscription_id) == [dead.pk]
    assert ids(created_since=since) == [dead.pk, confirmed.pk]


def test_the_list_pages_with_a_cursor_in_few_queries(partner_client, django_assert_max_num_queries):
    # given
    subscription = SubscriptionFactory(system=partner_client.system)
    for _ in range(5):
        OutboundMessageFactory(subscription=subscription)

    # when
    with django_assert_max_num_queries(4):
        first = partner_client.get(LIST, {"page_size": 3}).json()
    second = partner_client.get(first["next"]).json()

    # then
    assert len(first["results"]) == 3
    assert len(second["results"]) == 2
    assert second["next"] is None


def test_a_message_shows_its_envelope_and_every_attempt(partner_client):
    # given
    message = with_attempts(message_of(partner_client.system, status=DEAD), 503, 400)

    # when
    response = partner_client.get(f"{LIST}{message.pk}/")

    # then
    body = response.json()
    assert response.status_code == 200
    assert body["envelope"]["id"] == f"weft-event-{message.event_id}"
    assert body["envelope"]["data"] == message.event.data
    assert [(a["number"], a["status_code"], a["response_body"]) for a in body["attempt_log"]] == [
        (1, 503, "answer 1"),
        (2, 400, "answer 2"),
    ]


def test_another_systems_message_is_not_found_to_read_or_replay(partner_client):
    # given
    foreign = message_of(ExternalSystemFactory(), status=DEAD)

    # when
    read = partner_client.get(f"{LIST}{foreign.pk}/")
    replay = partner_client.post(f"{LIST}{foreign.pk}/replay/", {}, format="json")

    # then
    foreign.refresh_from_db()
    assert (read.status_code, replay.status_code) == (404, 404)
    assert (foreign.status, foreign.replay_count) == (DEAD, 0)


def test_a_partner_replays_its_dead_message_with_the_same_event_id(partner_client):
    # given
    message = with_attempts(message_of(partner_client.system, status=DEAD), 400)

    # when
    response = partner_client.post(f"{LIST}{message.pk}/replay/", {}, format="json")

    # then
    body = response.json()
    assert response.status_code == 202
    assert body["status"] == PENDING
    assert body["replay_count"] == 1
    assert body["replayed_by"] == f"system {partner_client.system.code}"
    assert body["idempotency_key"] == f"weft-event-{message.event_id}"
    assert len(body["attempt_log"]) == 1


def test_a_delivered_message_is_replayed_only_when_asked(partner_client):
    # given
    message = message_of(partner_client.system, status=DELIVERED)
    url = f"{LIST}{message.pk}/replay/"

    # when
    refused = partner_client.post(url, {}, format="json")
    accepted = partner_client.post(url, {"include_delivered": True}, format="json")

    # then
    assert refused.status_code == 409
    assert refused.json()["errors"] == [{"field": "status", "value": "delivered"}]
    assert accepted.status_code == 202


def test_replaying_a_filtered_set_answers_the_count_and_only_touches_dead_ones_by_default(
    partner_client,
):
    # given
    system = partner_client.system
    dead_issued = message_of(system, status=DEAD)
    dead_confirmed = message_of(
        system, status=DEAD, event=EventFactory(event_type="purchase_order.confirmed")
    )
    delivered = message_of(system, status=DELIVERED)
    foreign_dead = message_of(ExternalSystemFactory(), status=DEAD)

    # when
    by_type = partner_client.post(
        f"{LIST}replay/", {"event_type": "purchase_order.issued"}, format="json"
    )
    the_rest = partner_client.post(f"{LIST}replay/", {}, format="json")

    # then
    assert (by_type.status_code, by_type.json()) == (202, {"replayed": 1})
    assert the_rest.json() == {"replayed": 1}
    statuses = dict(OutboundMessage.objects.values_list("pk", "status"))
    assert statuses[dead_issued.pk] == PENDING
    assert statuses[dead_confirmed.pk] == PENDING
    assert statuses[delivered.pk] == DELIVERED
    assert statuses[foreign_dead.pk] == DEAD


def test_replaying_delivered_messages_in_bulk_needs_the_status_said(planner, api_client):
    # given
    api_client.force_login(planner)
    delivered = message_of(ExternalSystemFactory(code="ERP-EU"), status=DELIVERED)
    since = (timezone.now() - timedelta(hours=1)).isoformat()

    # when
    response = api_client.post(
        f"{LIST}replay/",
        {"status": "delivered", "system": "ERP-EU", "since": since},
        format="json",
    )
    refused = api_client.post(f"{LIST}replay/", {"status": "pending"}, format="json")

    # then
    delivered.refresh_from_db()
    assert response.json() == {"replayed": 1}
    assert delivered.replayed_by == "user planner"
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "status"


def test_replay_needs_the_replay_scope_and_reading_the_read_scope(partner_key):
    # given
    reader = client_for(partner_key, "messages:read")
    outsider = client_for(partner_key, "masterdata:read")
    message = message_of(reader.system, status=DEAD)

    # then
    assert reader.get(f"{LIST}{message.pk}/").status_code == 200
    assert reader.post(f"{LIST}{message.pk}/replay/", {}, format="json").status_code == 403
    assert reader.post(f"{LIST}replay/", {}, format="json").status_code == 403
    assert outsider.get(LIST).status_code == 403


def test_planners_see_every_systems_messages(planner, api_client):
    # given
    api_client.force_login(planner)
    first, second = message_of(ExternalSystemFactory()), message_of(ExternalSystemFactory())

    # when
    response = api_client.get(LIST)

    # then
    assert [row["id"] for row in response.json()["results"]] == [first.pk, second.pk]


def test_a_partner_sees_its_subscriptions_without_their_secrets(partner_client):
    # given
    own = SubscriptionFactory(system=partner_client.system)
    SubscriptionFactory()

    # when
    response = partner_client.get("/api/v1/subscriptions/")

    # then
    [row] = response.json()["results"]
    assert row["id"] == own.pk
    assert "secret" not in row
    assert own.secret not in response.content.decode()
