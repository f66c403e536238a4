"""Request limits: big bodies 413, deep JSON 400, pages capped, per-key throttling in Redis."""

import json

import pytest
import redis
from rest_framework.test import APIClient

from integrations.models import InboundMessage
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


def nested(depth: int):
    value: object = "leaf"
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def test_a_body_over_the_limit_answers_413_naming_the_limit(partner_client, settings):
    settings.WEFT = settings.WEFT | {"MAX_REQUEST_BYTES": 1000}

    response = partner_client.post(
        "/api/v1/inbound/", data=b"x" * 2000, content_type="application/json"
    )

    assert response.status_code == 413
    body = json.loads(response.content)
    assert body["limit"] == 1000
    assert "1000 bytes" in body["detail"]
    assert InboundMessage.objects.count() == 0


def test_a_body_within_the_limit_passes(partner_client, settings):
    settings.WEFT = settings.WEFT | {"MAX_REQUEST_BYTES": 1000}

    response = partner_client.get("/api/v1/items/")

    assert response.status_code == 200


def test_deeply_nested_json_is_refused_with_400_on_a_json_endpoint(partner_client):
    too_deep = json.dumps({"code": nested(200)})

    response = partner_client.post("/api/v1/items/", data=too_deep, content_type="application/json")

    assert response.status_code == 400
    assert "deeper than 32" in response.json()["detail"]


def test_json_too_deep_for_the_parser_itself_is_400_not_500(partner_client):
    response = partner_client.post(
        "/api/v1/items/", data="[" * 100_000 + "]" * 100_000, content_type="application/json"
    )

    assert response.status_code == 400


def test_a_deep_inbound_message_is_stored_as_rejected_and_refused(partner_client):
    envelope = {
        "type": "item.upserted",
        "version": 1,
        "id": "deep-1",
        "source": partner_client.system.code,
        "occurred_at": "2026-11-22T10:00:00+00:00",
        "data": nested(100),
    }

    response = partner_client.post(
        "/api/v1/inbound/", data=json.dumps(envelope), content_type="application/json"
    )

    assert response.status_code == 400
    assert "deeper than 32" in json.dumps(response.json())
    assert InboundMessage.objects.get().status == InboundMessage.Status.REJECTED


def test_a_deep_inbound_batch_is_refused(partner_client):
    body = {"messages": [nested(60)]}

    response = partner_client.post(
        "/api/v1/inbound/batch/", data=json.dumps(body), content_type="application/json"
    )

    assert response.status_code == 400


def test_huge_page_sizes_are_capped(partner_client):
    ItemFactory.create_batch(3)

    response = partner_client.get("/api/v1/items/", {"page_size": 10**9})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 3


def test_a_key_over_its_rate_answers_429_with_retry_after(partner_key, settings):
    settings.WEFT = settings.WEFT | {"API_RATE": "3/min"}
    _, raw = partner_key()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    answers = [client.get("/api/v1/items/").status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    refused = client.get("/api/v1/items/")
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["status"] == 429


def test_each_key_has_its_own_budget(partner_key, settings):
    settings.WEFT = settings.WEFT | {"API_RATE": "2/min"}
    clients = []
    for _ in range(2):
        _, raw = partner_key()
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        clients.append(client)

    first = [clients[0].get("/api/v1/items/").status_code for _ in range(3)]
    second = clients[1].get("/api/v1/items/").status_code

    assert first == [200, 200, 429]
    assert second == 200


def test_throttle_counters_live_in_redis_for_every_process(partner_key, settings):
    settings.WEFT = settings.WEFT | {"API_RATE": "50/min"}
    _, raw = partner_key()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    for _ in range(3):
        client.get("/api/v1/items/")

    cache = settings.CACHES["default"]
    connection = redis.Redis.from_url(cache["LOCATION"])
    keys = connection.keys(f"{cache['KEY_PREFIX']}:*throttle:key:*")
    counts = sorted(int(connection.get(k)) for k in keys)
    assert 3 in counts
