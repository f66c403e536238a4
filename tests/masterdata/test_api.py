from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from masterdata.models import Item, ItemPlant
from masterdata.services import bom_upsert
from tests.factories import (
    ItemFactory,
    ItemPlantFactory,
    PlantFactory,
    SourcingRuleFactory,
    SupplierFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    UnitFactory(code="EA")
    p100, p200 = PlantFactory(code="P100"), PlantFactory(code="P200")
    for n in range(30):
        item = ItemFactory(code=f"BRK-{n:04d}", item_type="buy" if n % 2 else "make")
        ItemPlantFactory(item=item, plant=p100)
        if n < 5:
            ItemPlantFactory(item=item, plant=p200)
        SourcingRuleFactory(item=item, plant=p100, supplier=SupplierFactory(code=f"SUP-{n % 3}"))
    return p100, p200


def test_item_list_pages_with_a_cursor(partner_client, catalogue):
    first = partner_client.get("/api/v1/items/", {"page_size": 20}).json()
    second = partner_client.get(first["next"]).json()

    codes = [i["code"] for i in first["results"]] + [i["code"] for i in second["results"]]
    assert len(first["results"]) == 20 and len(second["results"]) == 10
    assert len(set(codes)) == 30
    assert second["next"] is None


def test_item_filters_by_plant_type_and_updated_since(partner_client, catalogue):
    at_p200 = partner_client.get("/api/v1/items/", {"plant": "P200"}).json()["results"]
    assert {i["code"] for i in at_p200} == {f"BRK-{n:04d}" for n in range(5)}

    buys = partner_client.get("/api/v1/items/", {"item_type": "buy"}).json()["results"]
    assert len(buys) == 15

    later = (timezone.now() + timedelta(minutes=1)).isoformat()
    assert partner_client.get("/api/v1/items/", {"updated_since": later}).json()["results"] == []


def test_item_detail_by_code_with_plant_parameters(partner_client, catalogue):
    body = partner_client.get("/api/v1/items/BRK-0001/").json()
    assert body["code"] == "BRK-0001"
    assert {p["plant"] for p in body["plants"]} == {"P100", "P200"}
    assert partner_client.get("/api/v1/items/NOPE/").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/items/",
        "/api/v1/suppliers/",
        "/api/v1/sourcing-rules/",
        "/api/v1/item-plants/",
        "/api/v1/plants/",
        "/api/v1/boms/",
    ],
)
def test_list_endpoints_keep_their_query_count_flat(
    partner_client, catalogue, path, django_assert_max_num_queries
):
    bom_upsert(
        parent="BRK-0000",
        plant="P100",
        revision="A",
        components=[{"item": "BRK-0001", "quantity": Decimal("2")}],
    )
    # authentication (key lookup, last-used stamp) + count-free cursor page + prefetches
    with django_assert_max_num_queries(7):
        response = partner_client.get(path, {"page_size": 100})
    assert response.status_code == 200
    assert response.json()["results"]


def test_filters_for_suppliers_and_sourcing(partner_client, catalogue):
    rules = partner_client.get(
        "/api/v1/sourcing-rules/", {"supplier": "SUP-1", "plant": "P100"}
    ).json()["results"]
    assert len(rules) == 10
    assert all(r["supplier"] == "SUP-1" for r in rules)
    approved = partner_client.get("/api/v1/suppliers/", {"status": "approved"}).json()["results"]
    assert {s["code"] for s in approved} == {"SUP-0", "SUP-1", "SUP-2"}


def test_item_upsert_creates_then_changes(partner_client, catalogue):
    payload = {
        "code": "BRK-9000",
        "description": "Caliper",
        "base_uom": "EA",
        "item_type": "buy",
        "plants": [
            {
                "plant": "P100",
                "lead_time_days": 12,
                "safety_stock": "40",
                "lot_size_rule": "fixed",
                "lot_size_quantity": "500",
            }
        ],
    }
    created = partner_client.post("/api/v1/items/", payload, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["plants"][0]["lot_size_quantity"] == "500.000000"

    payload["description"] = "Caliper, rear"
    changed = partner_client.post("/api/v1/items/", payload, format="json")
    assert changed.status_code == 200
    assert Item.objects.get(code="BRK-9000").description == "Caliper, rear"
    assert ItemPlant.objects.filter(item__code="BRK-9000").count() == 1


def test_bad_input_names_field_and_value(partner_client, catalogue):
    response = partner_client.post(
        "/api/v1/items/",
        {
            "code": "BRK-9001",
            "base_uom": "EA",
            "item_type": "rent",
            "plants": [{"plant": "P100", "lead_time_days": "soon"}],
        },
        format="json",
    )

    assert response.status_code == 400
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert errors["item_type"]["value"] == "rent"
    assert errors["plants.0.lead_time_days"]["value"] == "soon"
    assert not Item.objects.filter(code="BRK-9001").exists()


def test_unknown_codes_are_named(partner_client, catalogue):
    response = partner_client.post(
        "/api/v1/items/",
        {"code": "BRK-9002", "base_uom": "EA", "item_type": "buy", "plants": [{"plant": "P999"}]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "plants[0].plant", "value": "P999"}]
    assert "Unknown plant 'P999'" in response.json()["detail"]
    assert not Item.objects.filter(code="BRK-9002").exists()


def test_a_fixed_lot_size_without_quantity_is_refused(partner_client, catalogue):
    response = partner_client.post(
        "/api/v1/items/",
        {
            "code": "BRK-9003",
            "base_uom": "EA",
            "item_type": "buy",
            "plants": [{"plant": "P100", "lot_size_rule": "fixed"}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "plants[0].lot_size_quantity"


def test_bom_cycle_through_the_api_is_a_400_naming_the_path(partner_client, catalogue):
    ok = partner_client.post(
        "/api/v1/boms/",
        {
            "parent": "BRK-0000",
            "plant": "P100",
            "revision": "A",
            "components": [{"item": "BRK-0001", "quantity": "2"}],
        },
        format="json",
    )
    assert ok.status_code == 201
    cycle = partner_client.post(
        "/api/v1/boms/",
        {
            "parent": "BRK-0001",
            "plant": "P100",
            "revision": "A",
            "components": [{"item": "BRK-0000", "quantity": "1"}],
        },
        format="json",
    )
    assert cycle.status_code == 400
    assert "BRK-0001 → BRK-0000 → BRK-0001" in cycle.json()["detail"]


def test_malformed_json_is_a_400(partner_client):
    response = partner_client.post("/api/v1/items/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]
