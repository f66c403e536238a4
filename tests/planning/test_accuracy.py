"""Forecast accuracy per version against the orders that came: stored per period, MAPE and bias."""

from datetime import date
from decimal import Decimal

import pytest

from planning.accuracy import (
    forecast_accuracy_by_version,
    forecast_accuracy_sweep,
    refresh_forecast_accuracy,
)
from planning.models import DemandOrder, DemandOrderLine, ForecastAccuracy
from planning.services import forecasts
from tests.factories import PlannerFactory
from tests.planning.forecast_support import forecast_data, world

pytestmark = pytest.mark.django_db


def order_line(shop, number, line, due, quantity, status="open", plant="P100"):
    order, _ = DemandOrder.objects.get_or_create(
        number=number, defaults={"customer": "ACME", "source_system": "ERP"}
    )
    DemandOrderLine.objects.create(
        order=order,
        line=line,
        item=shop["BIKE"],
        plant=shop[plant],
        quantity=Decimal(quantity),
        entered_quantity=Decimal(quantity),
        entered_uom="EA",
        due_date=due,
        status=status,
    )


@pytest.fixture
def planned_version(db):
    shop = world()
    planner = PlannerFactory()
    lines = [
        {"item": "BIKE", "period_start": "2026-06-01", "quantity": "100", "uom": "EA"},
        {"item": "BIKE", "period_start": "2026-06-08", "quantity": "50", "uom": "EA"},
        {"item": "BIKE", "period_start": "2026-06-15", "quantity": "10", "uom": "EA"},
        {"item": "BIKE", "period_start": "2026-06-22", "quantity": "70", "uom": "EA"},
    ]
    version = forecasts.forecast_publish(**forecast_data(lines), source_system="DP")
    forecasts.forecast_approve(forecast=version, acting_user=planner)
    forecasts.forecast_activate(forecast=version, acting_user=planner)
    order_line(shop, "SO-1", 1, date(2026, 6, 2), "60")
    order_line(shop, "SO-1", 2, date(2026, 6, 7), "20", status="closed")  # still came
    order_line(shop, "SO-2", 1, date(2026, 6, 3), "500", status="cancelled")  # never came
    order_line(shop, "SO-3", 1, date(2026, 6, 4), "900", plant="P200")  # another plant
    order_line(shop, "SO-4", 1, date(2026, 6, 9), "75")
    order_line(shop, "SO-5", 1, date(2026, 6, 20), "5")  # its week has not ended yet
    return version


def test_only_ended_periods_are_scored_against_their_orders(planned_version):
    stored = forecast_accuracy_sweep(today=date(2026, 6, 20))

    rows = ForecastAccuracy.objects.order_by("period_start")
    assert stored == 2
    assert [(r.period_start.isoformat(), r.forecast_quantity, r.actual_quantity) for r in rows] == [
        ("2026-06-01", 100, 80),
        ("2026-06-08", 50, 75),
    ]
    assert [r.absolute_error for r in rows] == [20, 25]


def test_a_second_sweep_updates_rather_than_duplicates(planned_version):
    forecast_accuracy_sweep(today=date(2026, 6, 20))
    order_line(world(), "SO-6", 1, date(2026, 6, 10), "5")

    forecast_accuracy_sweep(today=date(2026, 6, 23))

    rows = ForecastAccuracy.objects.order_by("period_start")
    assert [r.actual_quantity for r in rows] == [80, 80, 5]


def test_mape_and_bias_per_version_for_the_kpi_page(planned_version):
    forecast_accuracy_sweep(today=date(2026, 6, 20))

    [score] = forecast_accuracy_by_version()

    # |100-80|/80 = 25 %, |50-75|/75 = 33.33 %; bias (150 - 155) / 155 = -3.2258 %
    assert score.version == planned_version.pk
    assert (score.periods, score.forecast_total, score.actual_total) == (2, 150, 155)
    assert score.mape == Decimal("29.1667")
    assert score.bias == Decimal("-3.2258")


def test_versions_never_activated_are_not_scored(db):
    world()
    forecasts.forecast_publish(**forecast_data(), source_system="DP")

    assert forecast_accuracy_sweep(today=date(2027, 1, 1)) == 0
    assert forecast_accuracy_by_version() == []


def test_the_beat_task_runs_the_sweep(planned_version, settings):
    assert "planning-refresh-forecast-accuracy" in settings.CELERY_BEAT_SCHEDULE
    entry = settings.CELERY_BEAT_SCHEDULE["planning-refresh-forecast-accuracy"]
    assert entry["task"] == refresh_forecast_accuracy.name

    assert refresh_forecast_accuracy.delay().get() >= 0
