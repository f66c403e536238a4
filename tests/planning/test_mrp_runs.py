"""MRP end to end on PostgreSQL: load, plan, write, pegging, runs, net change, locks."""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from integrations.models import Event
from masterdata.models import Bom, BomLine, UomConversion
from planning.models import MrpMessage, MrpRecord, MrpRun, NetChangeRequest, PlannedOrder
from planning.mrp.loader import load
from planning.pegging import end_demands
from planning.runs import (
    LOCK_NAMESPACE,
    mrp_run_full,
    net_change_drain,
    net_change_request,
    stale_net_change_requests_requeue,
)
from tests.celery_worker import real_worker, wait_until
from tests.factories import PlantFactory, SourcingRuleFactory, SupplierFactory, UnitFactory
from tests.planning.mrp_fixtures import bike_plant, order, week

pytestmark = pytest.mark.django_db(transaction=True)


def planned(plant) -> set[tuple]:
    return set(
        PlannedOrder.objects.filter(plant=plant, status="planned").values_list(
            "item__code", "kind", "quantity", "release_date", "due_date", "supplier__code"
        )
    )


def test_full_run_explodes_nets_offsets_and_stores_the_plan():
    plant = bike_plant(wheel_on_hand="5")
    order("SO-1", plant.bike, plant.plant, "10", week(3))

    run = mrp_run_full(plant=plant.plant)

    assert run.status == MrpRun.Status.SUCCEEDED and run.items_planned == 2
    # Bike: 10 due week 3, released week 2 (1 week). Wheels: 2 × 10 = 20 at week 2, 5 on hand,
    # so 15 due week 2, released 2 weeks earlier (week 0), from the sourcing rule's supplier.
    assert planned(plant.plant) == {
        ("BIKE", "make", Decimal("10"), week(2), week(3), None),
        ("WHEEL", "buy", Decimal("15"), week(0), week(2), "RIMS"),
    }
    record = MrpRecord.objects.get(item=plant.wheel, plant=plant.plant)
    gross, _, projected = record.rows[0], record.rows[1], record.rows[2]
    assert gross[2] == 20 and projected[1] == 5 and projected[2] == 0
    assert run.planned_orders == 2 and run.exceptions == 0
    completed = Event.objects.get(event_type="mrp.completed")
    assert completed.data == {
        "run": str(run.pk),
        "mode": "full",
        "items": 2,
        "planned_orders": 2,
        "exceptions": 0,
        "duration_ms": run.duration_ms,
    }


def test_pegging_leads_from_a_component_to_the_customer_order():
    plant = bike_plant(wheel_on_hand="0")
    order("SO-7", plant.bike, plant.plant, "10", week(4))
    mrp_run_full(plant=plant.plant)
    wheels = PlannedOrder.objects.get(item=plant.wheel)

    (end,) = end_demands(
        plant=plant.plant,
        item_id=plant.wheel.pk,
        supply_kind="planned_order",
        supply_ref=wheels.number,
    )
    assert (end.kind, end.ref, end.item_id, end.date) == (
        "demand_order",
        "SO-7/1",
        plant.bike.pk,
        week(4),
    )
    assert end.quantity == Decimal("20")


def test_a_rerun_replaces_the_plan_instead_of_adding_to_it():
    plant = bike_plant()
    order("SO-1", plant.bike, plant.plant, "10", week(3))
    mrp_run_full(plant=plant.plant)
    mrp_run_full(plant=plant.plant)
    assert PlannedOrder.objects.count() == 2
    assert MrpRecord.objects.count() == 2


def test_past_due_release_is_advised_as_expedite_with_its_planned_order():
    plant = bike_plant(wheel_on_hand="0")
    order("SO-1", plant.bike, plant.plant, "10", week(1))
    mrp_run_full(plant=plant.plant)
    expedite = MrpMessage.objects.get(kind="expedite", item=plant.wheel)
    assert expedite.planned_order.item == plant.wheel
    assert expedite.planned_order.past_due
    assert "release it today and expedite" in expedite.reason


def test_net_change_equals_a_full_run_and_replans_only_what_is_below():
    plant = bike_plant()
    line = order("SO-1", plant.bike, plant.plant, "10", week(3))
    mrp_run_full(plant=plant.plant)
    line.quantity = Decimal("30")
    line.save()

    # Eager Celery drains as soon as the request commits, as a worker would.
    net_change_request(plant=plant.plant, item_ids=[plant.bike.pk], reason="SO-1 changed")
    run = MrpRun.objects.latest("id")
    after_net_change = planned(plant.plant)
    mrp_run_full(plant=plant.plant)

    assert run.mode == MrpRun.Mode.NET_CHANGE and run.items_planned == 2
    assert after_net_change == planned(plant.plant)
    assert not NetChangeRequest.objects.exists()


def test_net_change_of_a_component_keeps_the_parents_orders_as_its_demand():
    plant = bike_plant(wheel_on_hand="5")
    order("SO-1", plant.bike, plant.plant, "10", week(3))
    mrp_run_full(plant=plant.plant)
    bike_orders = list(
        PlannedOrder.objects.filter(item=plant.bike).values_list("number", flat=True)
    )

    net_change_request(plant=plant.plant, item_ids=[plant.wheel.pk], reason="stock counted")
    run = MrpRun.objects.latest("id")

    assert run.items_planned == 1
    assert (
        list(PlannedOrder.objects.filter(item=plant.bike).values_list("number", flat=True))
        == bike_orders
    )
    assert planned(plant.plant) >= {("WHEEL", "buy", Decimal("15"), week(0), week(2), "RIMS")}


def numbered(plant, item) -> dict:
    return dict(
        PlannedOrder.objects.filter(plant=plant, item=item, status="planned").values_list(
            "due_date", "number"
        )
    )


def test_net_change_keeps_unchanged_orders_and_their_numbers_and_replaces_changed_weeks():
    plant = bike_plant(wheel_on_hand="0")
    order("SO-1", plant.bike, plant.plant, "10", week(3))
    line = order("SO-2", plant.bike, plant.plant, "4", week(6))
    mrp_run_full(plant=plant.plant)
    bikes, wheels = numbered(plant.plant, plant.bike), numbered(plant.plant, plant.wheel)
    records = dict(MrpRecord.objects.values_list("item_id", "run_id"))

    line.quantity = Decimal("6")
    line.save()
    net_change_request(plant=plant.plant, item_ids=[plant.bike.pk], reason="SO-2 changed")
    run = MrpRun.objects.latest("id")
    after_net_change = planned(plant.plant)

    # The week-6 bike order (released week 5) and the wheels it needs week 5 are new; the
    # orders for SO-1 keep their numbers.
    now_bikes, now_wheels = numbered(plant.plant, plant.bike), numbered(plant.plant, plant.wheel)
    assert now_bikes[week(3)] == bikes[week(3)] and now_wheels[week(2)] == wheels[week(2)]
    assert now_bikes[week(6)] != bikes[week(6)] and now_bikes[week(6)].startswith(f"PL{run.pk}-")
    assert now_wheels[week(5)].startswith(f"PL{run.pk}-")
    assert set(now_bikes) == set(bikes) and set(now_wheels) == set(wheels)
    assert (
        dict(MrpRecord.objects.values_list("item_id", "run_id"))
        == {
            plant.bike.pk: run.pk,
            plant.wheel.pk: run.pk,
        }
        != records
    )
    mrp_run_full(plant=plant.plant)
    assert after_net_change == planned(plant.plant)


def test_a_net_change_that_alters_nothing_keeps_the_whole_plan():
    plant = bike_plant(wheel_on_hand="0")
    order("SO-1", plant.bike, plant.plant, "10", week(3))
    order("SO-2", plant.bike, plant.plant, "5", week(1))  # too soon: advice to act on
    mrp_run_full(plant=plant.plant)
    before = set(PlannedOrder.objects.values_list("number", "item_id", "quantity", "due_date"))
    records = dict(MrpRecord.objects.values_list("item_id", "run_id"))
    advice = set(MrpMessage.objects.values_list("pk", "kind", "item_id", "reason"))
    assert advice

    net_change_request(plant=plant.plant, item_ids=[plant.bike.pk], reason="nothing new")

    assert MrpRun.objects.latest("id").mode == MrpRun.Mode.NET_CHANGE
    assert set(PlannedOrder.objects.values_list("number", "item_id", "quantity", "due_date")) == (
        before
    )
    assert dict(MrpRecord.objects.values_list("item_id", "run_id")) == records
    assert set(MrpMessage.objects.values_list("pk", "kind", "item_id", "reason")) == advice


def test_a_new_preferred_supplier_moves_every_planned_order_of_the_item():
    plant = bike_plant(wheel_on_hand="0")
    order("SO-1", plant.bike, plant.plant, "10", week(3))
    mrp_run_full(plant=plant.plant)
    faster = SupplierFactory(code="SPOKES")
    SourcingRuleFactory(
        item=plant.wheel, supplier=faster, plant=plant.plant, lead_time_days=14, priority=0
    )
    plant.wheel.sourcing_rules.exclude(supplier=faster).update(priority=9)

    net_change_request(plant=plant.plant, item_ids=[plant.wheel.pk], reason="sourcing changed")

    wheels = PlannedOrder.objects.filter(item=plant.wheel, status="planned")
    assert set(wheels.values_list("supplier__code", flat=True)) == {"SPOKES"}
    assert MrpRecord.objects.get(item=plant.wheel).supplier_id == faster.pk


def _parent_demand(plant, mode) -> dict:
    """The wheel's demand by bucket when a net change plans it alone (the bike keeps its plan)."""
    loaded = load(plant.plant, today=week(0), item_ids=[plant.wheel.pk], parent_demand=mode)
    (wheel,) = loaded.inputs.items
    summed = defaultdict(float)
    for demand in wheel.demands:
        summed[demand.bucket] += demand.quantity
    for bucket, quantity in enumerate(wheel.outside_requirements or ()):
        summed[bucket] += quantity
    return {bucket: round(quantity, 9) for bucket, quantity in summed.items() if quantity}


def _bike_orders(plant) -> None:
    for n, (quantity, due) in enumerate((("10", 3), ("7", 4), ("5", 4), ("9", 8))):
        order(f"SO-{n}", plant.bike, plant.plant, quantity, week(due))


def test_parents_stored_records_give_the_needs_of_each_of_their_orders():
    """The net change's parent demand ("totals", from the bike's stored record) equals what
    pegging reads order by order."""
    plant = bike_plant(wheel_on_hand="0")
    _bike_orders(plant)
    mrp_run_full(plant=plant.plant)

    by_order = _parent_demand(plant, "orders")
    assert by_order == {2: 20.0, 3: 24.0, 7: 18.0}
    assert _parent_demand(plant, "totals") == by_order


def test_parents_needs_follow_the_bom_revision_unit_and_scrap_of_each_week():
    plant = bike_plant(wheel_on_hand="0")
    pair = UnitFactory(code="PR", name="Pair")
    UomConversion.objects.create(from_uom=pair, to_uom=plant.wheel.base_uom, factor=Decimal("2"))
    Bom.objects.filter(parent=plant.bike).update(effective_to=week(5))
    later = Bom.objects.create(
        parent=plant.bike, plant=plant.plant, revision="B", effective_from=week(5)
    )
    # From week 5: one pair (two wheels) per bike, plus 10% scrap.
    BomLine.objects.create(
        bom=later, component=plant.wheel, quantity=1, uom=pair, scrap_percent=Decimal("10")
    )
    _bike_orders(plant)
    order("SO-9", plant.bike, plant.plant, "4", week(9))
    mrp_run_full(plant=plant.plant)

    by_order = _parent_demand(plant, "orders")
    assert by_order == {2: 20.0, 3: 24.0, 7: 19.8, 8: 8.8}
    assert _parent_demand(plant, "totals") == by_order


def test_a_parent_order_firmed_since_its_record_counts_once_as_firmed_and_not_as_planned():
    plant = bike_plant(wheel_on_hand="0")
    _bike_orders(plant)
    mrp_run_full(plant=plant.plant)
    # Firmed after the run: no longer the bike's planned release, now an allocation.
    PlannedOrder.objects.filter(item=plant.bike, due_date=week(4)).update(
        status=PlannedOrder.Status.FIRMED, firmed_at=timezone.now()
    )

    by_order = _parent_demand(plant, "orders")
    assert by_order == {2: 20.0, 3: 24.0, 7: 18.0}  # the firmed 12 bikes' 24 wheels, once
    assert _parent_demand(plant, "totals") == by_order


def test_a_parents_record_from_another_horizon_gives_way_to_its_orders():
    plant = bike_plant(wheel_on_hand="0")
    _bike_orders(plant)
    mrp_run_full(plant=plant.plant)
    record = MrpRecord.objects.get(item=plant.bike)
    record.first_bucket, record.values = week(-1), bytes(len(record.values))
    record.save()

    assert _parent_demand(plant, "totals") == {2: 20.0, 3: 24.0, 7: 18.0}


def test_before_the_first_full_run_there_is_no_plan_to_change():
    plant = bike_plant()
    assert net_change_request(plant=plant.plant, item_ids=[plant.bike.pk], reason="x") == 0
    assert not NetChangeRequest.objects.exists() and not MrpRun.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plant lock is PostgreSQL's")
def test_requests_made_while_the_plant_is_busy_wait_and_are_merged_into_one_run():
    plant = bike_plant()
    order("SO-1", plant.bike, plant.plant, "10", week(3))
    mrp_run_full(plant=plant.plant)
    import zlib

    key = zlib.crc32(b"P100")
    from django.db import connections

    other = connections.create_connection("default")
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, key])
        net_change_request(plant=plant.plant, item_ids=[plant.bike.pk], reason="first")
        net_change_request(plant=plant.plant, item_ids=[plant.wheel.pk], reason="second")
        assert net_change_drain(plant.plant) == []
        assert NetChangeRequest.objects.count() == 2
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, key])
    other.close()

    runs = net_change_drain(plant.plant)
    assert len(runs) == 1 and runs[0].items_requested == 2
    assert "first" in runs[0].trigger and "second" in runs[0].trigger
    assert not NetChangeRequest.objects.exists()
    assert connection.vendor == "postgresql"


def test_the_workbench_follows_the_plan_raising_and_auto_closing_mrp_exceptions():
    from planning.models import PlanningException

    plant = bike_plant(wheel_on_hand="0")
    line = order("SO-1", plant.bike, plant.plant, "10", week(1))
    mrp_run_full(plant=plant.plant)
    expedites = PlanningException.objects.open().filter(kind="expedite")
    assert {e.item.code for e in expedites} == {"WHEEL"}
    shortage = PlanningException.objects.open().get(kind="shortage", item=plant.wheel)
    assert shortage.key == f"shortage:{plant.plant.pk}:{plant.wheel.pk}"
    assert shortage.severity == PlanningException.Severity.HIGH
    before = PlanningException.objects.count()

    mrp_run_full(plant=plant.plant)
    assert PlanningException.objects.count() == before  # the same conditions, never twice

    line.due_date = week(8)
    line.save()
    run = mrp_run_full(plant=plant.plant)
    closed = PlanningException.objects.get(pk=shortage.pk)
    assert closed.closed_at is not None
    assert closed.close_reason == f"auto-closed: MRP run {run.pk} no longer advises it"


def test_the_exception_panel_shows_the_plan_the_pegging_and_firms_the_planned_order(client):
    from planning.models import PlanningException
    from tests.factories import PlannerFactory

    plant = bike_plant(wheel_on_hand="0")
    order("SO-9", plant.bike, plant.plant, "10", week(1))
    mrp_run_full(plant=plant.plant)
    expedite = PlanningException.objects.open().get(kind="expedite", item=plant.wheel)
    client.force_login(PlannerFactory())

    panel = client.get(f"/console/exceptions/{expedite.pk}/", HTTP_HX_REQUEST="true")
    html = panel.content.decode()
    assert panel.status_code == 200
    assert "Plan of WHEEL @ P100" in html and "Customer order SO-9/1" in html
    planned = PlannedOrder.objects.get(item=plant.wheel, status="planned")
    assert planned.number in html

    fixed = client.post(
        f"/console/exceptions/{expedite.pk}/fix/firm/",
        {"planned_order": planned.number},
        HTTP_HX_REQUEST="true",
    )
    assert fixed.status_code == 200
    planned.refresh_from_db()
    assert planned.status == "firmed" and planned.po_line is not None
    # The firmed order is supply now: the replan no longer advises expediting a planned order.
    expedite.refresh_from_db()
    assert expedite.closed_at is not None


@pytest.mark.worker
def test_requests_whose_drain_was_lost_are_planned_after_the_sweep():
    plant = bike_plant(wheel_on_hand="0")
    line = order("SO-1", plant.bike, plant.plant, "10", week(3))
    mrp_run_full(plant=plant.plant)
    line.quantity = Decimal("30")
    line.save()
    # a request stored as if its drain task had been lost (a worker killed before taking it)
    NetChangeRequest.objects.create(plant=plant.plant, item=plant.bike, reason="SO-1 changed")
    NetChangeRequest.objects.update(requested_at=timezone.now() - timedelta(minutes=5))
    # and one just made at another plant, whose drain may still be on its way
    other = PlantFactory(code="P200")
    NetChangeRequest.objects.create(plant=other, item=plant.wheel, reason="just now")

    with real_worker():
        assert stale_net_change_requests_requeue(older_than_seconds=60) == [plant.plant.pk]
        assert wait_until(
            lambda: not NetChangeRequest.objects.filter(plant=plant.plant).exists(), timeout=30
        )

    run = MrpRun.objects.latest("id")
    assert run.mode == MrpRun.Mode.NET_CHANGE and run.status == MrpRun.Status.SUCCEEDED
    assert ("BIKE", "make", Decimal("30"), week(2), week(3), None) in planned(plant.plant)
    assert stale_net_change_requests_requeue(older_than_seconds=60) == []
