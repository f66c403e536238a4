"""Invariants of any plan, over random networks (hypothesis)."""

from collections import defaultdict
from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planning.mrp import (
    BomLine,
    Demand,
    Horizon,
    Item,
    LotSizing,
    PlanningInput,
    ScheduledReceipt,
    low_level_codes,
    plan,
)

TOLERANCE = 1e-6
quantities = st.integers(0, 60).map(float)
lot_sizings = st.one_of(
    st.just(LotSizing.lot_for_lot()),
    st.integers(1, 40).map(lambda quantity: LotSizing.fixed(float(quantity))),
    st.integers(1, 4).map(LotSizing.period),
)


@st.composite
def networks(draw) -> PlanningInput:
    """A few items on up to four levels, shared components, demand, stock and open orders."""
    buckets = draw(st.integers(3, 10))
    today = draw(st.integers(0, 2))
    levels = draw(st.lists(st.integers(1, 3), min_size=1, max_size=4))
    ids = [[f"L{level}-{number}" for number in range(count)] for level, count in enumerate(levels)]
    below = {
        item_id: [c for deeper in ids[level + 1 :] for c in deeper]
        for level, of_level in enumerate(ids)
        for item_id in of_level
    }
    items = []
    for of_level in ids:
        for item_id in of_level:
            components = (
                draw(st.lists(st.sampled_from(below[item_id]), max_size=3, unique=True))
                if below[item_id]
                else []
            )
            bom = []
            for component in components:
                effective_from = draw(st.one_of(st.none(), st.integers(0, buckets)))
                bom.append(
                    BomLine(
                        component,
                        draw(st.sampled_from((1.0, 2.0, 0.5, 3.0))),
                        draw(st.sampled_from((0.0, 0.0, 10.0))),
                        effective_from_bucket=effective_from,
                    )
                )
            demands = tuple(
                Demand(bucket, quantity, ("order", f"SO-{item_id}-{number}/10"))
                for number, (bucket, quantity) in enumerate(
                    draw(st.lists(st.tuples(st.integers(-1, buckets), quantities), max_size=4))
                )
            )
            receipts = []
            for number, (requested, confirmed, quantity, is_work_order) in enumerate(
                draw(
                    st.lists(
                        st.tuples(
                            st.integers(0, buckets + 1),
                            st.one_of(st.none(), st.integers(0, buckets + 1)),
                            quantities,
                            st.booleans(),
                        ),
                        max_size=2,
                    )
                )
            ):
                if is_work_order:
                    receipts.append(
                        ScheduledReceipt.work_order(
                            f"WO-{item_id}-{number}", quantity, due_bucket=requested
                        )
                    )
                else:
                    receipts.append(
                        ScheduledReceipt.purchase_order(
                            f"PO-{item_id}-{number}",
                            quantity,
                            requested_bucket=requested,
                            confirmed_bucket=confirmed,
                        )
                    )
            items.append(
                Item(
                    item_id,
                    0,
                    "make" if bom else "buy",
                    lead_time=draw(st.integers(0, 3)),
                    on_hand=draw(quantities),
                    safety_stock=draw(st.sampled_from((0.0, 0.0, 5.0, 20.0))),
                    lot_sizing=draw(lot_sizings),
                    minimum_order_quantity=draw(st.sampled_from((0.0, 0.0, 25.0))),
                    order_multiple=draw(st.sampled_from((0.0, 0.0, 4.0, 10.0))),
                    bom=tuple(bom),
                    demands=demands,
                    scheduled_receipts=tuple(receipts),
                    supplier_id=None if bom else "SUP",
                )
            )
    return with_codes(
        PlanningInput(Horizon(buckets, today_bucket=min(today, buckets - 1)), tuple(items))
    )


def with_codes(inputs: PlanningInput) -> PlanningInput:
    codes = low_level_codes(inputs)
    return PlanningInput(
        inputs.horizon,
        tuple(replace(item, low_level_code=codes[item.item_id]) for item in inputs.items),
    )


def netted_projection(result, item_id: str) -> np.ndarray:
    """Projected on hand with open orders where netting counted them (advice followed)."""
    network = result.network
    row = network.index[item_id]
    receipts = slice(
        network.receipt_start[row], network.receipt_start[row] + network.receipt_count[row]
    )
    counted = np.zeros(network.bucket_count)
    for bucket, quantity in zip(
        result.receipt_bucket[receipts], network.receipt_quantity[receipts], strict=True
    ):
        if bucket < network.bucket_count:
            counted[bucket] += quantity
    record = result.record(item_id)
    return network.on_hand[row] + np.cumsum(
        counted - record.gross_requirements + record.planned_receipts
    )


# No example database: the tree stays clean and every run draws fresh networks.
SETTINGS = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@SETTINGS
@given(networks())
def test_projected_on_hand_never_below_safety_stock_where_lead_time_allows(inputs):
    result = plan(inputs)
    today = inputs.horizon.today_bucket
    rescheduled_in = {e.item_id for e in result.exceptions if e.kind == "reschedule_in"}
    for item in inputs.items:
        projected = netted_projection(result, item.item_id)
        # From today plus lead time on, planned orders can always arrive in time.
        assert (
            projected[today + item.lead_time :].min(initial=np.inf) >= item.safety_stock - TOLERANCE
        )
        # Earlier too, counting orders that are past due and expedited.
        assert projected[today:].min() >= item.safety_stock - TOLERANCE
        if item.item_id not in rescheduled_in:
            record = result.record(item.item_id).projected_on_hand
            assert record[today:].min() >= item.safety_stock - TOLERANCE


@SETTINGS
@given(networks())
def test_every_unit_of_demand_is_pegged_to_supply_no_later_than_it(inputs):
    result = plan(inputs)
    network, horizon = result.network, inputs.horizon
    pegged = defaultdict(float)
    for peg in result.direct_pegs():
        if peg.demand_source is not None:
            pegged[peg.demand_source] += peg.quantity
        else:
            pegged[(peg.parent_item_id, peg.parent_due_bucket, peg.item_id)] += peg.quantity

    wanted = defaultdict(float)
    for item in inputs.items:
        for demand in item.demands:
            if demand.bucket < horizon.bucket_count and demand.quantity > 0:
                wanted[demand.source] += demand.quantity
    items = {item.item_id: item for item in inputs.items}
    for order in result.planned_orders:
        for line in items[order.item_id].bom:
            if line.effective_in(order.release_bucket):
                wanted[(order.item_id, order.due_bucket, line.component_id)] += (
                    order.quantity * line.gross_quantity_per
                )
    assert pegged.keys() == {key for key, quantity in wanted.items() if quantity > TOLERANCE}
    for key, quantity in wanted.items():
        assert abs(pegged[key] - quantity) <= TOLERANCE * max(1.0, quantity), key

    table = result.peg_table
    supplied = defaultdict(float)
    for item, kind, ref, quantity in zip(
        table.supply_item, table.supply_kind, table.supply_ref, table.quantity, strict=True
    ):
        supplied[(int(item), int(kind), int(ref))] += quantity
    for order in result.planned_orders:
        assert (
            supplied[(network.index[order.item_id], 2, order.due_bucket)]
            <= order.quantity + TOLERANCE
        )


@SETTINGS
@given(networks())
def test_lot_sizes_respect_rule_minimum_and_multiple(inputs):
    result = plan(inputs)
    items = {item.item_id: item for item in inputs.items}
    for order in result.planned_orders:
        item = items[order.item_id]
        assert order.quantity >= item.minimum_order_quantity - TOLERANCE
        if item.order_multiple:
            assert (
                abs(
                    order.quantity / item.order_multiple
                    - round(order.quantity / item.order_multiple)
                )
                < 1e-9
            )
        if (
            item.lot_sizing.rule == "fixed"
            and not item.minimum_order_quantity
            and not item.order_multiple
        ):
            lots = order.quantity / item.lot_sizing.fixed_quantity
            assert abs(lots - round(lots)) < 1e-9
        assert order.release_bucket == max(
            order.due_bucket - item.lead_time, inputs.horizon.today_bucket
        )
        assert order.past_due == (order.due_bucket - item.lead_time < inputs.horizon.today_bucket)


@SETTINGS
@given(networks())
def test_record_balances_and_components_see_parent_releases(inputs):
    result = plan(inputs)
    items = {item.item_id: item for item in inputs.items}
    expected = defaultdict(lambda: np.zeros(inputs.horizon.bucket_count))
    for item in inputs.items:
        record = result.record(item.item_id)
        balance = item.on_hand + np.cumsum(
            record.scheduled_receipts - record.gross_requirements + record.planned_receipts
        )
        np.testing.assert_allclose(record.projected_on_hand, balance, atol=TOLERANCE)
        for bucket, released in enumerate(record.planned_releases):
            for line in items[item.item_id].bom:
                if released and line.effective_in(bucket):
                    expected[line.component_id][bucket] += released * line.gross_quantity_per
    for item in inputs.items:
        independent = np.zeros(inputs.horizon.bucket_count)
        for demand in item.demands:
            if demand.bucket < inputs.horizon.bucket_count:
                independent[max(demand.bucket, inputs.horizon.today_bucket)] += demand.quantity
        np.testing.assert_allclose(
            result.record(item.item_id).gross_requirements,
            independent + expected[item.item_id],
            atol=TOLERANCE,
        )


def changes(inputs: PlanningInput):
    """A strategy for one changed item: its demand, stock, parameters, open orders or BOM."""
    buckets = inputs.horizon.bucket_count

    def change(index: int, what: str, value: int) -> tuple[PlanningInput, str]:
        item = inputs.items[index]
        if what == "demand":
            changed = replace(
                item, demands=(*item.demands, Demand(value % buckets, 13.0, ("forecast", "new")))
            )
        elif what == "on_hand":
            changed = replace(item, on_hand=float(value))
        elif what == "lead_time":
            changed = replace(item, lead_time=value % 4, lot_sizing=LotSizing.period(1 + value % 3))
        elif what == "receipt":
            changed = replace(
                item,
                scheduled_receipts=(
                    *item.scheduled_receipts[1:],
                    ScheduledReceipt.purchase_order(
                        "PO-new", 17.0, requested_bucket=value % (buckets + 1)
                    ),
                ),
            )
        else:
            # A parent dropping a BOM line: the component loses demand it is no longer below.
            index = next((at for at, parent in enumerate(inputs.items) if parent.bom), index)
            item = inputs.items[index]
            changed = replace(item, bom=item.bom[:-1])
        items = list(inputs.items)
        items[index] = changed
        return with_codes(PlanningInput(inputs.horizon, tuple(items))), item.item_id

    return st.builds(
        change,
        st.integers(0, len(inputs.items) - 1),
        st.sampled_from(("demand", "on_hand", "lead_time", "receipt", "bom", "bom")),
        st.integers(0, 40),
    )


def pegs_by_supply_and_demand(result) -> dict:
    totals = defaultdict(float)
    for peg in result.direct_pegs():
        key = (
            peg.item_id,
            peg.supply_kind,
            peg.supply_id,
            peg.demand_source,
            peg.parent_item_id,
            peg.parent_due_bucket,
        )
        totals[key] += peg.quantity
    return {key: round(quantity, 6) for key, quantity in totals.items() if quantity > TOLERANCE}


@settings(SETTINGS, max_examples=400)
@given(st.data())
def test_net_change_after_a_random_change_equals_a_full_run(data):
    # Given
    inputs = data.draw(networks())
    before = plan(inputs)
    if data.draw(st.booleans()):
        _ = before.peg_table  # the previous run's pegs get reused when they exist
    changed, item_id = data.draw(changes(inputs))

    # When
    net_change = plan(changed, only_items=[item_id], previous=before)

    # Then
    full = plan(changed)
    for item in changed.items:
        net_record, full_record = net_change.record(item.item_id), full.record(item.item_id)
        for row in (
            "gross_requirements",
            "scheduled_receipts",
            "projected_on_hand",
            "net_requirements",
            "planned_receipts",
            "planned_releases",
        ):
            np.testing.assert_allclose(
                getattr(net_record, row), getattr(full_record, row), atol=TOLERANCE, err_msg=row
            )
    assert net_change.planned_orders == full.planned_orders
    assert net_change.exceptions == full.exceptions
    assert pegs_by_supply_and_demand(net_change) == pegs_by_supply_and_demand(full)
