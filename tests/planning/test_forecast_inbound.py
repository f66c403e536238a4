"""`forecast.published` through the inbox: stored submitted, in base units, bad ones named, all or nothing."""

from datetime import date
from decimal import Decimal

import pytest

from integrations.models import Event
from planning.models import ForecastLine, ForecastVersion
from planning.services.forecasts import forecast_approve, forecast_policy_set
from tests.factories import PlannerFactory
from tests.planning.forecast_support import committing_client, forecast_data, send, sender, world

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db):
    return world()


@pytest.fixture
def dp(shop):
    return sender("DP-1", "forecast")


@pytest.fixture
def dp_client(dp, partner_key, django_capture_on_commit_callbacks):
    return committing_client(dp, partner_key, django_capture_on_commit_callbacks)


def lines_of(version) -> dict:
    return {
        (line.item.code, line.period_start.isoformat()): line.quantity
        for line in version.lines.select_related("item")
    }


def test_a_published_forecast_waits_for_approval_in_base_units(dp_client, shop):
    data = forecast_data(
        [
            {"item": "BIKE", "period_start": "2026-06-01", "quantity": "2", "uom": "BOX"},
            {"item": "PAINT", "period_start": "2026-06-01", "quantity": "1500", "uom": "G"},
        ]
    )

    _, message = send(dp_client, "forecast.published", data, id="f-1")

    assert message["status"] == "applied", message
    version = ForecastVersion.objects.get()
    assert (version.plan, version.version, version.plant.code) == ("DP", "1", "P100")
    assert (version.status, version.source_system, version.bucket) == ("submitted", "DP-1", "week")
    assert version.submitted_at is not None
    assert lines_of(version) == {
        ("BIKE", "2026-06-01"): Decimal("12"),
        ("PAINT", "2026-06-01"): Decimal("1.5"),
    }


@pytest.mark.parametrize(
    ("line", "field", "value"),
    [
        ({"item": "NOPE"}, "lines.1.item", "NOPE"),
        ({"period_start": "2026-06-03"}, "lines.1.period_start", "2026-06-03"),
        ({"uom": "KG"}, "lines.1.uom", "KG"),
        ({"period_start": "2026-06-01", "item": "BIKE"}, "lines.1.period_start", "2026-06-01"),
    ],
    ids=["unknown item", "week not on a Monday", "unit that does not convert", "duplicate"],
)
def test_a_bad_line_rejects_the_whole_forecast_naming_field_and_value(
    dp_client, shop, line, field, value
):
    lines = [
        {"item": "BIKE", "period_start": "2026-06-01", "quantity": "1", "uom": "EA"},
        {"item": "TRIKE", "period_start": "2026-06-08", "quantity": "1", "uom": "EA"} | line,
    ]

    _, message = send(dp_client, "forecast.published", forecast_data(lines), id="f-bad")

    assert message["status"] == "rejected"
    assert message["errors"][0]["field"] == field
    assert message["errors"][0]["value"] == value
    assert value in message["reason"]
    assert not ForecastVersion.objects.exists()
    assert not ForecastLine.objects.exists()


def test_a_month_bucket_starts_on_the_first(dp_client, shop):
    bad = forecast_data(
        [{"item": "BIKE", "period_start": "2026-06-02", "quantity": "1", "uom": "EA"}],
        bucket="month",
    )
    good = forecast_data(
        [{"item": "BIKE", "period_start": "2026-07-01", "quantity": "1", "uom": "EA"}],
        bucket="month",
        version=2,
    )

    assert send(dp_client, "forecast.published", bad, id="m-1")[1]["status"] == "rejected"
    assert send(dp_client, "forecast.published", good, id="m-2")[1]["status"] == "applied"


def test_a_negative_quantity_is_refused_at_the_door_naming_field_and_value(dp_client, shop):
    lines = [{"item": "BIKE", "period_start": "2026-06-01", "quantity": "-5", "uom": "EA"}]

    response, _ = send(dp_client, "forecast.published", forecast_data(lines), id="neg")

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["field"], error["value"]) == ("data.lines.0.quantity", "-5")
    assert not ForecastVersion.objects.exists()


def test_an_unknown_plant_is_rejected(dp_client, shop):
    _, message = send(dp_client, "forecast.published", forecast_data(plant="P999"), id="p")

    assert message["status"] == "rejected"
    assert (message["errors"][0]["field"], message["errors"][0]["value"]) == ("plant", "P999")


def test_republishing_a_submitted_version_replaces_its_lines(dp_client, shop):
    send(dp_client, "forecast.published", forecast_data(), id="r-1")
    changed = forecast_data(
        [{"item": "BIKE", "period_start": "2026-06-01", "quantity": "90", "uom": "EA"}]
    )

    _, message = send(dp_client, "forecast.published", changed, id="r-2")

    assert message["status"] == "applied"
    version = ForecastVersion.objects.get()
    assert lines_of(version) == {("BIKE", "2026-06-01"): Decimal("90")}
    assert version.status == "submitted"


def test_republishing_an_approved_version_with_other_content_is_refused(dp_client, shop):
    send(dp_client, "forecast.published", forecast_data(), id="a-1")
    forecast_approve(forecast=ForecastVersion.objects.get(), acting_user=PlannerFactory())
    changed = forecast_data(
        [{"item": "BIKE", "period_start": "2026-06-01", "quantity": "90", "uom": "EA"}]
    )

    _, again = send(dp_client, "forecast.published", forecast_data(), id="a-2")
    _, other = send(dp_client, "forecast.published", changed, id="a-3")

    assert again["status"] == "applied"
    assert other["status"] == "rejected"
    assert (other["errors"][0]["field"], other["errors"][0]["value"]) == ("version", "1")
    assert "approved" in other["reason"]
    assert len(lines_of(ForecastVersion.objects.get())) == 3


def test_a_system_not_owning_forecasts_is_refused(
    shop, partner_key, django_capture_on_commit_callbacks
):
    sender("DP-1", "forecast")
    intruder = committing_client(
        sender("ERP-1", "demand_order"), partner_key, django_capture_on_commit_callbacks
    )

    _, message = send(intruder, "forecast.published", forecast_data(), id="x")

    assert message["status"] == "rejected"
    assert "owned by DP-1" in message["reason"]
    assert not ForecastVersion.objects.exists()


def test_a_policy_approves_a_systems_forecast_without_a_planner(dp_client, dp, shop):
    forecast_policy_set(system=dp, auto_approve=True, auto_activate=False)

    send(dp_client, "forecast.published", forecast_data(), id="p-1")

    version = ForecastVersion.objects.get()
    assert (version.status, version.approved_by_policy, version.approved_by) == (
        "approved",
        True,
        None,
    )
    assert not Event.objects.filter(event_type="forecast.approved").exists()


def test_a_policy_may_activate_too_superseding_the_active_version(dp_client, dp, shop):
    forecast_policy_set(system=dp, auto_approve=True, auto_activate=True)

    send(dp_client, "forecast.published", forecast_data(), id="v-1")
    send(dp_client, "forecast.published", forecast_data(version=2), id="v-2")

    statuses = dict(ForecastVersion.objects.values_list("version", "status"))
    assert statuses == {"1": "superseded", "2": "active"}
    events = Event.objects.filter(event_type="forecast.approved").order_by("pk")
    assert [event.data["version"] for event in events] == [1, 2]


def test_a_forecast_csv_takes_the_same_road(
    dp, partner_key, django_capture_on_commit_callbacks, shop
):
    client = committing_client(
        dp, partner_key, django_capture_on_commit_callbacks, "inbound:write", "messages:read"
    )
    body = "item,period_start,quantity,uom\nBIKE,2026-06-01,4,BOX\nTRIKE,2026-06-08,7,EA\n"

    response = client.post(
        "/api/v1/inbound/csv/forecast.published/?plan=DP&version=3&plant=P100&bucket=week",
        body,
        content_type="text/csv",
    )

    assert response.status_code in (200, 202), response.content
    version = ForecastVersion.objects.get(version="3")
    assert lines_of(version) == {
        ("BIKE", date(2026, 6, 1).isoformat()): Decimal("24"),
        ("TRIKE", "2026-06-08"): Decimal("7"),
    }
