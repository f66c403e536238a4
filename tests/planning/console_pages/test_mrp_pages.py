"""MRP pages: runs with progress, the grid of an item with its planned orders, advice and pegging."""

import pytest

from planning.models import MrpMessage, MrpRun, PlannedOrder
from planning.runs import mrp_run_full
from procurement.models import PurchaseOrderLine
from tests.factories import PlannerFactory
from tests.planning.console_pages.conftest import refused_names, signed_in
from tests.planning.mrp_fixtures import bike_plant, order, week
from tests.procurement.factories import issued_po

pytestmark = pytest.mark.django_db(transaction=True)

GRID = "/console/planning/grid/"


@pytest.fixture
def planned():
    plant = bike_plant(wheel_on_hand="0")
    po = issued_po(
        plant.supplier,
        lines=[
            {"line": 10, "item": "WHEEL", "quantity": "20", "uom": "EA", "requested_date": week(6)}
        ],
    )
    order("SO-1", plant.bike, plant.plant, "10", week(4))
    order("SO-2", plant.bike, plant.plant, "5", week(8))
    mrp_run_full(plant=plant.plant)
    return plant, po


@pytest.fixture
def client_():
    return signed_in(PlannerFactory(username="grid-planner"))


def test_the_grid_shows_the_textbook_record(client_, planned):
    page = client_.get(GRID, {"item": "WHEEL", "plant": "P100"})
    assert page.status_code == 200
    text = page.content.decode()
    for row in (
        "Gross requirements",
        "Scheduled receipts",
        "Projected on hand",
        "Net requirements",
        "Planned receipts",
        "Planned releases",
    ):
        assert row in text
    gross = page.context["grid_rows"][0]["cells"]
    assert sum(gross) == 30.0  # 2 wheels per bike, 15 bikes
    assert "data-chart-url" in text  # the projected-inventory include


def test_the_chart_data_has_projected_stock_receipts_and_safety_stock(client_, planned):
    data = client_.get("/console/planning/chart/", {"item": "WHEEL", "plant": "P100"}).json()
    assert len(data["labels"]) == len(data["projected"]) == len(data["receipts"])
    assert "safety_stock" in data
    assert refused_names(
        client_.get("/console/planning/chart/", {"item": "NOPE", "plant": "P100"}), "item", "NOPE"
    )


def test_the_grid_refuses_unknown_item_or_plant(client_, planned):
    assert refused_names(client_.get(GRID, {"item": "NOPE", "plant": "P100"}), "item", "NOPE")
    assert refused_names(client_.get(GRID, {"item": "WHEEL", "plant": "P9"}), "plant", "P9")
    assert refused_names(
        client_.get(
            GRID, {"item": "WHEEL", "plant": "P100", "supply_kind": "magic", "supply_ref": "x"}
        ),
        "supply_kind",
        "magic",
    )


def test_firm_a_planned_order_from_the_grid(client_, planned):
    wheel_order = PlannedOrder.objects.filter(item__code="BIKE", status="planned").first()
    response = client_.post(f"/console/planning/planned-orders/{wheel_order.pk}/firm/")
    assert response.status_code == 302
    wheel_order.refresh_from_db()
    assert wheel_order.status != PlannedOrder.Status.PLANNED
    again = client_.post(f"/console/planning/planned-orders/{wheel_order.pk}/firm/")
    assert again.status_code in (400, 409)


def test_send_a_change_request_for_advice_on_a_po_line(client_, planned):
    _, po = planned
    advice = MrpMessage.objects.get(kind="reschedule_in")
    response = client_.post(f"/console/planning/mrp-messages/{advice.pk}/change-request/")
    assert response.status_code == 302
    assert PurchaseOrderLine.objects.get(po=po).requested_date == week(3)


def test_advice_without_a_po_line_is_refused(client_, planned):
    plant, _ = planned
    advice = MrpMessage.objects.create(
        plant=plant.plant,
        item=plant.wheel,
        kind=MrpMessage.Kind.SHORTAGE,
        date=week(2),
        quantity=5,
        reason="test shortage",
    )
    response = client_.post(f"/console/planning/mrp-messages/{advice.pk}/change-request/")
    assert refused_names(response, "message", advice.pk)


def test_pegging_lists_the_customer_orders_a_supply_serves(client_, planned):
    bike_order = PlannedOrder.objects.filter(item__code="BIKE").order_by("due_date").first()
    page = client_.get(
        GRID,
        {
            "item": "BIKE",
            "plant": "P100",
            "supply_kind": "planned_order",
            "supply_ref": bike_order.number,
        },
    )
    assert page.status_code == 200
    refs = {demand.ref for demand in page.context["pegging"]}
    assert any(ref.startswith("SO-1") for ref in refs)
    assert "Customer order" in page.content.decode()


def test_runs_list_row_and_request(client_, planned):
    page = client_.get("/console/planning/runs/", {"plant": "P100", "status": "succeeded"})
    assert page.status_code == 200 and page.context["page"].paginator.count >= 1
    run = MrpRun.objects.latest("id")
    row = client_.get(f"/console/planning/runs/{run.pk}/row/")
    assert row.status_code == 200 and f'id="run-{run.pk}"' in row.content.decode()
    before = MrpRun.objects.count()
    assert client_.post("/console/planning/runs/request/", {"plant": "P100"}).status_code == 302
    assert MrpRun.objects.count() == before + 1
    assert refused_names(
        client_.post("/console/planning/runs/request/", {"plant": "X"}), "plant", "X"
    )
    assert refused_names(client_.get("/console/planning/runs/", {"status": "x"}), "status", "x")


def test_a_running_run_polls_its_row_and_a_finished_one_does_not(client_, planned):
    plant, _ = planned
    running = MrpRun.objects.create(
        plant=plant.plant,
        mode="full",
        status="running",
        phase="plan",
        progress_done=3,
        progress_total=10,
    )
    row = client_.get(f"/console/planning/runs/{running.pk}/row/").content.decode()
    assert 'hx-trigger="every 2s"' in row and "3/10" in row
    done = MrpRun.objects.filter(status="succeeded").first()
    assert (
        "hx-trigger" not in client_.get(f"/console/planning/runs/{done.pk}/row/").content.decode()
    )
