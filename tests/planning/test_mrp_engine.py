"""The engine's own rules: effectivity, scrap, past due, open-order advice, pegging, net change."""

from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from planning.mrp import (
    BomLine,
    Demand,
    Horizon,
    Item,
    LotSizing,
    PlanningInput,
    ScheduledReceipt,
    lead_time_buckets,
    low_level_codes,
    plan,
)


def order(item_id: str, bucket: int, quantity: float, number: int = 1) -> Demand:
    return Demand(bucket, quantity, ("order", f"SO-{item_id}-{number}/10"))


def kinds(result) -> list[tuple]:
    return [
        (e.kind, e.item_id, e.bucket, e.to_bucket, e.quantity, e.receipt_id)
        for e in result.exceptions
    ]


@pytest.mark.parametrize(
    ("days", "bucket_days", "buckets"),
    [
        (0, 7, 0),
        (1, 7, 1),
        (7, 7, 1),
        (14, 7, 2),
        (15, 7, 3),
        (3.5, 7, 1),
        (10, 1, 10),
        (0.3, 0.1, 3),
    ],
)
def test_lead_time_in_days_rounds_up_to_whole_buckets(days, bucket_days, buckets):
    assert lead_time_buckets(days, bucket_days) == buckets


def test_lead_time_conversion_rejects_nonsense():
    with pytest.raises(ValueError):
        lead_time_buckets(5, 0)
    with pytest.raises(ValueError):
        lead_time_buckets(-1, 7)


def test_weekly_horizon_maps_dates_to_buckets():
    # Given
    horizon = Horizon.weekly(date(2026, 1, 5), 52, today=date(2026, 1, 14))

    # Then
    assert horizon.today_bucket == 1
    assert horizon.bucket_of(date(2026, 1, 4)) == -1
    assert horizon.bucket_of(date(2026, 1, 5)) == 0
    assert horizon.bucket_of(date(2026, 1, 11)) == 0
    assert horizon.bucket_of(date(2026, 12, 28)) == 51
    assert horizon.bucket_of(date(2027, 1, 4)) == 52


def test_component_requirement_uses_the_bom_effective_at_parent_release():
    # Given: revision 1 uses C1 until bucket 4, revision 2 uses C2 from bucket 4
    parent = Item(
        "P",
        0,
        "make",
        lead_time=1,
        bom=(
            BomLine("C1", 2, effective_to_bucket=4),
            BomLine("C2", 3, effective_from_bucket=4),
        ),
        demands=(order("P", 3, 10), order("P", 5, 20, 2)),
    )
    items = (parent, Item("C1", 1, "buy", 0), Item("C2", 1, "buy", 0))

    # When
    result = plan(PlanningInput(Horizon(8), items))

    # Then: released in 2 (revision 1) and in 4 (revision 2)
    assert result.record("P").planned_releases.tolist() == [0, 0, 10, 0, 20, 0, 0, 0]
    assert result.record("C1").gross_requirements.tolist() == [0, 0, 20, 0, 0, 0, 0, 0]
    assert result.record("C2").gross_requirements.tolist() == [0, 0, 0, 0, 60, 0, 0, 0]


def test_scrap_raises_the_component_requirement():
    parent = Item(
        "P", 0, "make", 0, bom=(BomLine("C", 2, scrap_percent=10),), demands=(order("P", 1, 50),)
    )
    result = plan(PlanningInput(Horizon(3), (parent, Item("C", 1, "buy", 0))))
    assert result.record("C").gross_requirements.tolist() == pytest.approx([0, 110, 0])


def test_shared_component_sums_parents_at_different_levels():
    # Given: C is used by the end item directly and through B, so C is level 2
    a = Item(
        "A", 0, "make", 1, bom=(BomLine("B", 1), BomLine("C", 1)), demands=(order("A", 5, 10),)
    )
    b = Item("B", 1, "make", 1, bom=(BomLine("C", 2),))
    c = Item("C", 2, "buy", 1)
    assert low_level_codes(PlanningInput(Horizon(6), (a, b, c))) == {"A": 0, "B": 1, "C": 2}

    # When
    result = plan(PlanningInput(Horizon(6), (a, b, c)))

    # Then: A releases 10 in 4 (C: 10), B releases 10 in 3 (C: 20)
    assert result.record("C").gross_requirements.tolist() == [0, 0, 0, 20, 10, 0]
    assert result.record("C").planned_releases.tolist() == [0, 0, 20, 10, 0, 0]


def test_release_before_today_is_expedited_from_today_and_short_where_it_cannot_arrive():
    # Given: 30 needed in bucket 1, lead time 3, nothing on hand
    item = Item("X", 0, "buy", 3, demands=(order("X", 1, 30),), supplier_id="SUP-9")

    # When
    result = plan(PlanningInput(Horizon(6), (item,)))

    # Then
    [planned] = result.planned_orders
    assert (planned.release_bucket, planned.due_bucket, planned.past_due) == (0, 1, True)
    assert (planned.kind, planned.supplier_id) == ("buy", "SUP-9")
    assert kinds(result) == [
        ("shortage", "X", 1, None, 30.0, None),
        ("expedite", "X", 1, 0, 30.0, None),
    ]
    assert "released in bucket -2" in result.exceptions[1].reason
    assert result.record("X").projected_on_hand.min() == 0


def test_safety_stock_top_up_in_lead_time_is_expedite_but_not_shortage():
    item = Item("X", 0, "buy", 2, on_hand=5, safety_stock=10)
    result = plan(PlanningInput(Horizon(4), (item,)))
    assert [e.kind for e in result.exceptions] == ["expedite"]
    assert result.record("X").planned_receipts.tolist() == [5, 0, 0, 0]


def test_demand_and_receipts_before_today_fall_into_today():
    # Given: today is bucket 2; an overdue order and an overdue purchase order
    item = Item(
        "X",
        0,
        "buy",
        0,
        demands=(order("X", 0, 7), order("X", 3, 4, 2)),
        scheduled_receipts=(ScheduledReceipt.purchase_order("PO-1", 10, requested_bucket=1),),
    )

    # When
    result = plan(PlanningInput(Horizon(5, today_bucket=2), (item,)))

    # Then
    record = result.record("X")
    assert record.gross_requirements.tolist() == [0, 0, 7, 4, 0]
    assert record.scheduled_receipts.tolist() == [0, 0, 10, 0, 0]
    assert record.projected_on_hand.tolist() == [0, 0, 3, 0, 0]
    assert record.planned_receipts.tolist() == [0, 0, 0, 1, 0]


def test_late_open_order_is_rescheduled_in_instead_of_duplicated():
    # Given: 40 needed in bucket 2, the open order for 50 arrives in bucket 4
    item = Item(
        "X",
        0,
        "buy",
        1,
        demands=(order("X", 2, 40), order("X", 5, 10, 2)),
        scheduled_receipts=(ScheduledReceipt.purchase_order("PO-7", 50, requested_bucket=4),),
    )

    # When
    result = plan(PlanningInput(Horizon(6), (item,)))

    # Then: no planned order; the record keeps the order where it is, advice moves it
    assert result.planned_orders == []
    assert kinds(result) == [("reschedule_in", "X", 4, 2, 50.0, "PO-7")]
    assert result.record("X").projected_on_hand.tolist() == [0, 0, -40, -40, 10, 0]


def test_partly_sufficient_late_order_is_moved_in_and_topped_up():
    item = Item(
        "X",
        0,
        "buy",
        1,
        demands=(order("X", 2, 40),),
        scheduled_receipts=(ScheduledReceipt.purchase_order("PO-7", 25, requested_bucket=4),),
    )
    result = plan(PlanningInput(Horizon(6), (item,)))
    assert [(o.quantity, o.due_bucket) for o in result.planned_orders] == [(15, 2)]
    assert [e.kind for e in result.exceptions] == ["reschedule_in"]


def test_early_open_order_is_rescheduled_out_and_an_unneeded_one_cancelled():
    item = Item(
        "X",
        0,
        "buy",
        1,
        on_hand=10,
        demands=(order("X", 4, 30),),
        scheduled_receipts=(
            ScheduledReceipt.purchase_order("PO-1", 20, requested_bucket=1),
            ScheduledReceipt.purchase_order("PO-2", 20, requested_bucket=2),
        ),
    )
    result = plan(PlanningInput(Horizon(6), (item,)))
    assert kinds(result) == [
        ("reschedule_out", "X", 1, 4, 20.0, "PO-1"),
        ("cancel", "X", 2, None, 20.0, "PO-2"),
    ]


def test_supplier_confirming_after_request_and_need_is_a_late_confirmation():
    # Given: needed in 2, requested for 2, supplier confirmed 4
    item = Item(
        "X",
        0,
        "buy",
        1,
        demands=(order("X", 2, 40),),
        scheduled_receipts=(
            ScheduledReceipt.purchase_order("PO-9", 40, requested_bucket=2, confirmed_bucket=4),
        ),
    )

    # When
    result = plan(PlanningInput(Horizon(6), (item,)))

    # Then
    assert kinds(result) == [
        ("reschedule_in", "X", 4, 2, 40.0, "PO-9"),
        ("late_confirmation", "X", 4, 2, 40.0, "PO-9"),
    ]
    assert "after its requested bucket 2" in result.exceptions[1].reason


def test_open_order_beyond_the_horizon_needed_inside_it_is_rescheduled_in():
    item = Item(
        "X",
        0,
        "buy",
        1,
        demands=(order("X", 3, 10),),
        scheduled_receipts=(ScheduledReceipt.purchase_order("PO-late", 10, requested_bucket=9),),
    )
    result = plan(PlanningInput(Horizon(6), (item,)))
    assert kinds(result) == [("reschedule_in", "X", 9, 3, 10.0, "PO-late")]
    assert result.planned_orders == []


def test_make_orders_carry_no_supplier():
    item = Item("M", 0, "make", 1, demands=(order("M", 2, 5),), supplier_id="ignored")
    [planned] = plan(PlanningInput(Horizon(4), (item,))).planned_orders
    assert (planned.kind, planned.supplier_id, planned.release_bucket) == ("make", None, 1)


def test_period_order_quantity_then_minimum_then_multiple():
    # Given: three periods of 7 = 21, raised to the minimum 30, rounded to 12s = 36
    item = Item(
        "X",
        0,
        "buy",
        0,
        lot_sizing=LotSizing.period(3),
        minimum_order_quantity=30,
        order_multiple=12,
        demands=tuple(order("X", bucket, 7, bucket) for bucket in range(6)),
    )
    result = plan(PlanningInput(Horizon(6), (item,)))
    assert result.record("X").planned_receipts.tolist() == [36, 0, 0, 0, 0, 36]


def test_pegging_traces_components_to_customer_orders_first_in_first_out():
    # Given: two orders for the end item; the component's on hand covers the first only
    end = Item(
        "A",
        0,
        "make",
        1,
        bom=(BomLine("B", 2),),
        demands=(order("A", 2, 10), order("A", 4, 5, 2)),
    )
    component = Item(
        "B",
        1,
        "buy",
        1,
        on_hand=20,
        scheduled_receipts=(ScheduledReceipt.purchase_order("PO-B", 10, requested_bucket=3),),
    )

    # When
    result = plan(PlanningInput(Horizon(6), (end, component)))

    # Then
    pegs = {(p.supply_kind, p.supply_id, p.demand_source[1]): p.quantity for p in result.pegs("B")}
    assert pegs == {
        ("on_hand", None, "SO-A-1/10"): 20,
        ("scheduled_receipt", "PO-B", "SO-A-2/10"): 10,
    }
    direct = result.direct_pegs("B")
    assert {(p.parent_item_id, p.parent_due_bucket) for p in direct} == {("A", 2), ("A", 4)}
    assert [(p.demand_source, p.quantity) for p in result.pegs("A", "planned_order", 4)] == [
        (("order", "SO-A-2/10"), 5)
    ]


def test_components_of_a_lot_remnant_peg_to_nothing_above():
    # Given: the end item is made in lots of 10 for a demand of 4
    end = Item(
        "A",
        0,
        "make",
        0,
        lot_sizing=LotSizing.fixed(10),
        bom=(BomLine("B", 1),),
        demands=(order("A", 1, 4),),
    )
    result = plan(PlanningInput(Horizon(3), (end, Item("B", 1, "buy", 0))))
    [direct] = result.direct_pegs("B")
    assert direct.quantity == 10
    assert [(p.demand_source, p.quantity) for p in result.pegs("B")] == [
        (("order", "SO-A-1/10"), 4)
    ]


def test_low_level_codes_must_sit_below_parents():
    parent = Item("P", 1, "make", 0, bom=(BomLine("C", 1),))
    with pytest.raises(ValueError, match="low-level code"):
        plan(PlanningInput(Horizon(2), (parent, Item("C", 1, "buy", 0))))


def test_unknown_component_and_cycles_are_refused():
    with pytest.raises(ValueError, match="not among the items"):
        plan(PlanningInput(Horizon(2), (Item("P", 0, "make", 0, bom=(BomLine("Z", 1),)),)))
    cycle = (
        Item("P", 0, "make", 0, bom=(BomLine("C", 1),)),
        Item("C", 1, "make", 0, bom=(BomLine("P", 1),)),
    )
    with pytest.raises(ValueError, match="cycle"):
        low_level_codes(PlanningInput(Horizon(2), cycle))


def test_outside_requirements_are_planned_as_the_parent_release_they_stand_for():
    # Given: a bike (1 week) of 2 wheels; 10 bikes due week 3 release in week 2
    bike = Item("B", 0, "make", 1, bom=(BomLine("W", 2),), demands=(order("B", 3, 10),))
    wheel = Item("W", 1, "buy", 1, on_hand=5)
    with_parent = plan(PlanningInput(Horizon(6), (bike, wheel))).record("W")

    # When: the wheel is planned alone, the bike's release given as its outside requirements
    alone = replace(wheel, outside_requirements=(0, 0, 20, 0, 0, 0))
    record = plan(PlanningInput(Horizon(6), (alone,))).record("W")

    # Then: the same record, 15 wheels released in week 1
    assert record.gross_requirements.tolist() == with_parent.gross_requirements.tolist()
    assert record.planned_releases.tolist() == with_parent.planned_releases.tolist()
    assert record.planned_releases.tolist() == [0, 15, 0, 0, 0, 0]


@pytest.mark.parametrize("outside", [(1.0, 2.0), (0, 0, -1, 0, 0, 0)])
def test_outside_requirements_cover_the_horizon_and_are_not_negative(outside):
    wheel = Item("W", 1, "buy", 1, outside_requirements=outside)
    with pytest.raises(ValueError, match="outside requirements of 'W'"):
        plan(PlanningInput(Horizon(6), (wheel,)))


def test_net_change_replans_below_the_changed_item_only():
    # Given: two end items sharing a component
    items = (
        Item("A", 0, "make", 1, bom=(BomLine("C", 1),), demands=(order("A", 3, 10),)),
        Item("B", 0, "make", 1, bom=(BomLine("C", 1),), demands=(order("B", 4, 5),)),
        Item("C", 1, "buy", 1, on_hand=3),
    )
    before = plan(PlanningInput(Horizon(6), items))
    changed = (replace(items[0], demands=(order("A", 3, 25),)), *items[1:])

    # When
    after = plan(PlanningInput(Horizon(6), changed), only_items=["A"], previous=before)

    # Then
    full = plan(PlanningInput(Horizon(6), changed))
    assert after.replanned.tolist() == [True, False, True]
    for name, matrix in full.matrices().items():
        np.testing.assert_array_equal(after.matrices()[name], matrix, err_msg=name)
    assert after.planned_orders == full.planned_orders
    assert after.pegs("C") == full.pegs("C")


def test_net_change_after_a_bom_line_is_removed_clears_the_old_component():
    # Given: A stops using C, which is now below nothing
    items = (
        Item("A", 0, "make", 1, bom=(BomLine("C", 1),), demands=(order("A", 3, 10),)),
        Item("C", 1, "buy", 1),
    )
    before = plan(PlanningInput(Horizon(6), items))
    changed = (replace(items[0], bom=()), replace(items[1], low_level_code=0))

    # When
    after = plan(PlanningInput(Horizon(6), changed), only_items=["A"], previous=before)

    # Then
    assert after.record("C").gross_requirements.tolist() == [0] * 6
    assert [o.item_id for o in after.planned_orders] == ["A"]


def test_net_change_refuses_a_different_item_master():
    before = plan(PlanningInput(Horizon(3), (Item("A", 0, "buy", 0),)))
    with pytest.raises(ValueError, match="same items"):
        plan(
            PlanningInput(Horizon(3), (Item("B", 0, "buy", 0),)), only_items=["B"], previous=before
        )
    with pytest.raises(ValueError, match="previous result"):
        plan(PlanningInput(Horizon(3), (Item("A", 0, "buy", 0),)), only_items=["A"])
