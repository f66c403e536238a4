"""Server errors schemathesis found, each kept as a plain regression test."""

import json

import pytest

pytestmark = pytest.mark.django_db


def test_an_envelope_field_named_with_a_superscript_digit_is_a_400_not_a_500(partner_client):
    # '²'.isdigit() is True but int('²') fails: sorting the errors by field crashed.
    body = {"messages": [{"²": 1, "type": 7}]}

    response = partner_client.post(
        "/api/v1/inbound/batch/", data=json.dumps(body), content_type="application/json"
    )

    assert response.status_code == 200
    assert response.json()["refused"] == 1


@pytest.mark.parametrize("suffix", ["acknowledge", "cancel", "close", "issue", "revise"])
def test_format_suffixed_actions_answer_instead_of_crashing(partner_client, suffix):
    # The router's `.json` routes passed a `format` argument the actions did not take.
    response = partner_client.post(f"/api/v1/purchase-orders/999999/{suffix}.json/", data={})

    assert response.status_code == 404


def test_a_supplier_without_a_system_matches_its_documented_schema(partner_client):
    # The answer carried external_system: null while the schema promised a string.
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    field = schema["components"]["schemas"]["Supplier"]["properties"]["external_system"]

    response = partner_client.post(
        "/api/v1/suppliers/", {"code": "S-NEW", "name": "New"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["external_system"] is None
    assert field.get("nullable") is True


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/item-plants/", "updated_since"),
        ("/api/v1/inventory/balances/", "since"),
        ("/api/v1/purchase-orders/", "updated_since"),
    ],
)
def test_an_instant_with_an_offset_postgresql_cannot_store_is_read_in_utc(
    partner_client, path, name
):
    # Python takes offsets up to ±23:59, PostgreSQL only ±15:59: the filter crashed with a 500.
    response = partner_client.get(path, {name: "0148-08-24T09:38:15-21:37"})

    assert response.status_code == 200


def test_an_instant_out_of_range_in_utc_is_a_400_naming_the_filter(partner_client):
    response = partner_client.get(
        "/api/v1/item-plants/", {"updated_since": "0001-01-01T00:00:00+05:00"}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "updated_since"
