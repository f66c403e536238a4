"""KPIs on known data: each figure worked out by hand first.

`make test` runs this module twice: on PostgreSQL with the suite, and again on SQLite (the
`make run` default), so every figure must come out the same on both.
"""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from integrations.models import InboundMessage, OutboundMessage
from masterdata.models import Plant
from planning import kpis
from planning.models import ForecastVersion, MrpRun, PlanningException
from procurement.models import Acknowledgement, AcknowledgementLine, PurchaseOrderLine
from tests.factories import ExternalSystemFactory
from tests.integrations.delivery_factories import OutboundMessageFactory
from tests.planning.console.conftest import make_exception
from tests.procurement.factories import issued_po

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)
SINCE = NOW - timedelta(days=30)


def answer(line, *, sent_hours_ago, answered_after_hours, due_after_hours):
    sent = NOW - timedelta(hours=sent_hours_ago)
    PurchaseOrderLine.objects.filter(pk=line.pk).update(
        sent_at=sent, ack_due_at=sent + timedelta(hours=due_after_hours)
    )
    ack = Acknowledgement.objects.create(
        po=line.po,
        revision=0,
        channel="portal",
        acting_system=line.po.supplier.external_system,
        received_at=sent + timedelta(hours=answered_after_hours),
    )
    AcknowledgementLine.objects.create(
        acknowledgement=ack, po_line=line, answer="accepted", outcome="applied"
    )


@pytest.fixture
def answered(acme, baltic):
    lines = list(
        PurchaseOrderLine.objects.filter(po__in=[issued_po(acme), issued_po(acme)]).order_by("id")
    )
    # Acme: 2, 4, 10 and 6 hours to answer against a 5-hour due time: 2 of 4 on time.
    for line, hours in zip(lines, (2, 4, 10, 6), strict=True):
        answer(line, sent_hours_ago=48, answered_after_hours=hours, due_after_hours=5)
    baltic_lines = list(PurchaseOrderLine.objects.filter(po=issued_po(baltic)).order_by("id"))
    answer(baltic_lines[0], sent_hours_ago=48, answered_after_hours=1, due_after_hours=24)
    # Answered before the window: not counted.
    answer(baltic_lines[1], sent_hours_ago=24 * 40, answered_after_hours=1, due_after_hours=24)


def test_ack_cycle_time_median_and_p90_by_supplier(answered):
    rows = {row["supplier"]: row for row in kpis.ack_cycle_times(since=SINCE, now=NOW)}
    assert rows["S001"]["answered"] == 4
    assert rows["S001"]["median_hours"] == 5.0  # (4 + 6) / 2
    assert rows["S001"]["p90_hours"] == 8.8  # 6 + 0.7 × (10 − 6)
    assert rows["S002"]["answered"] == 1 and rows["S002"]["median_hours"] == 1.0


def test_ack_cycle_time_counts_a_line_once_from_its_first_answer_after_sending(acme):
    line = PurchaseOrderLine.objects.filter(po=issued_po(acme)).order_by("id").first()
    answer(line, sent_hours_ago=48, answered_after_hours=3, due_after_hours=2)
    # A later answer to the same line, and one from before the line was sent, change nothing.
    answer(line, sent_hours_ago=48, answered_after_hours=7, due_after_hours=2)
    answer(line, sent_hours_ago=48, answered_after_hours=-5, due_after_hours=2)
    [row] = kpis.ack_cycle_times(since=SINCE, now=NOW)
    assert (row["answered"], row["median_hours"], row["p90_hours"]) == (1, 3.0, 3.0)
    assert (row["on_time"], row["on_time_rate"]) == (0, 0.0)


def test_on_time_confirmation_rate(answered):
    figures = kpis.on_time_confirmation(since=SINCE, now=NOW)
    by_supplier = {row["supplier"]: row for row in figures["suppliers"]}
    assert by_supplier["S001"]["on_time_rate"] == 50.0
    assert by_supplier["S002"]["on_time_rate"] == 100.0
    assert (figures["answered"], figures["on_time"], figures["rate"]) == (5, 3, 60.0)


def test_forecast_to_plan_by_correlation_id_and_by_time_order(acme):
    plant = Plant.objects.get(code="P100")
    erp = ExternalSystemFactory(code="DP")
    message = InboundMessage.objects.create(
        system=erp,
        idempotency_key="f1",
        message_type="forecast",
        correlation_id="c-f1",
        body="{}",
        body_sha256="x",
        status="applied",
    )
    by_id = ForecastVersion.objects.create(
        plan="DP", plant=plant, version="1", bucket="week", message_id=str(message.pk)
    )
    by_time = ForecastVersion.objects.create(plan="DP", plant=plant, version="2", bucket="week")
    waiting = ForecastVersion.objects.create(plan="DP", plant=plant, version="3", bucket="week")
    ForecastVersion.objects.filter(pk=by_id.pk).update(received_at=NOW - timedelta(hours=5))
    ForecastVersion.objects.filter(pk=by_time.pk).update(received_at=NOW - timedelta(hours=3))
    ForecastVersion.objects.filter(pk=waiting.pk).update(received_at=NOW - timedelta(minutes=1))
    run_for_id = MrpRun.objects.create(
        plant=plant, mode="full", status="succeeded", correlation_id="c-f1"
    )
    MrpRun.objects.filter(pk=run_for_id.pk).update(
        requested_at=NOW - timedelta(hours=1), finished_at=NOW - timedelta(hours=4, minutes=50)
    )
    run_later = MrpRun.objects.create(plant=plant, mode="full", status="succeeded")
    MrpRun.objects.filter(pk=run_later.pk).update(
        requested_at=NOW - timedelta(hours=2), finished_at=NOW - timedelta(hours=1, minutes=30)
    )
    figures = kpis.forecast_to_plan(since=SINCE, now=NOW)
    minutes = {row["version"]: (row["minutes"], row["matched_by"]) for row in figures["versions"]}
    assert minutes["1"] == (10.0, "correlation id")
    assert minutes["2"] == (90.0, "time order")
    assert minutes["3"][0] is None
    assert figures["planned"] == 2 and figures["waiting"] == 1 and figures["median_minutes"] == 50.0
    assert figures["p90_minutes"] == 82.0  # 10 + 0.9 × (90 − 10)


def test_open_exceptions_by_kind_plant_and_age(acme):
    plant = Plant.objects.get(code="P100")
    make_exception(kind="shortage", plant=plant)
    make_exception(kind="shortage", plant=plant)
    old = make_exception(kind="ack_overdue")
    PlanningException.objects.filter(pk=old.pk).update(opened_at=NOW - timedelta(days=10))
    figures = kpis.open_exceptions(now=timezone.now())
    assert figures["total"] == 3
    assert {row["kind"]: row["count"] for row in figures["by_kind"]} == {
        "shortage": 2,
        "ack_overdue": 1,
    }
    assert {row["plant"]: row["count"] for row in figures["by_plant"]} == {"P100": 2, "(none)": 1}
    ages = {row["band"]: row["count"] for row in figures["by_age"]}
    assert ages == {
        "under 1 day": 2,
        "1–3 days": 0,
        "3–7 days": 0,
        "7–30 days": 1,
        "over 30 days": 0,
    }


def test_shortage_response_time(db):
    for hours in (2, 6):
        exception = make_exception(kind="shortage")
        PlanningException.objects.filter(pk=exception.pk).update(
            opened_at=NOW - timedelta(hours=24),
            closed_at=NOW - timedelta(hours=24 - hours),
            state=PlanningException.State.CLOSED,
        )
    make_exception(kind="shortage")
    figures = kpis.shortage_response(since=SINCE, now=timezone.now())
    assert figures == {"closed": 2, "still_open": 1, "median_hours": 4.0, "p90_hours": 5.6}


def test_integration_error_rate_by_system(db):
    erp = ExternalSystemFactory(code="ERP-EU")
    for key, status in (("a", "applied"), ("b", "applied"), ("c", "rejected"), ("d", "dead")):
        InboundMessage.objects.create(
            system=erp,
            idempotency_key=key,
            correlation_id=key,
            body="{}",
            body_sha256=key,
            status=status,
        )
    OutboundMessageFactory(subscription__system=erp, status=OutboundMessage.Status.DEAD)
    OutboundMessageFactory(subscription__system=erp, status=OutboundMessage.Status.DELIVERED)
    rows = {
        row["system"]: row for row in kpis.integration_error_rate(since=SINCE, now=timezone.now())
    }
    assert rows["ERP-EU"]["inbound"] == 4 and rows["ERP-EU"]["inbound_errors"] == 2
    assert rows["ERP-EU"]["outbound"] == 2 and rows["ERP-EU"]["outbound_errors"] == 1
    assert rows["ERP-EU"]["error_rate"] == 50.0


def test_integration_error_rate_leaves_out_quiet_systems_and_old_messages(db):
    quiet = ExternalSystemFactory(code="QUIET")
    busy = ExternalSystemFactory(code="BUSY")
    old = InboundMessage.objects.create(
        system=quiet, idempotency_key="old", correlation_id="old", body="{}", body_sha256="o"
    )
    InboundMessage.objects.filter(pk=old.pk).update(received_at=NOW - timedelta(days=40))
    for key in ("a", "b", "c"):
        InboundMessage.objects.create(
            system=busy, idempotency_key=key, correlation_id=key, body="{}", body_sha256=key
        )
    InboundMessage.objects.create(
        system=busy,
        idempotency_key="d",
        correlation_id="d",
        body="{}",
        body_sha256="d",
        status="rejected",
    )
    rows = kpis.integration_error_rate(since=SINCE, now=timezone.now())
    assert rows == [
        {
            "system": "BUSY",
            "inbound": 4,
            "inbound_errors": 1,
            "outbound": 0,
            "outbound_errors": 0,
            "error_rate": 25.0,
        }
    ]


def test_the_kpi_page_draws_the_charts(planner_client, answered, django_assert_max_num_queries):
    # A fixed number of statements, however many lines, versions or messages the window holds.
    with django_assert_max_num_queries(20):
        page = planner_client.get("/console/kpis/", {"days": "30"})
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="chart-ack-data"' in text and "console-charts.js" in text
    assert planner_client.get("/console/kpis/", {"days": "12"}).status_code == 400


def test_the_kpi_page_answers_on_the_demo_data(db, client):
    call_command("seed_demo", items=20, levels=2, quiet=True)
    client.login(username="planner", password="weft-demo")
    for days in ("7", "30", "90", "365"):
        page = client.get("/console/kpis/", {"days": days})
        assert page.status_code == 200, days
        assert 'id="chart-errors-data"' in page.content.decode()
