"""A planner triages an MRP exception in a real browser: a supplier's late confirmation leaves a
customer order short. She opens it, reads which customer order the PO line serves (pegging),
sends an expedite change request, and the supplier's answer in the portal closes it by itself
(the replan no longer advises it)."""

import pytest
from playwright.sync_api import Page, expect

from planning.models import PlanningException
from planning.runs import mrp_run_full
from procurement import services
from tests.factories import PlannerFactory, SupplierUserFactory
from tests.planning.mrp_fixtures import bike_plant, order, week
from tests.procurement.factories import issued_po

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "correct horse battery"
LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture
def late_wheels():
    """Bikes for customer order SO-1 in week 4 need 20 wheels in week 3; the PO asked for week 4
    and Rims confirmed week 6."""
    plant = bike_plant(wheel_on_hand="0")
    planner = PlannerFactory(username="paula")
    rita = SupplierUserFactory(username="rita", supplier=plant.supplier)
    order("SO-1", plant.bike, plant.plant, "10", week(4))
    po = issued_po(
        plant.supplier,
        lines=[
            {"line": 10, "item": "WHEEL", "quantity": "20", "uom": "EA", "requested_date": week(4)}
        ],
    )
    # Rims answers twelve days late; the buyer accepts it, so the late date is the confirmation.
    answer = services.purchase_order_acknowledge(
        po=po,
        revision=po.revision,
        lines=[
            {
                "line": 10,
                "status": "changed",
                "confirmed_date": week(6),
                "reason_code": "capacity",
                "reason": "Rim line booked",
            }
        ],
        acting_user=rita,
    )
    for proposal in answer.proposed:
        services.proposal_accept(proposal=proposal, acting_user=planner)
    mrp_run_full(plant=plant.plant)
    return po


def sign_in(page: Page, base: str, username: str, next_path: str) -> None:
    page.goto(f"{base}/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}{next_path}")


def test_planner_expedites_a_late_confirmation_and_the_suppliers_answer_closes_it(
    page: Page, browser, live_server, late_wheels
):
    po = late_wheels
    late = PlanningException.objects.get(kind="late_confirmation")
    assert late.closed_at is None

    # the planner opens it from the kind tile and reads whom the line serves
    page.set_viewport_size(LAPTOP)
    sign_in(page, live_server.url, "paula", "/console/")
    page.locator(".weft-kind-tile", has_text="Late confirmation").click()
    rows = page.locator("#exception-rows tr.weft-exc-row")
    expect(rows).to_have_count(1)
    rows.first.locator(".weft-exc-link").click()
    panel = page.locator("#exception-panel")
    expect(panel).to_contain_text("Demand it serves")
    expect(panel).to_contain_text("Customer order SO-1/1")
    page.screenshot(path="/tmp/console-mrp-late-laptop.png")

    # an expedite change request back to the week the bikes need the wheels
    panel.locator("select[name=priority]").select_option("expedite")
    panel.locator("input[name=requested_date]").fill(week(3).isoformat())
    panel.locator("input[name=reason]").last.fill("Bikes for Velo AG ship in week 4")
    panel.locator(".weft-send-change").click()
    expect(page.locator("#console-alerts")).to_contain_text("change request sent to RIMS")

    # Rims accepts the new revision in the portal
    supplier_context = browser.new_context(viewport=LAPTOP)
    supplier_page = supplier_context.new_page()
    sign_in(supplier_page, live_server.url, "rita", f"/portal/orders/{po.number}/")
    line_10 = supplier_page.locator("#line-10")
    line_10.locator("label", has_text="Accept").click()
    line_10.locator("button[type=submit]").click()
    expect(supplier_page.locator("#line-10")).to_contain_text("Accepted")
    supplier_context.close()

    # the confirmation replanned the wheels: the advice is gone, and so is the exception
    late.refresh_from_db()
    assert late.closed_at is not None
    assert late.close_reason.startswith("auto-closed: MRP run")
    page.goto(f"{live_server.url}/console/exceptions/{late.pk}/")
    expect(page.locator("#exception-panel")).to_contain_text("Auto-closed")
