import json

import pytest

from integrations.models import InboundMessage
from masterdata.models import Item
from tests.integrations.conftest import envelope

pytestmark = pytest.mark.django_db

BATCH = "/api/v1/inbound/batch/"


def post_batch(client, messages):
    body = messages if isinstance(messages, str) else json.dumps({"messages": messages})
    return client.post(BATCH, body, content_type="application/json")


def test_a_batch_answers_each_message_in_order(erp_client):
    messages = [
        envelope("m-1", code="BRK-1"),
        envelope("m-2", code="BRK-2", item_type="rent"),
        envelope("m-3", code="BRK-3", source="PLM"),
        envelope("m-1", code="BRK-1"),
        envelope("m-1", code="BRK-1", description="other"),
    ]

    response = post_batch(erp_client, messages)

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["http_status"] for r in results] == [202, 202, 400, 200, 409]
    assert results[3]["id"] == results[0]["id"]
    assert results[2]["errors"][0]["field"] == "source"
    assert response.json()["accepted"] == 3


def test_batch_data_errors_show_at_the_status_url(erp_client):
    results = post_batch(erp_client, [envelope("m-2", code="BRK-2", item_type="rent")]).json()[
        "results"
    ]

    status = erp_client.get(results[0]["url"]).json()
    assert status["status"] == "rejected"
    assert status["errors"][0]["field"] == "data.item_type"
    assert not Item.objects.filter(code="BRK-2").exists()


def test_a_batch_applies_every_valid_message(erp_client):
    post_batch(erp_client, [envelope(f"m-{n}", code=f"BRK-{n}") for n in range(250)])

    assert Item.objects.count() == 250
    assert InboundMessage.objects.filter(status="applied").count() == 250


def test_a_batch_repeat_applies_nothing_twice(erp_client):
    batch = [envelope(f"m-{n}", code=f"BRK-{n}") for n in range(20)]
    post_batch(erp_client, batch)
    again = post_batch(erp_client, batch).json()["results"]

    assert {r["http_status"] for r in again} == {200}
    assert Item.history.count() == 20


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("{nope", "not valid JSON"),
        (json.dumps({"items": []}), '{"messages": [envelope, ...]}'),
        (json.dumps({"messages": []}), "empty"),
        (json.dumps({"messages": [{}] * 1001}), "at most 1000"),
    ],
)
def test_a_malformed_batch_is_400_and_kept(erp_client, body, reason):
    response = post_batch(erp_client, body)

    assert response.status_code == 400
    assert reason in response.json()["detail"]
    assert InboundMessage.objects.get().status == "rejected"
