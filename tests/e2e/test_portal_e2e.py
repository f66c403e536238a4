"""A supplier answers a PO in the portal in a real browser, and a buyer decides its proposal."""

import re

import pytest
from playwright.sync_api import Page, expect

from procurement import services
from procurement.models import SupplierProposal
from tests.factories import PlannerFactory, PlantFactory, SupplierUserFactory
from tests.procurement.factories import in_days, issued_po, line_of, supplier_with_system

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "correct horse battery"
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def acme_po():
    PlantFactory(code="P100", name="Lyon assembly")
    acme = supplier_with_system("S001", "ACME", name="Acme Brakes", ack_sla_hours=48)
    # A few more orders, so the list and the tiles look like a working day.
    for _ in range(3):
        issued_po(acme)
    user = SupplierUserFactory(username="anna", first_name="Anna", last_name="Berg", supplier=acme)
    return issued_po(acme), user


def sign_in(page: Page, base: str, username: str, next_path: str) -> None:
    page.goto(f"{base}/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}{next_path}")


def screenshots(page: Page, name: str) -> None:
    for label, size in (("laptop", LAPTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=f"/tmp/portal-{name}-{label}.png", full_page=True)
    page.set_viewport_size(LAPTOP)


def test_supplier_accepts_a_line_and_proposes_a_later_date(page: Page, live_server, acme_po):
    po, _ = acme_po
    page.set_viewport_size(LAPTOP)
    sign_in(page, live_server.url, "anna", "/portal/")
    expect(page.locator("#tile-awaiting .weft-tile-count")).to_have_text("4")
    screenshots(page, "home")

    page.goto(f"{live_server.url}/portal/orders/")
    page.locator("#po-search").press_sequentially(po.number)
    expect(page.locator("#order-table tbody tr")).to_have_count(1)
    page.select_option("#po-sort", "number")
    expect(page).to_have_url(re.compile(rf".*q={po.number}.*sort=number"))
    expect(page.locator("#order-table tbody tr")).to_have_count(1)
    screenshots(page, "list")
    page.click(f"text={po.number}")
    page.wait_for_url(re.compile(rf".*/portal/orders/{po.number}/$"))
    status = page.locator("#po-status")
    expect(status).to_contain_text("awaiting your answer")
    screenshots(page, "detail-before")

    line_10 = page.locator("#line-10")
    line_10.locator("label", has_text="Accept").click()
    line_10.locator("button[type=submit]").click()
    expect(page.locator("#line-10")).to_contain_text("Accepted")
    expect(page.locator("#awaiting-count")).to_contain_text("1 awaiting")

    # A date in the past is named next to the field, and nothing is recorded.
    line_20 = page.locator("#line-20")
    line_20.locator("label", has_text="Propose change").click()
    line_20.locator("input[name=confirmed_date]").fill(in_days(-2).isoformat())
    line_20.locator("button[type=submit]").click()
    expect(page.locator("#line-20-confirmed_date-error")).to_contain_text("in the past")

    line_20 = page.locator("#line-20")
    line_20.locator("label", has_text="Propose change").click()
    line_20.locator("input[name=confirmed_date]").fill(in_days(45).isoformat())
    line_20.locator("select[name=reason_code]").select_option("capacity")
    line_20.locator("input[name=reason]").fill("Press line <B> is full until next month")
    line_20.locator("button[type=submit]").click()
    expect(page.locator("#line-20")).to_contain_text("Awaiting buyer")
    expect(page.locator("#line-20")).to_contain_text("Press line <B> is full until next month")
    expect(status).to_contain_text("awaiting buyer")
    expect(status).not_to_contain_text("awaiting your answer")
    screenshots(page, "detail-after")

    page.goto(f"{live_server.url}/portal/orders/{po.number}/ship/")
    screenshots(page, "ship")

    proposal = SupplierProposal.objects.get(po_line=line_of(po, 20))
    assert proposal.status == SupplierProposal.Status.PENDING
    assert line_of(po, 10).ack_status == "accepted"


def test_buyer_accepts_the_proposal_and_the_supplier_sees_it(
    page: Page, browser, live_server, acme_po
):
    po, supplier_user = acme_po
    services.purchase_order_acknowledge(
        po=po,
        revision=po.revision,
        lines=[
            {"line": 10, "status": "accepted"},
            {
                "line": 20,
                "status": "changed",
                "confirmed_date": in_days(45),
                "reason_code": "capacity",
                "reason": "Press line full",
            },
        ],
        acting_user=supplier_user,
    )
    proposal = SupplierProposal.objects.get(po_line=line_of(po, 20))
    PlannerFactory(username="bruno", groups=["buyers"])

    # The buyer signs in and accepts through the API with the session and its CSRF token.
    sign_in(page, live_server.url, "bruno", "/")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        f"{live_server.url}/api/v1/proposals/{proposal.pk}/accept/",
        headers={"X-CSRFToken": token, "Referer": f"{live_server.url}/"},
    )
    assert response.status == 200, response.text()

    supplier = browser.new_context(viewport=LAPTOP)
    supplier_page = supplier.new_page()
    sign_in(supplier_page, live_server.url, "anna", f"/portal/orders/{po.number}/")
    line_20 = supplier_page.locator("#line-20")
    expect(line_20).to_contain_text("Accepted with changes")
    expect(line_20).to_contain_text("Buyer accepted the proposal")
    expect(supplier_page.locator("#po-status")).to_contain_text("Acknowledged")
    screenshots(supplier_page, "detail-accepted")
    supplier.close()
