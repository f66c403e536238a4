"""Demand orders over the API: the order system upserts them by number; others read."""

import pytest
from rest_framework.test import APIClient

from integrations.services import api_key_create
from planning.models import DemandOrder
from tests.factories import PlannerFactory
from tests.planning.forecast_support import sender, world

pytestmark = pytest.mark.django_db
URL = "/api/v1/demand-orders/"
ORDER = {
    "number": "SO-7",
    "customer": "ACME",
    "lines": [
        {
            "line": 1,
            "item": "BIKE",
            "plant": "P100",
            "quantity": "1",
            "uom": "BOX",
            "due_date": "2026-06-10",
        }
    ],
}


@pytest.fixture
def erp_client(db):
    world()
    system = sender("ERP-1", "demand_order")
    _, raw = api_key_create(system=system, scopes=["planning:read", "planning:write"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_the_order_system_creates_then_changes_an_order(erp_client):
    created = erp_client.post(URL, ORDER, format="json")
    changed = erp_client.post(
        URL, ORDER | {"lines": [ORDER["lines"][0] | {"quantity": "2"}]}, format="json"
    )

    assert created.status_code == 201, created.json()
    assert changed.status_code == 200
    line = changed.json()["lines"][0]
    assert (line["quantity"], line["uom"], line["entered_uom"], line["status"]) == (
        "12.000000",
        "EA",
        "BOX",
        "open",
    )
    assert changed.json()["source_system"] == "ERP-1"


def test_a_planner_cannot_write_what_the_erp_owns(erp_client):
    client = APIClient()
    client.force_login(PlannerFactory())

    response = client.post(URL, ORDER, format="json")

    assert response.status_code == 403
    assert not DemandOrder.objects.exists()


def test_bad_lines_are_a_400_naming_field_and_value(erp_client):
    bad = ORDER | {"lines": [ORDER["lines"][0] | {"item": "NOPE"}]}

    response = erp_client.post(URL, bad, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0] == {"field": "lines.0.item", "value": "NOPE"}
    assert not DemandOrder.objects.exists()


def test_list_filters_and_detail_by_number(erp_client, django_assert_max_num_queries):
    erp_client.post(URL, ORDER, format="json")
    erp_client.post(URL, ORDER | {"number": "SO-8"}, format="json")

    with django_assert_max_num_queries(6):
        listed = erp_client.get(f"{URL}?item=BIKE&open=true").json()
    detail = erp_client.get(f"{URL}SO-8/")
    none = erp_client.get(f"{URL}?plant=P200").json()

    assert [row["number"] for row in listed["results"]] == ["SO-7", "SO-8"]
    assert detail.json()["lines"][0]["item"] == "BIKE"
    assert none["results"] == []
