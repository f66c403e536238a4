"""The execution API: balances, ledger, work orders and mismatches, filtered, in few queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from execution.reconciliation import inventory_snapshot_reconcile
from execution.services import inventory_adjust, production_complete, work_order_upsert
from tests.execution.conftest import key_for
from tests.factories import ExternalSystemFactory, ItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stock(shop):
    """Twelve parts in both plants, two work orders, one mismatch."""
    for n in range(12):
        ItemFactory(code=f"PART-{n:02d}")
        for plant in ("P100", "P200"):
            inventory_adjust(
                transaction_id=f"open-{plant}-{n}",
                plant=plant,
                item=f"PART-{n:02d}",
                quantity=Decimal(10 + n),
                uom="EA",
            )
    due = timezone.localdate()
    work_order_upsert(number="WO-1", item="BIKE", plant="P100", quantity=10, uom="EA", due_date=due)
    work_order_upsert(number="WO-2", item="BIKE", plant="P200", quantity=5, uom="EA", due_date=due)
    production_complete(transaction_id="K-1", work_order="WO-2", quantity=5, uom="EA")
    inventory_snapshot_reconcile(
        plant="P100",
        as_of=timezone.now(),
        balances=[{"item": "PART-03", "on_hand": Decimal("1"), "uom": "EA"}],
        source="WMS-1",
    )
    return shop


def results(client, url, params=None):
    response = client.get(url, params or {})
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def test_balances_list_with_item_and_plant_filters(
    partner_client, stock, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        everything = results(partner_client, "/api/v1/inventory/balances/", {"page_size": 100})
    assert len(everything) == 25  # 24 parts and the completed bikes

    rows = results(
        partner_client, "/api/v1/inventory/balances/", {"item": "PART-03", "plant": "P200"}
    )
    assert rows == [
        {
            "id": rows[0]["id"],
            "item": "PART-03",
            "plant": "P200",
            "uom": "EA",
            "on_hand": "13.000000",
            "on_hold": "0.000000",
            "available": "13.000000",
            "updated_at": rows[0]["updated_at"],
        }
    ]


def test_balances_changed_since(partner_client, stock):
    later = (timezone.now() + timedelta(minutes=1)).isoformat()
    assert results(partner_client, "/api/v1/inventory/balances/", {"since": later}) == []
    earlier = (timezone.now() - timedelta(minutes=5)).isoformat()
    assert len(results(partner_client, "/api/v1/inventory/balances/", {"since": earlier})) == 25


def test_transactions_filter_by_kind_plant_and_work_order(
    partner_client, stock, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        rows = results(partner_client, "/api/v1/inventory/transactions/", {"page_size": 200})
    assert len(rows) == 25

    completions = results(partner_client, "/api/v1/inventory/transactions/", {"kind": "completion"})
    assert [(r["item"], r["quantity"], r["work_order"]) for r in completions] == [
        ("BIKE", "5.000000", "WO-2")
    ]
    by_order = results(partner_client, "/api/v1/inventory/transactions/", {"work_order": "WO-2"})
    assert len(by_order) == 1
    at_p200 = results(
        partner_client, "/api/v1/inventory/transactions/", {"plant": "P200", "item": "PART-01"}
    )
    assert [r["quantity"] for r in at_p200] == ["11.000000"]


def test_work_orders_filter_by_status_and_open(
    partner_client, stock, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        rows = results(partner_client, "/api/v1/work-orders/")
    assert {r["number"]: r["open_quantity"] for r in rows} == {
        "WO-1": "10.000000",
        "WO-2": "0.000000",
    }
    done = results(partner_client, "/api/v1/work-orders/", {"status": "completed"})
    assert [r["number"] for r in done] == ["WO-2"]
    still_open = results(partner_client, "/api/v1/work-orders/", {"open": "true", "plant": "P100"})
    assert [r["number"] for r in still_open] == ["WO-1"]
    detail = partner_client.get("/api/v1/work-orders/WO-2/").json()
    assert (detail["item"], detail["status"], detail["completed_quantity"]) == (
        "BIKE",
        "completed",
        "5.000000",
    )


def test_mismatches_filter_by_status_and_source(
    partner_client, stock, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        rows = results(partner_client, "/api/v1/inventory/mismatches/", {"status": "open"})
    assert [
        (r["item"], r["weft_on_hand"], r["external_on_hand"], r["difference"]) for r in rows
    ] == [("PART-03", "13.000000", "1.000000", "-12.000000")]
    assert results(partner_client, "/api/v1/inventory/mismatches/", {"status": "closed"}) == []
    assert len(results(partner_client, "/api/v1/inventory/mismatches/", {"source": "WMS-1"})) == 1


def test_query_count_does_not_grow_with_the_page(
    partner_client, stock, django_assert_max_num_queries
):
    for n in range(40):
        inventory_adjust(
            transaction_id=f"more-{n}", plant="P100", item="PART-00", quantity=1, uom="EA"
        )
    with django_assert_max_num_queries(4):
        rows = results(partner_client, "/api/v1/inventory/transactions/", {"page_size": 500})
    assert len(rows) == 65


def test_a_key_without_the_execution_scope_is_refused(api_client, stock):
    api_client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {key_for(ExternalSystemFactory(), 'masterdata:read')}"
    )

    for url in (
        "/api/v1/inventory/balances/",
        "/api/v1/inventory/transactions/",
        "/api/v1/work-orders/",
        "/api/v1/inventory/mismatches/",
    ):
        response = api_client.get(url)
        assert response.status_code == 403
        assert "execution:read" in response.json()["detail"]


def test_a_planner_reads_it_too(api_client, planner, stock):
    api_client.force_authenticate(planner)

    assert api_client.get("/api/v1/inventory/balances/").status_code == 200


def test_anonymous_callers_are_refused():
    assert APIClient().get("/api/v1/inventory/balances/").status_code == 401
