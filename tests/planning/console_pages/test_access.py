"""Every console page beside the workbench: planners and buyers in, supplier users (own or
foreign) 403, anonymous to the login — for reads and for every action."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PAGES = [
    "/console/planning/forecasts/",
    "/console/planning/runs/",
    "/console/planning/grid/",
    "/console/stale/",
    "/console/monitor/",
    "/console/monitor/trace/?correlation_id=x",
    "/console/kpis/",
    "/console/masterdata/items/",
    "/console/masterdata/suppliers/",
]
ACTIONS = [
    "/console/planning/forecasts/upload/",
    "/console/planning/forecasts/1/submit/",
    "/console/planning/runs/request/",
    "/console/planning/planned-orders/1/firm/",
    "/console/planning/mrp-messages/1/change-request/",
    "/console/stale/remind/",
    "/console/stale/po/1/note/",
    "/console/monitor/replay/",
    "/console/monitor/inbound/1/replay/",
    "/console/monitor/outbound/1/replay/",
]


@pytest.mark.parametrize("url", PAGES)
def test_pages_for_planners_and_buyers(planner_client, buyer_client, url):
    assert planner_client.get(url).status_code == 200
    assert buyer_client.get(url).status_code == 200


@pytest.mark.parametrize("url", PAGES)
def test_pages_refused_to_supplier_users_and_anonymous(supplier_client, foreign_client, url):
    assert supplier_client.get(url).status_code == 403
    assert foreign_client.get(url).status_code == 403
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")


@pytest.mark.parametrize("url", ACTIONS)
def test_actions_refused_to_supplier_users_and_anonymous(supplier_client, foreign_client, url):
    assert supplier_client.post(url).status_code == 403
    assert foreign_client.post(url).status_code == 403
    assert Client().post(url).status_code == 302


def test_the_nav_lists_the_new_pages(planner_client):
    text = planner_client.get("/console/kpis/").content.decode()
    for label in (
        "Forecasts",
        "MRP runs",
        "MRP grid",
        "Stale acks",
        "Integration",
        "KPIs",
        "Master data",
    ):
        assert label in text
