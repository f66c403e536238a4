"""Forecast consumption: orders consume the forecast backward, then forward, within the plant's window.

The rules and the worked examples come from published ERP documentation:

- Oracle Master Scheduling/MRP (11i), "Backward and Forward Consumption Days"
  (docs.oracle.com/cd/A60725_05/html/comnls/us/mrp/consum04.htm): the window is the backward
  and forward days around the order's date; consumption first moves backwards looking for
  forecast to consume, then forwards; what is still unconsumed stays as order demand
  (overconsumption). "Consumption with Daily Buckets" (…/mrp/timefor.htm) gives the 20 + 20
  example below.
- NetSuite, "Forecast Consumption Examples" (docs.oracle.com/en/cloud/saas/netsuite/
  ns-online-help/section_1495718329.html): forecasts of 20 on days 1 and 5, an order on day
  3, backward 2 days, forward 1 or 3 days (examples 1–3 below, one to one).
- SAP ERP, "Consumption Mode and Period of Adjustment" (help.sap.com, PP-MP-DEM): consumption
  mode 3 is backward then forward consumption, the standard this module implements.
- QAD EE 2014 User Guide, "Forward and Backward Forecast Consumption": with weekly buckets an
  order consumes the forecast of the week it is due first, regardless of the weekday.

Weft counts calendar days (Oracle counts workdays; the Oracle example's 3 forward workdays over
a weekend are 5 calendar days here).
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planning.consumption import (
    Consumption,
    ForecastBucket,
    OrderDemand,
    PlannedDemand,
    consume,
    planned_demand,
)
from planning.models import DemandOrder, DemandOrderLine, PlantPlanningSettings
from planning.services import forecasts
from tests.factories import PlannerFactory
from tests.planning.forecast_support import forecast_data, world

ITEM = 7
JUNE = date(2026, 6, 1)  # a Monday


def day(n: int) -> date:
    return JUNE + timedelta(days=n - 1)


def daily(quantities: dict[int, str], item: int = ITEM) -> list[ForecastBucket]:
    return [
        ForecastBucket(item, day(n), day(n) + timedelta(days=1), Decimal(q), f"F/1/{day(n)}")
        for n, q in quantities.items()
    ]


def weekly(quantities: list[str], item: int = ITEM) -> list[ForecastBucket]:
    return [
        ForecastBucket(
            item,
            JUNE + timedelta(weeks=w),
            JUNE + timedelta(weeks=w + 1),
            Decimal(q),
            f"F/1/{JUNE + timedelta(weeks=w)}",
        )
        for w, q in enumerate(quantities)
    ]


def order(n_day: int, quantity: str, ref: str = "SO-1/1", item: int = ITEM) -> OrderDemand:
    return OrderDemand(item, day(n_day), Decimal(quantity), ref)


def remaining_forecast(planned: list[PlannedDemand]) -> dict[date, Decimal]:
    return {p.date: p.quantity for p in planned if p.source_kind == "forecast"}


def run(buckets, orders, back, forward, *, start=JUNE, end=JUNE + timedelta(days=400)):
    trail: list[Consumption] = []
    planned = consume(
        buckets,
        orders,
        start=start,
        end=end,
        backward_days=back,
        forward_days=forward,
        trail=trail,
    )
    return planned, trail


def test_netsuite_example_1_an_order_consumes_the_forecast_inside_its_backward_window():
    planned, _ = run(daily({1: "20", 5: "20"}), [order(3, "10")], back=2, forward=1)

    assert remaining_forecast(planned) == {day(1): 10, day(5): 20}
    assert [p.quantity for p in planned if p.source_kind == "demand_order"] == [10]


def test_netsuite_example_2_what_the_window_cannot_cover_stays_as_order_demand():
    planned, trail = run(daily({1: "20", 5: "20"}), [order(3, "30")], back=2, forward=1)

    assert remaining_forecast(planned) == {day(5): 20}
    assert sum(c.quantity for c in trail) == 20
    assert sum(p.quantity for p in planned) == 50  # 30 ordered + 20 still forecast


def test_netsuite_example_3_a_wider_forward_window_consumes_the_next_forecast_too():
    planned, trail = run(daily({1: "20", 5: "20"}), [order(3, "30")], back=2, forward=3)

    assert remaining_forecast(planned) == {day(5): 10}
    assert [(c.forecast_ref, c.quantity) for c in trail] == [
        (f"F/1/{day(1)}", 20),
        (f"F/1/{day(5)}", 10),
    ]


def test_oracle_daily_example_backward_first_then_forward():
    # 20 on the 2nd and on the 9th; an order of 25 on the 5th, 3 days back and 3 workdays on.
    planned, trail = run(daily({2: "20", 9: "20"}), [order(5, "25")], back=3, forward=5)

    assert [c.forecast_ref for c in trail] == [f"F/1/{day(2)}", f"F/1/{day(9)}"]
    assert remaining_forecast(planned) == {day(9): 15}


def test_oracle_daily_example_without_a_window_nothing_is_consumed():
    planned, trail = run(daily({9: "20"}), [order(12, "25")], back=0, forward=0)

    assert trail == []
    assert sum(p.quantity for p in planned) == 45


def test_a_weekly_order_consumes_its_own_week_first_whatever_the_weekday():
    # 100 a week; an order of 30 due on Thursday of week 2, no window at all
    planned, _ = run(weekly(["100", "100", "100"]), [order(11, "30")], back=0, forward=0)

    assert remaining_forecast(planned) == {day(1): 100, day(8): 70, day(15): 100}


def test_a_weekly_overflow_goes_back_a_week_then_forward_a_week():
    # week 2's order of 250 eats week 2 (100), then week 1 (100), then 50 of week 3
    planned, trail = run(weekly(["100", "100", "100"]), [order(10, "250")], back=7, forward=7)

    assert [c.quantity for c in trail] == [100, 100, 50]
    assert remaining_forecast(planned) == {day(15): 50}


def test_per_bucket_the_plan_is_the_greater_of_forecast_and_orders():
    buckets = weekly(["100", "100"])
    orders = [order(2, "30", "SO-1/1"), order(4, "40", "SO-2/1"), order(9, "130", "SO-3/1")]

    planned, _ = run(buckets, orders, back=0, forward=0)

    per_week = {}
    for p in planned:
        week = p.date - timedelta(days=p.date.weekday())
        per_week[week] = per_week.get(week, 0) + p.quantity
    assert per_week == {day(1): max(100, 70), day(8): max(100, 130)}


def test_earlier_orders_consume_first_and_past_due_orders_come_on_start():
    buckets = weekly(["100", "100", "100"])
    orders = [order(16, "80", "SO-2/1"), order(2, "50", "SO-1/1")]

    planned, trail = run(buckets, orders, back=7, forward=7, start=day(8))

    assert trail[0].order_ref == "SO-1/1"
    assert [(p.date, p.quantity, p.source_ref) for p in planned if p.source_kind != "forecast"] == [
        (day(8), 50, "SO-1/1"),
        (day(16), 80, "SO-2/1"),
    ]
    # week 1 has ended by `start` and is not planned; weeks 2 and 3 keep what the orders left
    assert remaining_forecast(planned) == {day(8): 100, day(15): 20}


def test_the_bucket_holding_start_counts_on_start():
    planned, _ = run(weekly(["100", "100"]), [], back=7, forward=7, start=day(3))

    assert remaining_forecast(planned) == {day(3): 100, day(8): 100}


QUANTITIES = st.integers(min_value=0, max_value=500).map(Decimal)


@st.composite
def scenarios(draw):
    bucket_days = draw(st.sampled_from([1, 7]))
    count = draw(st.integers(min_value=0, max_value=12))
    weeks = sorted(draw(st.sets(st.integers(0, 30), min_size=count, max_size=count)))
    buckets = [
        ForecastBucket(
            ITEM,
            JUNE + timedelta(days=w * bucket_days),
            JUNE + timedelta(days=(w + 1) * bucket_days),
            draw(QUANTITIES),
            f"F/1/{w}",
        )
        for w in weeks
    ]
    orders = [
        OrderDemand(
            ITEM,
            JUNE + timedelta(days=draw(st.integers(-10, 30 * bucket_days + 10))),
            draw(QUANTITIES.filter(lambda q: q > 0)),
            f"SO-{n}/1",
        )
        for n in range(draw(st.integers(0, 8)))
    ]
    return buckets, orders, draw(st.integers(0, 30)), draw(st.integers(0, 30))


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_property_planned_demand_covers_orders_and_forecast_without_double_counting(scenario):
    buckets, orders, back, forward = scenario
    everything = {"start": JUNE - timedelta(days=400), "end": JUNE + timedelta(days=1000)}

    planned, trail = run(buckets, orders, back, forward, **everything)

    total_orders = sum((o.quantity for o in orders), Decimal(0))
    total_forecast = sum((b.quantity for b in buckets), Decimal(0))
    total = sum((p.quantity for p in planned), Decimal(0))
    consumed = sum((c.quantity for c in trail), Decimal(0))
    assert total >= total_orders
    assert total >= total_forecast
    assert total == total_orders + total_forecast - consumed  # each unit counted once
    per_bucket = {b.ref: Decimal(0) for b in buckets}
    per_order = {o.ref: Decimal(0) for o in orders}
    for c in trail:
        per_bucket[c.forecast_ref] += c.quantity
        per_order[c.order_ref] += c.quantity
    assert all(per_bucket[b.ref] <= b.quantity for b in buckets)
    assert all(per_order[o.ref] <= o.quantity for o in orders)
    # every order line is planned whole, as ordered
    assert sorted(p.quantity for p in planned if p.source_kind == "demand_order") == sorted(
        o.quantity for o in orders
    )


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_property_a_window_wide_enough_plans_the_greater_of_all_orders_and_all_forecast(scenario):
    buckets, orders, _, _ = scenario

    planned, _ = run(
        buckets, orders, 5000, 5000, start=JUNE - timedelta(days=400), end=JUNE + timedelta(999)
    )

    total_orders = sum((o.quantity for o in orders), Decimal(0))
    total_forecast = sum((b.quantity for b in buckets), Decimal(0))
    assert sum(p.quantity for p in planned) == max(total_orders, total_forecast)


@pytest.mark.django_db
def test_planned_demand_reads_the_active_forecast_and_open_orders_in_four_queries(
    django_assert_max_num_queries,
):
    shop = world()
    planner = PlannerFactory()
    PlantPlanningSettings.objects.create(
        plant=shop["P100"], consumption_backward_days=0, consumption_forward_days=7
    )
    lines = [
        {"item": "BIKE", "period_start": "2026-06-01", "quantity": "100", "uom": "EA"},
        {"item": "BIKE", "period_start": "2026-06-08", "quantity": "100", "uom": "EA"},
        {"item": "TRIKE", "period_start": "2026-06-08", "quantity": "10", "uom": "EA"},
    ]
    version = forecasts.forecast_publish(**forecast_data(lines), source_system="DP")
    forecasts.forecast_approve(forecast=version, acting_user=planner)
    forecasts.forecast_activate(forecast=version, acting_user=planner)
    draft = forecasts.forecast_publish(**forecast_data(lines, version=2), status="draft")
    assert draft.status == "draft"  # not active: never planned
    so = DemandOrder.objects.create(number="SO-9", customer="ACME", source_system="ERP")
    for number, item, due, quantity, status in [
        (1, "BIKE", date(2026, 5, 20), "30", "open"),  # past due
        (2, "BIKE", date(2026, 6, 9), "150", "open"),
        (3, "BIKE", date(2026, 6, 10), "999", "cancelled"),
    ]:
        DemandOrderLine.objects.create(
            order=so,
            line=number,
            item=shop[item],
            plant=shop["P100"],
            quantity=Decimal(quantity),
            entered_quantity=Decimal(quantity),
            entered_uom="EA",
            due_date=due,
            status=status,
        )

    with django_assert_max_num_queries(4):
        planned = planned_demand(
            shop["P100"], item_ids=None, start=date(2026, 6, 3), end=date(2026, 6, 30)
        )

    bike, trike = shop["BIKE"].pk, shop["TRIKE"].pk
    assert sorted(planned, key=lambda p: (p.item_id, p.date, p.source_ref)) == [
        # the past-due 30 came too late for May's forecast and consumes nothing it can reach
        PlannedDemand(bike, date(2026, 6, 3), Decimal("100"), "forecast", "DP/1/2026-06-01"),
        PlannedDemand(bike, date(2026, 6, 3), Decimal("30"), "demand_order", "SO-9/1"),
        PlannedDemand(bike, date(2026, 6, 9), Decimal("150"), "demand_order", "SO-9/2"),
        PlannedDemand(trike, date(2026, 6, 8), Decimal("10"), "forecast", "DP/1/2026-06-08"),
    ]
    only_trike = planned_demand(
        shop["P100"], item_ids=[trike], start=date(2026, 6, 3), end=date(2026, 6, 30)
    )
    assert [p.item_id for p in only_trike] == [trike]
