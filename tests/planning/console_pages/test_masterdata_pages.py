"""Master data browsing: item search, where-used, the BOM tree level by level, sourcing,
supplier scorecards and the history of an object as a field-by-field diff."""

import pytest

from integrations.history import acting_as
from masterdata.models import Item, SourcingRule
from tests.planning.console_pages.conftest import refused_names
from tests.planning.mrp_fixtures import bike_plant

pytestmark = pytest.mark.django_db


@pytest.fixture
def bike(db):
    return bike_plant()


def test_item_search(planner_client, bike):
    page = planner_client.get("/console/masterdata/items/", {"q": "whe"})
    assert [item.code for item in page.context["page"]] == ["WHEEL"]
    assert refused_names(
        planner_client.get("/console/masterdata/items/", {"type": "rent"}), "type", "rent"
    )


def test_item_detail_where_used_bom_and_sourcing(planner_client, bike):
    wheel = planner_client.get(f"/console/masterdata/items/{bike.wheel.pk}/").content.decode()
    assert "BIKE" in wheel  # where used
    assert "RIMS" in wheel  # sourcing
    parent = planner_client.get(f"/console/masterdata/items/{bike.bike.pk}/").content.decode()
    assert "WHEEL" in parent and "rev A" in parent


def test_bom_children_open_one_level(planner_client, bike):
    level = planner_client.get(
        f"/console/masterdata/bom/{bike.bike.pk}/children/", HTTP_HX_REQUEST="true"
    )
    assert level.status_code == 200 and "WHEEL" in level.content.decode()
    same_plant = planner_client.get(
        f"/console/masterdata/bom/{bike.bike.pk}/children/",
        {"plant": "P100"},
        HTTP_HX_REQUEST="true",
    )
    assert "WHEEL" in same_plant.content.decode()
    other = planner_client.get(
        f"/console/masterdata/bom/{bike.bike.pk}/children/", {"plant": "P9"}, HTTP_HX_REQUEST="true"
    )
    assert other.status_code == 400 and "P9" in other.content.decode()
    same_plant = planner_client.get(
        f"/console/masterdata/bom/{bike.bike.pk}/children/",
        {"plant": "P100"},
        HTTP_HX_REQUEST="true",
    )
    assert "WHEEL" in same_plant.content.decode()
    other = planner_client.get(
        f"/console/masterdata/bom/{bike.bike.pk}/children/", {"plant": "P9"}, HTTP_HX_REQUEST="true"
    )
    assert other.status_code == 400 and "P9" in other.content.decode()


def test_supplier_scorecard(planner_client, po):
    page = planner_client.get(f"/console/masterdata/suppliers/{po.supplier.pk}/")
    assert page.status_code == 200
    assert page.context["open_count"] == 1 and page.context["awaiting"] == 2
    listing = planner_client.get("/console/masterdata/suppliers/", {"q": "S00"})
    assert [s.code for s in listing.context["page"]] == ["S001"]


def test_history_as_a_readable_diff(planner_client, bike, planner):
    rule = SourcingRule.objects.get(item=bike.wheel)
    with acting_as(user=planner):
        rule.lead_time_days = 21
        rule.save()
        item = Item.objects.get(pk=bike.wheel.pk)
        item.item_type = Item.ItemType.MAKE
        item.save()
    page = planner_client.get(f"/console/masterdata/history/sourcingrule/{rule.pk}/")
    latest = page.context["page"][0]
    assert latest["type"] == "Changed"
    assert {"field": "lead time days", "old": "14", "new": "21"} in latest["changes"]
    item_page = planner_client.get(f"/console/masterdata/history/item/{bike.wheel.pk}/")
    assert {"field": "item type", "old": "Buy", "new": "Make"} in item_page.context["page"][0][
        "changes"
    ]


def test_history_refuses_unknown_models_and_objects(planner_client, bike):
    assert refused_names(planner_client.get("/console/masterdata/history/user/1/"), "model", "user")
    assert refused_names(
        planner_client.get("/console/masterdata/history/item/999999/"), "pk", "999999"
    )
