"""The difference of two versions per item and period, with totals, in one SQL join."""

from decimal import Decimal

import pytest

from planning.services import forecasts
from tests.planning.forecast_support import forecast_data, world

pytestmark = pytest.mark.django_db


def publish(version, lines):
    return forecasts.forecast_publish(**forecast_data(lines, version=version), source_system="DP")


def line(item, period, quantity):
    return {"item": item, "period_start": period, "quantity": quantity, "uom": "EA"}


def test_the_diff_lists_every_item_and_period_of_either_version_with_totals(
    django_assert_max_num_queries,
):
    world()
    a = publish(1, [line("BIKE", "2026-06-01", "100"), line("BIKE", "2026-06-08", "50")])
    b = publish(
        2,
        [
            line("BIKE", "2026-06-01", "80"),
            line("BIKE", "2026-06-08", "50"),
            line("TRIKE", "2026-06-01", "5.5"),
        ],
    )

    with django_assert_max_num_queries(2):
        diff = forecasts.forecast_diff(a, b)

    rows = [(r.item, r.period_start.isoformat(), r.quantity_a, r.quantity_b) for r in diff.rows]
    assert rows == [
        ("BIKE", "2026-06-01", Decimal("100"), Decimal("80")),
        ("BIKE", "2026-06-08", Decimal("50"), Decimal("50")),
        ("TRIKE", "2026-06-01", Decimal("0"), Decimal("5.5")),
    ]
    assert [r.difference for r in diff.rows] == [Decimal("-20"), 0, Decimal("5.5")]
    assert (diff.total_a, diff.total_b, diff.total_difference) == (
        Decimal("150"),
        Decimal("135.5"),
        Decimal("-14.5"),
    )
    assert [r.item for r in forecasts.forecast_diff(a, b, changed_only=True).rows] == [
        "BIKE",
        "TRIKE",
    ]
    assert sum(r.difference for r in diff.rows) == diff.total_difference
