"""The console's actions answer in place under htmx, in a real browser: a planner reminds a
supplier of overdue lines and logs a call without leaving the stale-acknowledgement page, and
takes a forecast version from draft to active on its page."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from planning.models import ForecastVersion
from planning.services.forecasts import forecast_upload
from procurement.models import PurchaseOrderLine
from tests.factories import PlannerFactory
from tests.planning.forecast_support import MONDAY, world
from tests.procurement.conftest import acme  # noqa: F401
from tests.procurement.factories import issued_po

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "correct horse battery"
LAPTOP = {"width": 1366, "height": 768}


def sign_in(page: Page, base: str, next_path: str) -> None:
    page.set_viewport_size(LAPTOP)
    page.goto(f"{base}/login/?next={next_path}")
    page.fill("#id_username", "paula")
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}{next_path}")
    # A mark that a full page load would wipe: the answers below must come without one.
    page.evaluate("window.weftStayed = true")


def stayed(page: Page) -> bool:
    return page.evaluate("window.weftStayed === true")


def test_remind_and_call_log_answer_in_place(page: Page, live_server, acme):  # noqa: F811
    PlannerFactory(username="paula")
    po = issued_po(acme)
    PurchaseOrderLine.objects.filter(po=po).update(ack_due_at=timezone.now() - timedelta(hours=5))
    sign_in(page, live_server.url, "/console/stale/")
    card = page.locator(f"#stale-supplier-{acme.pk}")
    reminders = card.locator("tbody tr td:nth-child(7)")
    expect(reminders).to_have_text(["0", "0"])

    card.get_by_role("button", name="Remind S001").click()
    expect(page.locator("#console-alerts")).to_contain_text("Reminder queued to S001 for 2 line(s)")
    expect(reminders).to_have_text(["1", "1"])
    expect(page.locator("#stale-tiles")).to_contain_text(re.compile(r"Never reminded\s*0"))
    assert [line.reminders_sent for line in po.lines.all()] == [1, 1]

    card.locator("details summary").first.click()
    card.locator("input[name=note]").first.fill("Anna: answer by noon")
    card.get_by_role("button", name="Add").first.click()
    expect(page.locator("#console-alerts")).to_contain_text(f"Call note added to {po.number}")
    expect(card.locator("details[open]").first).to_contain_text("Anna: answer by noon")
    assert stayed(page) and page.url.endswith("/console/stale/")


def test_a_forecast_goes_from_draft_to_active_in_place(page: Page, live_server):
    planner = PlannerFactory(username="paula")
    plants = world()
    version = forecast_upload(
        plan="DP",
        plant=plants["P100"],
        version="1",
        bucket="week",
        rows=[{"item": "BIKE", "period_start": MONDAY.isoformat(), "quantity": "10"}],
        acting_user=planner,
    )
    sign_in(page, live_server.url, f"/console/planning/forecasts/{version.pk}/")
    status = page.locator("#forecast-status")
    expect(status).to_have_text("Draft")
    for button, now in (("Submit", "Submitted"), ("Approve", "Approved"), ("Activate", "Active")):
        page.locator("#forecast-actions").get_by_role("button", name=button).click()
        expect(status).to_have_text(now)
    expect(page.locator("#forecast-actions button")).to_have_count(0)
    expect(page.locator("#forecast-facts")).not_to_contain_text(re.compile(r"Active since\s*—"))
    expect(page.locator("#forecast-facts")).to_contain_text(re.compile(r"Active since\s*20\d\d-"))
    page.screenshot(path="/tmp/console-forecast-active-laptop.png")
    assert stayed(page)
    version.refresh_from_db()
    assert version.status == ForecastVersion.Status.ACTIVE
