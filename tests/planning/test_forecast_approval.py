"""The approval trail: draft → submitted → approved → active, planners only, one active per plan."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from integrations.errors import ApplicationError
from integrations.models import Event
from integrations.schemas import data_errors
from planning.models import ForecastVersion
from planning.services import forecasts
from tests.factories import PlannerFactory, UserFactory
from tests.planning.forecast_support import forecast_data, world


@pytest.fixture
def shop(db):
    return world()


@pytest.fixture
def planner(db):
    return PlannerFactory(username="pat")


def publish(version=1, plan="DP", plant="P100", status="submitted", **data):
    values = forecast_data(version=version, plan=plan, plant=plant, **data)
    return forecasts.forecast_publish(**values, source_system="DP-1", status=status)


def active(version, planner):
    forecasts.forecast_approve(forecast=version, acting_user=planner)
    return forecasts.forecast_activate(forecast=version, acting_user=planner)


@pytest.mark.django_db
def test_a_draft_goes_through_submit_approve_activate_with_who_and_when(shop, planner):
    draft = publish(status="draft")
    assert draft.status == "draft"

    submitted = forecasts.forecast_submit(forecast=draft, acting_user=planner)
    approved = forecasts.forecast_approve(forecast=submitted, acting_user=planner)
    activated = forecasts.forecast_activate(forecast=approved, acting_user=planner)

    activated.refresh_from_db()
    assert activated.status == "active"
    assert (activated.submitted_by, activated.approved_by) == (planner, planner)
    assert activated.approved_by_policy is False
    assert activated.submitted_at <= activated.approved_at <= activated.activated_at
    assert [h.status for h in activated.history.order_by("history_date")] == [
        "draft",
        "submitted",
        "approved",
        "active",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("service", ["forecast_approve", "forecast_activate", "forecast_reject"])
def test_a_non_planner_is_refused_and_nothing_changes(shop, service):
    version = publish()
    if service == "forecast_activate":
        version.status = "approved"
        version.save()
    buyer = UserFactory(username="bob", groups=["buyers"])
    extra = {"reason": "no"} if service == "forecast_reject" else {}

    with pytest.raises(ApplicationError) as refused:
        getattr(forecasts, service)(forecast=version, acting_user=buyer, **extra)

    assert refused.value.status_code == 403
    assert refused.value.extra == {"field": "acting_user", "value": "bob"}
    assert ForecastVersion.objects.get().status == version.status


@pytest.mark.django_db
def test_steps_out_of_order_are_refused_with_the_status(shop, planner):
    version = publish()

    with pytest.raises(ApplicationError) as early:
        forecasts.forecast_activate(forecast=version, acting_user=planner)
    with pytest.raises(ApplicationError) as twice:
        forecasts.forecast_submit(forecast=version, acting_user=planner)

    assert (early.value.status_code, early.value.extra) == (
        409,
        {"field": "status", "value": "submitted"},
    )
    assert twice.value.status_code == 409


@pytest.mark.django_db
def test_a_rejected_version_keeps_the_reason_and_cannot_be_approved(shop, planner):
    version = publish()

    forecasts.forecast_reject(forecast=version, reason="Q3 promo missing", acting_user=planner)

    version.refresh_from_db()
    assert (version.status, version.rejected_reason) == ("rejected", "Q3 promo missing")
    with pytest.raises(ApplicationError):
        forecasts.forecast_approve(forecast=version, acting_user=planner)


@pytest.mark.django_db
def test_activation_supersedes_the_previous_active_version_of_that_plan_and_plant(shop, planner):
    first = active(publish(1), planner)
    other_plant = active(publish(1, plant="P200"), planner)
    other_plan = active(publish(1, plan="PROMO"), planner)

    second = active(publish(2), planner)

    first.refresh_from_db()
    assert (first.status, second.status) == ("superseded", "active")
    assert first.superseded_at == second.activated_at
    assert ForecastVersion.objects.get(pk=other_plant.pk).status == "active"
    assert ForecastVersion.objects.get(pk=other_plan.pk).status == "active"


@pytest.mark.django_db
def test_activation_tells_the_erp_exactly_what_messages_md_promises(shop, planner):
    version = publish(
        lines=[
            {"item": "BIKE", "period_start": "2026-06-01", "quantity": "2", "uom": "BOX"},
            {"item": "PAINT", "period_start": "2026-06-01", "quantity": "250", "uom": "G"},
        ]
    )

    active(version, planner)

    event = Event.objects.get(event_type="forecast.approved")
    assert event.data == {
        "plan": "DP",
        "version": 1,
        "plant": "P100",
        "bucket": "week",
        "lines": [
            {"item": "BIKE", "period_start": "2026-06-01", "quantity": "12", "uom": "EA"},
            {"item": "PAINT", "period_start": "2026-06-01", "quantity": "0.25", "uom": "KG"},
        ],
    }
    assert data_errors("forecast.approved", 1, event.data) == []
    assert event.aggregate_key == "forecast:DP:P100"


@pytest.mark.django_db
def test_an_upload_is_a_draft_of_the_planner(shop, planner):
    version = forecasts.forecast_upload(
        plan="DP",
        plant="P100",
        version=5,
        bucket="week",
        rows=[{"item": "BIKE", "period_start": "2026-06-01", "quantity": Decimal("3")}],
        acting_user=planner,
    )

    assert (version.status, version.source_system, version.created_by) == ("draft", "weft", planner)
    assert version.lines.get().quantity == 3
    assert version.history.latest().history_user == planner


@pytest.mark.django_db(transaction=True)
def test_two_activations_at_once_leave_exactly_one_active_version(shop):
    # given two approved versions of one plan at one plant, and an active one before them
    planner = PlannerFactory(username="pat")
    before = active(publish(1), planner)
    contenders = [publish(2), publish(3)]
    for version in contenders:
        forecasts.forecast_approve(forecast=version, acting_user=planner)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    # when two planners activate them at the same moment on their own connections
    def activate(version_id: int) -> None:
        try:
            start.wait()
            forecasts.forecast_activate(
                forecast=ForecastVersion.objects.get(pk=version_id), acting_user=planner
            )
        except BaseException as error:  # collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=activate, args=(v.pk,)) for v in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then both succeed one after the other: one is active, the other superseded, never two
    assert errors == []
    statuses = dict(ForecastVersion.objects.values_list("version", "status"))
    assert statuses["1"] == "superseded"
    assert sorted([statuses["2"], statuses["3"]]) == ["active", "superseded"]
    assert ForecastVersion.objects.filter(status="active").count() == 1
    assert Event.objects.filter(event_type="forecast.approved").count() == 3
    assert before.pk
