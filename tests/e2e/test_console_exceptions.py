"""A planner works the exception workbench in a real browser: a supplier proposal beyond tolerance
answered with an expedite change request that the supplier confirms in the portal (the exception
closes by itself), a bulk snooze by keyboard, and the replay of a dead message."""

import json
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from execution.models import InventoryMismatch
from integrations.models import InboundMessage
from masterdata.models import Item
from planning.exceptions.tasks import sweep_exceptions
from planning.models import PlanningException
from procurement import services
from tests.factories import (
    ExternalSystemFactory,
    PlannerFactory,
    PlantFactory,
    SourcingRuleFactory,
    SupplierUserFactory,
)
from tests.planning.console.conftest import make_exception
from tests.procurement.factories import in_days, issued_po, line_of, supplier_with_system

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "correct horse battery"
LAPTOP = {"width": 1366, "height": 768}
WIDE = {"width": 1920, "height": 1080}


@pytest.fixture
def workday():
    """A planner, two suppliers, a proposal beyond tolerance, a dead message and a day's other exceptions."""
    planner = PlannerFactory(username="paula", first_name="Paula", last_name="Meyer")
    plant = PlantFactory(code="P100", name="Lyon assembly")
    acme = supplier_with_system("S001", "ACME", name="Acme Brakes", ack_sla_hours=48)
    baltic = supplier_with_system("S002", "BALTIC", name="Baltic Castings", ack_sla_hours=24)
    SupplierUserFactory(username="anna", first_name="Anna", last_name="Berg", supplier=acme)
    po = issued_po(acme)
    Item.objects.filter(code__in=["BRK-1001", "PAD-2002"]).update(planner=planner)
    item = line_of(po, 10).item
    item.description = "Brake caliper, front left"
    item.save()
    SourcingRuleFactory(
        item=item,
        supplier=baltic,
        plant=plant,
        lead_time_days=12,
        unit_price=Decimal("3.45"),
        priority=2,
    )
    services.purchase_order_acknowledge(
        po=po,
        revision=0,
        lines=[
            {
                "line": 10,
                "status": "changed",
                "confirmed_date": in_days(29),
                "reason_code": "capacity",
                "reason": "Furnace down for relining",
            },
            {"line": 20, "status": "accepted"},
        ],
        acting_system=acme.external_system,
    )
    envelope = {
        "type": "weather.report",
        "version": 1,
        "id": "m-77",
        "source": "ERP-EU",
        "data": {},
    }
    InboundMessage.objects.create(
        system=ExternalSystemFactory(code="ERP-EU", name="ERP Europe"),
        idempotency_key="m-77",
        message_type="weather.report",
        correlation_id="c-77",
        body=json.dumps(envelope),
        body_sha256="0" * 64,
        envelope=envelope,
        status=InboundMessage.Status.DEAD,
        reason="Gave up after 5 attempts to apply it.",
        attempts=5,
    )
    InventoryMismatch.objects.create(
        item=item,
        plant=plant,
        source="WMS-LYON",
        as_of=timezone.now(),
        weft_on_hand=Decimal("120"),
        external_on_hand=Decimal("96"),
    )
    for n in range(24):
        kind = ["shortage", "reschedule_in", "reschedule_out", "expedite", "cancel", "past_due"][
            n % 6
        ]
        make_exception(
            kind=kind,
            severity=1 + n % 4,
            item=item,
            plant=plant,
            supplier=[acme, baltic][n % 2],
            summary=f"BRK-1001 @ P100: {kind.replace('_', ' ')} of {10 + n} EA from week {20 + n % 5}",
            due_at=timezone.now() + timezone.timedelta(days=n - 4),
        )
    sweep_exceptions()
    return po, planner


def sign_in(page: Page, base: str, username: str, next_path: str) -> None:
    page.goto(f"{base}/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}{next_path}")


def screenshots(page: Page, name: str) -> None:
    for label, size in (("laptop", LAPTOP), ("wide", WIDE)):
        page.set_viewport_size(size)
        page.screenshot(path=f"/tmp/console-{name}-{label}.png")
    page.set_viewport_size(LAPTOP)


def test_planner_expedites_a_late_proposal_and_the_suppliers_answer_closes_it(
    page: Page, browser, live_server, workday
):
    po, _ = workday
    page.set_viewport_size(LAPTOP)
    sign_in(page, live_server.url, "paula", "/console/")
    screenshots(page, "list")

    # the planner narrows to supplier proposals by the kind tile and opens the one waiting
    page.locator(".weft-kind-tile", has_text="Supplier proposal to review").click()
    expect(page).to_have_url(re.compile(r".*kind=proposal_review"))
    rows = page.locator("#exception-rows tr.weft-exc-row")
    expect(rows).to_have_count(1)
    rows.first.locator(".weft-exc-link").click()
    panel = page.locator("#exception-panel")
    expect(panel).to_contain_text("S001 proposes")
    expect(panel).to_contain_text("+9 d")
    expect(panel).to_contain_text("Furnace down for relining")
    expect(panel).to_contain_text("S002")  # an alternate source with its lead time
    screenshots(page, "proposal")

    # an expedite change request: two days earlier than asked, and why
    panel.locator("select[name=priority]").select_option("expedite")
    panel.locator("input[name=requested_date]").fill(in_days(18).isoformat())
    panel.locator("input[name=reason]").last.fill("Assembly line stops on the 20th")
    panel.locator(".weft-send-change").click()
    expect(page.locator("#console-alerts")).to_contain_text("Expedite change request sent to S001")
    expect(panel).to_contain_text("awaiting S001")
    screenshots(page, "change-sent")

    # the supplier answers the new revision in the portal: accepted
    supplier_context = browser.new_context(viewport=LAPTOP)
    supplier_page = supplier_context.new_page()
    sign_in(supplier_page, live_server.url, "anna", f"/portal/orders/{po.number}/")
    line_10 = supplier_page.locator("#line-10")
    line_10.locator("label", has_text="Accept").click()
    line_10.locator("button[type=submit]").click()
    expect(supplier_page.locator("#line-10")).to_contain_text("Accepted")
    supplier_context.close()

    # the exception closed by itself
    exception = PlanningException.objects.get(kind="proposal_review")
    assert (exception.state, exception.close_reason) == (
        "closed",
        "auto-closed: supplier confirmed",
    )
    page.reload()
    expect(page.locator("#exception-rows tr.weft-exc-row")).to_have_count(0)
    page.goto(f"{live_server.url}/console/exceptions/{exception.pk}/")
    expect(page.locator("#exception-panel")).to_contain_text("Auto-closed: supplier confirmed")


def test_planner_bulk_snoozes_by_keyboard(page: Page, live_server, workday):
    page.set_viewport_size(LAPTOP)
    sign_in(page, live_server.url, "paula", "/console/")
    page.locator("#filter-q").press_sequentially("reschedule in")
    expect(page.locator("#exception-rows tr.weft-exc-row")).to_have_count(4)
    page.locator("#filter-q").press("Escape")

    # j, x, j, x selects the first two rows; Enter opens the current one
    for key in ("j", "x", "j", "x"):
        page.keyboard.press(key)
    expect(page.locator(".weft-selected-count")).to_have_text("2 selected")
    page.keyboard.press("Enter")
    expect(page.locator("#exception-panel")).to_contain_text("Reschedule in")
    screenshots(page, "bulk-selected")

    page.locator("#bulk-form input[name=until]").fill(in_days(3).isoformat())
    page.locator("#bulk-form button[value=snooze]").click()
    expect(page.locator("#console-alerts")).to_contain_text("Snooze: 2 exceptions.")
    expect(page.locator("#exception-rows tr.weft-exc-row")).to_have_count(2)
    assert PlanningException.objects.filter(state="snoozed").count() == 2

    # a bad snooze date is refused naming the field, and nothing changes
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.locator("#bulk-form input[name=until]").fill("2020-01-01")
    page.locator("#bulk-form button[value=snooze]").click()
    expect(page.locator("#console-alerts")).to_contain_text("until")
    assert PlanningException.objects.filter(state="snoozed").count() == 2


def test_planner_replays_a_dead_message(page: Page, live_server, workday):
    page.set_viewport_size(WIDE)
    sign_in(page, live_server.url, "paula", "/console/")
    page.locator(".weft-kind-tile", has_text="Dead inbound message").click()
    rows = page.locator("#exception-rows tr.weft-exc-row")
    expect(rows).to_have_count(1)
    rows.first.locator(".weft-exc-link").click()
    panel = page.locator("#exception-panel")
    expect(panel).to_contain_text("Gave up after 5 attempts")
    screenshots(page, "dead-message")
    panel.locator(".weft-replay").click()
    expect(panel).to_contain_text("Auto-closed: replayed")
    message = InboundMessage.objects.get(idempotency_key="m-77")
    assert message.status != InboundMessage.Status.DEAD or message.attempts > 5
