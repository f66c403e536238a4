"""Acting on the plan: firming, change requests to suppliers, subscribers, ATP and the API."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from execution.services import inventory_adjust
from integrations.errors import ApplicationError, OwnershipError
from integrations.models import Event
from integrations.services import ownership_set
from planning.atp import discrete_atp
from planning.firming import planned_order_firm
from planning.models import MrpMessage, MrpRun, PlannedOrder, SupplierPlanningSettings
from planning.runs import mrp_run_full
from procurement.models import PurchaseOrderLine
from tests.factories import ExternalSystemFactory, PlannerFactory, SupplierUserFactory, UserFactory
from tests.planning.mrp_fixtures import bike_plant, order, week
from tests.procurement.factories import issued_po

pytestmark = pytest.mark.django_db(transaction=True)


def wheel_po(plant, *, due, quantity="20"):
    return issued_po(
        plant.supplier,
        lines=[
            {
                "line": 10,
                "item": "WHEEL",
                "quantity": quantity,
                "uom": "EA",
                "requested_date": due,
            }
        ],
    )


def test_a_late_po_is_advised_in_and_sent_to_a_supplier_set_for_automatic_change_requests():
    plant = bike_plant(wheel_on_hand="0")
    SupplierPlanningSettings.objects.create(supplier=plant.supplier, automatic_change_requests=True)
    po = wheel_po(plant, due=week(6))
    order("SO-1", plant.bike, plant.plant, "10", week(4))

    mrp_run_full(plant=plant.plant)

    line = PurchaseOrderLine.objects.get(po=po)
    assert line.requested_date == week(3)
    request = Event.objects.filter(event_type="purchase_order.change_requested").get()
    assert request.data["po"] == po.number
    assert request.data["lines"][0]["requested_date"] == week(3).isoformat()
    # The change request replanned the wheels: the advice is followed, so it is gone.
    assert MrpRun.objects.latest("id").mode == MrpRun.Mode.NET_CHANGE
    assert not MrpMessage.objects.filter(kind="reschedule_in").exists()


def test_without_the_setting_the_advice_waits_for_the_planner():
    plant = bike_plant(wheel_on_hand="0")
    po = wheel_po(plant, due=week(6))
    order("SO-1", plant.bike, plant.plant, "10", week(4))
    mrp_run_full(plant=plant.plant)
    advice = MrpMessage.objects.get(kind="reschedule_in")
    assert advice.po_line.po == po and advice.date == week(6) and advice.to_date == week(3)
    assert PurchaseOrderLine.objects.get(po=po).requested_date == week(6)
    assert not Event.objects.filter(event_type="purchase_order.change_requested").exists()


def test_firming_a_buy_makes_a_draft_po_and_replans():
    plant = bike_plant(wheel_on_hand="0")
    order("SO-1", plant.bike, plant.plant, "10", week(4))
    mrp_run_full(plant=plant.plant)
    wheels = PlannedOrder.objects.get(item=plant.wheel)

    firmed = planned_order_firm(planned_order=wheels, acting_user=PlannerFactory())

    assert firmed.status == PlannedOrder.Status.FIRMED
    assert firmed.po_line.po.status == "draft" and firmed.po_line.base_quantity == Decimal("20")
    assert firmed.po_line.po.supplier == plant.supplier
    # The replan counts the draft PO as supply: no new planned order for the wheels.
    assert not PlannedOrder.objects.filter(item=plant.wheel, status="planned").exists()
    assert MrpRun.objects.latest("id").mode == MrpRun.Mode.NET_CHANGE


def test_firming_is_for_planners_and_only_once():
    plant = bike_plant(wheel_on_hand="0")
    order("SO-1", plant.bike, plant.plant, "10", week(4))
    mrp_run_full(plant=plant.plant)
    wheels = PlannedOrder.objects.get(item=plant.wheel)
    with pytest.raises(OwnershipError):
        planned_order_firm(planned_order=wheels, acting_user=UserFactory())
    planned_order_firm(planned_order=wheels, acting_user=PlannerFactory(username="mia"))
    with pytest.raises(ApplicationError) as refused:
        planned_order_firm(planned_order=wheels, acting_user=PlannerFactory(username="mia2"))
    assert refused.value.status_code == 409


def test_firming_a_make_when_the_erp_owns_work_orders_releases_it_to_the_erp():
    plant = bike_plant(wheel_on_hand="0")
    ownership_set(object_type="work_order", system=ExternalSystemFactory(code="ERP"))
    order("SO-1", plant.bike, plant.plant, "10", week(4))
    mrp_run_full(plant=plant.plant)
    bikes = PlannedOrder.objects.get(item=plant.bike)

    firmed = planned_order_firm(planned_order=bikes, acting_user=PlannerFactory())

    assert firmed.status == PlannedOrder.Status.RELEASED and firmed.work_order is None
    released = Event.objects.get(event_type="planned_order.released")
    assert released.data == {
        "number": bikes.number,
        "kind": "make",
        "item": "BIKE",
        "plant": "P100",
        "quantity": "10",
        "uom": "EA",
        "release_date": week(3).isoformat(),
        "due_date": week(4).isoformat(),
        "supplier": None,
    }


def test_a_stock_movement_replans_the_item_by_net_change():
    plant = bike_plant(wheel_on_hand="0")
    order("SO-1", plant.bike, plant.plant, "10", week(4))
    mrp_run_full(plant=plant.plant)
    inventory_adjust(
        transaction_id="COUNT-1",
        plant="P100",
        item="WHEEL",
        quantity=Decimal("8"),
        uom="EA",
        reason="cycle count",
    )
    run = MrpRun.objects.latest("id")
    assert run.mode == MrpRun.Mode.NET_CHANGE and "WHEEL" in run.trigger
    assert PlannedOrder.objects.get(item=plant.wheel).quantity == Decimal("12")


def test_discrete_atp_with_look_ahead():
    """Discrete ATP as Vollmann et al. (Manufacturing Planning and Control Systems) define it:
    each receipt week promises its receipt less the orders until the next receipt; a shortfall
    borrows from the earlier weeks. On hand 10, receipts of 50 in weeks 1, 3 and 5."""
    atp, cumulative = discrete_atp(10, [0, 50, 0, 50, 0, 50], [5, 30, 10, 20, 10, 10])
    assert atp == [5, 10, 0, 20, 0, 40]
    assert cumulative == [5, 15, 15, 35, 35, 75]
    # Week 3 is oversold by 10: week 1 covers it, so nothing already promised is taken back.
    atp, _ = discrete_atp(10, [0, 50, 0, 50, 0, 50], [5, 30, 10, 60, 0, 10])
    assert atp == [5, 0, 0, 0, 0, 40]


def api_for(user):
    client = APIClient()
    client.force_login(user)
    return client


def test_api_runs_records_atp_and_refusals(partner_key):
    plant = bike_plant(wheel_on_hand="0")
    order("SO-1", plant.bike, plant.plant, "10", week(4))
    _, raw = partner_key("planning:read", "planning:write")
    partner = APIClient()
    partner.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    started = partner.post("/api/v1/mrp/runs/", {"plant": "P100"}, format="json")
    assert started.status_code == 202
    run = partner.get(f"/api/v1/mrp/runs/{started.json()['id']}/").json()
    assert run["status"] == "succeeded" and run["planned_orders"] == 2

    record = partner.get("/api/v1/mrp/record/?item=WHEEL&plant=P100").json()
    assert record["buckets"][3]["gross_requirements"] == 20.0
    atp = partner.get("/api/v1/atp/?item=BIKE&plant=P100")
    assert atp.status_code == 200 and len(atp.json()) == 52
    missing = partner.get("/api/v1/atp/?plant=P100")
    assert missing.status_code == 400 and missing.json()["errors"] == [
        {"field": "item", "value": None}
    ]
    unknown = partner.post("/api/v1/mrp/runs/", {"plant": "NOPE"}, format="json")
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["value"] == "NOPE"

    wheels = PlannedOrder.objects.get(item=plant.wheel)
    pegging = partner.get(f"/api/v1/planned-orders/{wheels.number}/pegging/").json()
    assert pegging == [
        {
            "kind": "demand_order",
            "ref": "SO-1/1",
            "item": "BIKE",
            "date": week(4).isoformat(),
            "quantity": "20.000000",
        }
    ]
    assert partner.post(f"/api/v1/planned-orders/{wheels.number}/firm/").status_code == 403

    planner = api_for(PlannerFactory())
    firmed = planner.post(f"/api/v1/planned-orders/{wheels.number}/firm/", {}, format="json")
    assert firmed.status_code == 200 and firmed.json()["po"] == f"PO-{wheels.number}"

    supplier = api_for(SupplierUserFactory(supplier=plant.supplier))
    assert supplier.get("/api/v1/planned-orders/").status_code == 403
    assert APIClient().get("/api/v1/mrp/runs/").status_code in (401, 403)
    _, reader = partner_key("planning:read")
    read_only = APIClient()
    read_only.credentials(HTTP_AUTHORIZATION=f"Bearer {reader}")
    assert read_only.post("/api/v1/mrp/runs/", {"plant": "P100"}, format="json").status_code == 403


def test_a_changed_lead_time_replans_the_item_by_net_change():
    from masterdata.services import item_upsert

    plant = bike_plant(wheel_on_hand="0")
    order("SO-1", plant.bike, plant.plant, "10", week(6))
    mrp_run_full(plant=plant.plant)
    item_upsert(
        code="WHEEL",
        description="Wheel",
        base_uom="EA",
        item_type="buy",
        plants=[{"plant": "P100", "lead_time_days": 21}],
    )
    run = MrpRun.objects.latest("id")
    assert run.mode == MrpRun.Mode.NET_CHANGE and "item WHEEL changed" in run.trigger
    # The sourcing rule's 14 days still win over the item's own lead time for a bought item.
    assert PlannedOrder.objects.get(item=plant.wheel).release_date == week(3)


def test_firming_can_move_the_requirement_to_an_alternate_source_but_not_to_any_supplier():
    from tests.factories import SourcingRuleFactory, SupplierFactory

    plant = bike_plant(wheel_on_hand="0")
    spokes = SupplierFactory(code="SPOKES")
    SourcingRuleFactory(item=plant.wheel, supplier=spokes, plant=plant.plant, priority=2)
    SupplierFactory(code="NOWHERE")
    order("SO-1", plant.bike, plant.plant, "10", week(4))
    mrp_run_full(plant=plant.plant)
    wheels = PlannedOrder.objects.get(item=plant.wheel)
    assert wheels.supplier == plant.supplier  # priority 1 wins

    with pytest.raises(ApplicationError) as refused:
        planned_order_firm(planned_order=wheels, acting_user=PlannerFactory(), supplier="NOWHERE")
    assert refused.value.extra == {"field": "supplier", "value": "NOWHERE"}

    firmed = planned_order_firm(
        planned_order=wheels, acting_user=PlannerFactory(username="mia"), supplier="SPOKES"
    )
    assert firmed.supplier == spokes and firmed.po_line.po.supplier == spokes
