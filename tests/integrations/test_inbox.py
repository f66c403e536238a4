import json
import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from integrations.inbox import inbound_receive
from integrations.models import CodeMap, InboundMessage
from integrations.services import ownership_set
from masterdata.models import Item
from tests.factories import ExternalSystemFactory, PlantFactory, UnitFactory
from tests.integrations.conftest import envelope

pytestmark = pytest.mark.django_db

INBOUND = "/api/v1/inbound/"


def post(client, body, **headers):
    raw = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(INBOUND, raw, content_type="application/json", **headers)


def test_a_valid_message_is_stored_answered_202_and_applied(erp_client):
    response = post(erp_client, envelope())

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "received"
    assert response["Location"] == body["url"] == f"/api/v1/messages/inbound/{body['id']}/"
    message = InboundMessage.objects.get(pk=body["id"])
    assert message.status == "applied"
    assert message.correlation_id == "4b6c0e52-0d0c-4c43-9d3e-5c1b2f6a7e11"
    record = Item.history.get(code="BRK-1001")
    assert (record.history_system, record.history_message) == ("ERP-EU", str(message.pk))

    status = erp_client.get(body["url"]).json()
    assert status["status"] == "applied"
    assert json.loads(status["body"]) == envelope()


def test_an_exact_repeat_returns_the_first_answer_with_200(erp_client):
    first = post(erp_client, envelope())
    again = post(erp_client, json.dumps(envelope(), indent=2))  # same JSON, other whitespace

    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["status"] == "applied"
    assert InboundMessage.objects.count() == 1
    assert Item.history.filter(code="BRK-1001").count() == 1


def test_a_reused_key_with_another_body_is_409_and_kept(erp_client):
    first = post(erp_client, envelope())
    clash = post(erp_client, envelope(description="Something else"))

    assert clash.status_code == 409
    assert "msg-1" in clash.json()["detail"]
    assert Item.objects.get(code="BRK-1001").description == "Brake caliper"
    kept = InboundMessage.objects.exclude(pk=first.json()["id"]).get()
    assert kept.status == "rejected" and "Something else" in kept.body


def test_the_idempotency_key_header_wins_over_the_envelope_id(erp_client):
    post(erp_client, envelope("msg-1"), HTTP_IDEMPOTENCY_KEY="key-A")
    second = post(erp_client, envelope("msg-2"), HTTP_IDEMPOTENCY_KEY="key-A")

    assert second.status_code == 409
    assert InboundMessage.objects.filter(idempotency_key="key-A").count() == 1


def test_every_schema_error_is_listed_and_the_message_kept_as_rejected(erp_client):
    bad = envelope(item_type="rent", plants=[{"plant": "P100", "safety_stock": 12.5}])
    del bad["data"]["base_uom"]

    response = post(erp_client, bad)

    assert response.status_code == 400
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"data.base_uom", "data.item_type", "data.plants.0.safety_stock"}
    stored = InboundMessage.objects.get()
    assert stored.status == "rejected" and len(stored.errors) == 3
    assert not Item.objects.exists()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("{not json", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        ("[1, 2]", "must be a JSON object"),
        (json.dumps(envelope() | {"type": "item.deleted"}), "item.deleted"),
        (json.dumps(envelope() | {"version": 7}), "version"),
        (json.dumps(envelope(source="PLM")), "caller's own system"),
        ("[" * 5000 + "]" * 5000, "not valid JSON"),
    ],
)
def test_bad_bodies_are_stored_rejected_and_answered_400(erp_client, body, reason):
    response = post(erp_client, body)

    assert response.status_code == 400
    assert reason in json.dumps(response.json())
    stored = InboundMessage.objects.get()
    assert stored.status == "rejected"
    assert reason in json.dumps(stored.errors)


def test_the_same_bad_body_twice_is_stored_once(erp_client):
    assert post(erp_client, "{not json").status_code == 400
    assert post(erp_client, "{not json").status_code == 400
    assert InboundMessage.objects.count() == 1


def test_a_write_from_a_system_that_does_not_own_the_type_is_rejected(erp_client, erp):
    ownership_set(object_type="item", system=ExternalSystemFactory(code="PLM"))

    response = post(erp_client, envelope())

    message = InboundMessage.objects.get(pk=response.json()["id"])
    assert message.status == "rejected"
    assert message.reason == "item is owned by PLM; ERP-EU may not change it."
    assert not Item.objects.exists()


def test_a_handler_refusal_leaves_nothing_half_written(erp_client):
    # the item itself is fine, its second plant is unknown: nothing of it may stay
    response = post(erp_client, envelope(plants=[{"plant": "P100"}, {"plant": "P999"}]))

    message = InboundMessage.objects.get(pk=response.json()["id"])
    assert message.status == "rejected"
    assert "Unknown plant 'P999'" in message.reason
    assert message.errors == [{"field": "plants[1].plant", "value": "P999"}]
    assert not Item.objects.exists()


def test_code_maps_translate_the_senders_codes(erp_client, erp):
    CodeMap.objects.create(
        system=erp, domain="item", external_code="000000000000401234", canonical_code="BRK-1001"
    )
    CodeMap.objects.create(system=erp, domain="plant", external_code="1000", canonical_code="P100")
    CodeMap.objects.create(system=erp, domain="uom", external_code="ST", canonical_code="EA")

    post(
        erp_client,
        envelope(
            code="000000000000401234",
            base_uom="ST",
            plants=[{"plant": "1000", "lead_time_days": 4}],
        ),
    )

    item = Item.objects.get(code="BRK-1001")
    assert item.base_uom.code == "EA"
    assert item.plants.get().plant.code == "P100"


def test_code_maps_apply_only_within_their_dates(erp_client, erp):
    CodeMap.objects.create(
        system=erp,
        domain="item",
        external_code="OLD-1",
        canonical_code="BRK-1001",
        valid_to="2020-12-31",
    )

    post(erp_client, envelope(code="OLD-1"))

    assert Item.objects.filter(code="OLD-1").exists()
    assert not Item.objects.filter(code="BRK-1001").exists()


def test_a_partner_sees_only_its_own_messages(erp_client, partner_key):
    mine = post(erp_client, envelope()).json()
    other_system = ExternalSystemFactory(code="MES-1")
    _, raw = partner_key("inbound:write", "messages:read", system=other_system)
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert other.get(mine["url"]).status_code == 404
    assert other.get("/api/v1/messages/inbound/").json()["results"] == []
    assert (
        erp_client.get("/api/v1/messages/inbound/", {"status": "applied"}).json()["results"][0][
            "id"
        ]
        == mine["id"]
    )


def test_people_cannot_post_inbound_messages(api_client, planner, erp):
    api_client.force_authenticate(planner)
    response = api_client.post(INBOUND, json.dumps(envelope()), content_type="application/json")
    assert response.status_code == 403
    assert not InboundMessage.objects.exists()


def test_a_rejected_message_can_be_replayed_after_its_cause_is_fixed(erp_client):
    response = post(erp_client, envelope(plants=[{"plant": "P200"}]))
    message_id = response.json()["id"]
    assert InboundMessage.objects.get(pk=message_id).status == "rejected"

    PlantFactory(code="P200")
    replay = erp_client.post(f"/api/v1/messages/inbound/{message_id}/replay/")

    assert replay.status_code == 202
    assert InboundMessage.objects.get(pk=message_id).status == "applied"
    assert erp_client.post(f"/api/v1/messages/inbound/{message_id}/replay/").status_code == 400


def test_trace_follows_a_correlation_id(erp_client):
    post(erp_client, envelope())

    trace = erp_client.get("/api/v1/trace/4b6c0e52-0d0c-4c43-9d3e-5c1b2f6a7e11/").json()

    assert [(e["kind"], e["type"], e["status"]) for e in trace["entries"]] == [
        ("inbound", "item.upserted", "applied")
    ]


def test_stats_count_by_system_type_and_status(erp_client):
    post(erp_client, envelope())
    post(erp_client, "{broken")

    stats = erp_client.get("/api/v1/messages/stats/").json()

    counts = {(row["type"], row["status"]): row["count"] for row in stats["inbound"]}
    assert counts == {("item.upserted", "applied"): 1, ("", "rejected"): 1}
    assert stats["oldest_pending_inbound_seconds"] is None


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_one_key_make_one_message_and_one_effect():
    UnitFactory(code="EA")
    erp = ExternalSystemFactory(code="ERP-EU")
    ownership_set(object_type="item", system=erp)
    body = json.dumps(envelope()).encode()
    barrier = threading.Barrier(2)
    answers = []

    def send():
        try:
            barrier.wait(timeout=5)
            answers.append(inbound_receive(system=erp, raw=body).http_status)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(answers) == [200, 202]
    assert InboundMessage.objects.count() == 1
    assert Item.history.filter(code="BRK-1001").count() == 1


def test_an_escaped_nul_character_is_refused_naming_where_it_is(erp_client):
    body = json.dumps(envelope(description="Brake\u0000caliper"))

    response = post(erp_client, body)

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "data.description"
    assert InboundMessage.objects.get().body == body


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_standard_json_constants_are_refused(erp_client, constant):
    body = json.dumps(envelope()).replace('"version": 1', f'"version": {constant}')

    response = post(erp_client, body)

    assert response.status_code == 400
    assert f"{constant.lstrip('-')} is not a JSON value" in response.json()["detail"]
