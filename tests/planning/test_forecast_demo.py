"""The demo's demand: an active forecast for the finished goods, one to approve, and orders."""

from datetime import date, timedelta

import pytest

from integrations.services import external_system_register, ownership_set
from masterdata.demo import seed_masterdata
from planning.consumption import planned_demand
from planning.demo import seed_planning_forecasts
from planning.models import DemandOrder, DemandOrderLine, ForecastLine, ForecastVersion
from tests.factories import PlannerFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 3)  # a Wednesday


@pytest.fixture
def masters(db):
    erp = external_system_register(code="ERP-EU", name="ERP", kind="erp")
    external_system_register(code="DP-CLOUD", name="DP", kind="planning")
    ownership_set(object_type="demand_order", system=erp)
    seed_masterdata(items=60, levels=3)


def test_the_demo_has_an_active_forecast_for_26_weeks_and_a_version_to_approve(masters):
    planner = PlannerFactory(username="planner")

    report = seed_planning_forecasts(today=TODAY)

    active = ForecastVersion.objects.filter(plan="DEMO", status="active")
    assert active.count() == 2  # one per plant
    for version in active:
        assert (version.approved_by, version.source_system) == (planner, "DP-CLOUD")
        starts = sorted(set(version.lines.values_list("period_start", flat=True)))
        assert starts[0] == date(2026, 6, 1)
        assert len(starts) == 26
        assert {line.item.code[:3] for line in version.lines.select_related("item")} == {"FG-"}
    assert ForecastVersion.objects.filter(plan="DEMO", status="submitted").count() == 2
    assert report.forecast_lines == ForecastLine.objects.count()


def test_the_demo_orders_include_past_due_and_soon_due_lines(masters):
    seed_planning_forecasts(today=TODAY)

    due = list(DemandOrderLine.objects.open().values_list("due_date", flat=True))
    assert any(d < TODAY for d in due)
    assert any(TODAY <= d < TODAY + timedelta(days=14) for d in due)
    assert DemandOrder.objects.first().source_system == "ERP-EU"
    version = ForecastVersion.objects.filter(status="active").first()
    planned = planned_demand(
        version.plant, item_ids=None, start=TODAY, end=TODAY + timedelta(weeks=26)
    )
    assert {p.source_kind for p in planned} == {"forecast", "demand_order"}


def test_without_a_planner_the_demo_forecast_is_approved_as_by_policy_and_reruns_add_nothing(
    masters,
):
    seed_planning_forecasts(today=TODAY)
    counts = (ForecastLine.objects.count(), DemandOrderLine.objects.count())

    again = seed_planning_forecasts(today=TODAY)

    assert (again.forecast_lines, again.demand_lines) == (0, 0)
    assert (ForecastLine.objects.count(), DemandOrderLine.objects.count()) == counts
    assert all(
        ForecastVersion.objects.filter(status="active").values_list("approved_by_policy", flat=True)
    )
