"""MRP end to end on PostgreSQL: load, plan, write, pegging, runs, net change, locks."""

from decimal import Decimal

import pytest
from django.db import connection

from integrations.models import Event
from planning.models import MrpMessage, MrpRecord, MrpRun, NetChangeRequest, PlannedOrder
from planning.pegging import end_demands
from planning.runs import LOCK_NAMESPACE, mrp_run_full, net_change_drain, net_change_request
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


def test_before_the_first_full_run_there_is_no_plan_to_change():
    plant = bike_plant()
    assert net_change_request(plant=plant.plant, item_ids=[plant.bike.pk], reason="x") == 0
    assert not NetChangeRequest.objects.exists() and not MrpRun.objects.exists()


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
