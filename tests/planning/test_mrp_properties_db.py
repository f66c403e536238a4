"""Net change through the database equals a full run (hypothesis, on PostgreSQL).

The pure engine's version of this property is in test_mrp_properties.py; this one goes through
the loader (net-change mode loads only the affected items and takes untouched parents' stored
planned orders as their demand), the engine and the writer: on a random small network built
with the factories and the forecast services, change one end item's forecast, run
`net_change_request` + `net_change_drain` for that item only, and the stored plan (planned
orders, advice, projected records) must be exactly what a full regenerative run then stores.
"""

from decimal import Decimal

import numpy as np
import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from execution.models import InventoryBalance
from masterdata.models import Bom, BomLine, Item
from masterdata.services import low_level_codes_recompute
from planning.models import MrpMessage, MrpRecord, MrpRun, NetChangeRequest, PlannedOrder
from planning.runs import mrp_run_full, net_change_drain, net_change_request
from planning.services.forecasts import forecast_approve_by_policy, forecast_publish
from tests.factories import (
    ItemFactory,
    ItemPlantFactory,
    PlantFactory,
    SourcingRuleFactory,
    SupplierFactory,
    UnitFactory,
)
from tests.planning.mrp_fixtures import week
from tests.procurement.factories import issued_po

pytestmark = pytest.mark.django_db

QUANTITIES = st.sampled_from(["0", "5", "10", "20", "35"])


class _Rollback(Exception):
    """Each example rolls its world back, so examples never see each other's rows."""


@st.composite
def networks(draw):
    """Items 0..n-1; item i's components are drawn among items after it (so no cycle)."""
    size = draw(st.integers(2, 6))
    params = [
        {
            "lead_time_days": draw(st.sampled_from([0, 3, 7, 14])),
            "safety_stock": draw(st.sampled_from(["0", "0", "5"])),
            "rule": draw(st.sampled_from(["lot_for_lot", "fixed", "period"])),
            "fixed": draw(st.sampled_from(["10", "25"])),
            "periods": draw(st.integers(1, 3)),
            "minimum": draw(st.sampled_from(["0", "0", "15"])),
            "multiple": draw(st.sampled_from(["0", "0", "4"])),
            "on_hand": draw(st.sampled_from(["0", "0", "8", "30"])),
        }
        for _ in range(size)
    ]
    edges = {
        (parent, component): draw(st.sampled_from(["1", "2", "0.5"]))
        for parent in range(size)
        for component in range(parent + 1, size)
        if draw(st.booleans())
    }
    end_items = [i for i in range(size) if not any(c == i for _, c in edges)]
    forecast = {
        (item, w): draw(QUANTITIES)
        for item in end_items
        for w in draw(st.sets(st.integers(1, 10), max_size=3))
    }
    receipts = [
        (item, draw(st.integers(1, 10)), draw(st.sampled_from(["10", "20"])))
        for item in range(size)
        if item not in end_items and draw(st.integers(0, 2)) == 0
    ]
    changed = draw(st.sampled_from(end_items))
    new_forecast = {
        (changed, w): draw(QUANTITIES) for w in draw(st.sets(st.integers(0, 10), max_size=3))
    }
    # A version needs a line: week 11 always forecasts something, before and after.
    forecast[(changed, 11)] = draw(st.sampled_from(["5", "10"]))
    new_forecast[(changed, 11)] = draw(st.sampled_from(["5", "10", "20"]))
    return params, edges, forecast, receipts, changed, new_forecast


def build(params, edges, receipts):
    plant = PlantFactory(code="P100")
    each = UnitFactory(code="EA")
    supplier = SupplierFactory(code="SUP")
    components = {c for _, c in edges}
    items = []
    for n, p in enumerate(params):
        buy = n in components and not any(parent == n for parent, _ in edges)
        item = ItemFactory(code=f"I{n}", base_uom=each, item_type="buy" if buy else "make")
        ItemPlantFactory(
            item=item,
            plant=plant,
            lead_time_days=p["lead_time_days"],
            safety_stock=Decimal(p["safety_stock"]),
            lot_size_rule=p["rule"],
            lot_size_quantity=Decimal(p["fixed"]) if p["rule"] == "fixed" else None,
            lot_size_periods=p["periods"] if p["rule"] == "period" else None,
            min_order_quantity=Decimal(p["minimum"]),
            order_multiple=Decimal(p["multiple"]),
        )
        if buy:
            SourcingRuleFactory(
                item=item, supplier=supplier, plant=plant, lead_time_days=p["lead_time_days"]
            )
        InventoryBalance.objects.create(item=item, plant=plant, on_hand=Decimal(p["on_hand"]))
        items.append(item)
    for parent in range(len(params)):
        lines = [(c, q) for (p, c), q in edges.items() if p == parent]
        if lines:
            bom = Bom.objects.create(parent=items[parent], plant=plant, revision="A")
            for component, quantity in lines:
                BomLine.objects.create(
                    bom=bom, component=items[component], quantity=Decimal(quantity), uom=each
                )
    low_level_codes_recompute()
    for item, w, quantity in receipts:
        if Item.objects.get(pk=items[item].pk).item_type == "buy":
            issued_po(
                supplier,
                lines=[
                    {
                        "line": 10,
                        "item": items[item].code,
                        "quantity": quantity,
                        "uom": "EA",
                        "requested_date": week(w),
                    }
                ],
            )
    return plant, items


def activate(version: int, forecast: dict) -> None:
    lines = [
        {"item": f"I{item}", "period_start": week(w).isoformat(), "quantity": q, "uom": "EA"}
        for (item, w), q in sorted(forecast.items())
        if Decimal(q) > 0
    ]
    published = forecast_publish(
        plan="DP", plant="P100", version=version, bucket="week", lines=lines
    )
    forecast_approve_by_policy(forecast=published, activate=True)


def stored_plan(plant) -> tuple[set, set, dict]:
    orders = set(
        PlannedOrder.objects.filter(plant=plant, status="planned").values_list(
            "item__code", "kind", "quantity", "release_date", "due_date", "supplier__code"
        )
    )
    advice = set(
        MrpMessage.objects.filter(plant=plant).values_list(
            "item__code", "kind", "date", "to_date", "quantity", "po_line_id"
        )
    )
    records = {
        code: (first, on_hand, safety, np.frombuffer(values, "<f8").reshape(-1, count).tolist())
        for code, first, count, on_hand, safety, values in MrpRecord.objects.filter(
            plant=plant
        ).values_list(
            "item__code", "first_bucket", "bucket_count", "on_hand", "safety_stock", "values"
        )
    }
    return orders, advice, records


SETTINGS = settings(
    max_examples=15,
    report_multiple_bugs=False,
    # Shrinking a database example takes minutes; the failing example is printed as drawn.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def net_change_then_full_run(network) -> tuple[tuple, tuple]:
    """The stored plan after net change for the changed item, then after a full run."""
    params, edges, forecast, receipts, changed, new_forecast = network
    try:
        with transaction.atomic():
            plant, items = build(params, edges, receipts)
            activate(1, forecast)
            mrp_run_full(plant=plant)
            # the changed item's forecast is replaced; every other line stays as it was
            kept = {key: q for key, q in forecast.items() if key[0] != changed}
            activate(2, kept | new_forecast)

            net_change_request(plant=plant, item_ids=[items[changed].pk], reason="forecast")
            runs = net_change_drain(plant)
            after_net_change = stored_plan(plant)
            assert [run.mode for run in runs] == [MrpRun.Mode.NET_CHANGE]
            assert not NetChangeRequest.objects.exists()
            mrp_run_full(plant=plant)
            after_full_run = stored_plan(plant)
            raise _Rollback
    except _Rollback:
        pass
    return after_net_change, after_full_run


@SETTINGS
@given(networks())
def test_net_change_after_a_forecast_change_stores_the_orders_and_advice_of_a_full_run(network):
    after_net_change, after_full_run = net_change_then_full_run(network)

    assert after_net_change[0] == after_full_run[0], "planned orders differ"
    assert after_net_change[1] == after_full_run[1], "advice differs"


@SETTINGS
@given(networks())
def test_net_change_after_a_forecast_change_stores_the_records_of_a_full_run(network):
    after_net_change, after_full_run = net_change_then_full_run(network)

    differing = {
        code: [
            (row, bucket, net_value, full_value)
            for row, (net_row, full_row) in enumerate(
                zip(after_net_change[2][code][3], record[3], strict=True)
            )
            for bucket, (net_value, full_value) in enumerate(zip(net_row, full_row, strict=True))
            if net_value != full_value
        ]
        for code, record in after_full_run[2].items()
        if after_net_change[2].get(code) != record
    }
    assert not differing, f"projected records differ (row, bucket, net change, full): {differing}"
