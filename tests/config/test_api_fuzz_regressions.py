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
