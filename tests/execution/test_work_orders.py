"""Work orders from the ERP and production events from the MES, each applied once, bad ones named."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from execution.models import InventoryBalance, InventoryTransaction, WorkOrder
from integrations.models import Event
from masterdata.services import bom_upsert
from tests.execution.conftest import send
from tests.execution.factories import PlantToleranceFactory

pytestmark = pytest.mark.django_db

ORDER = {
    "number": "WO-1",
    "item": "BIKE",
    "plant": "P100",
    "quantity": "10",
    "uom": "EA",
    "due_date": "2026-06-01",
    "status": "released",
}


def on_hand(shop, code: str, plant: str = "P100") -> Decimal:
    row = InventoryBalance.objects.filter(item=shop[code], plant=shop[plant]).first()
    return row.on_hand if row else Decimal("0")


@pytest.fixture
def order(mes_client, shop):
    assert send(mes_client, "work_order.upserted", ORDER, id="wo-1")["status"] == "applied"
    return WorkOrder.objects.get(number="WO-1")


def consume(client, transaction_id, item="BOLT", quantity="4", uom="EA", id=None):
    data = {
        "transaction_id": transaction_id,
        "work_order": "WO-1",
        "item": item,
        "quantity": quantity,
        "uom": uom,
    }
    return send(client, "production.consumed", data, id=id or f"env-{transaction_id}")


def complete(client, transaction_id, quantity, id=None, **extra):
    data = {"transaction_id": transaction_id, "work_order": "WO-1", "quantity": quantity}
    return send(
        client,
        "production.completed",
        data | {"uom": "EA"} | extra,
        id=id or f"env-{transaction_id}",
    )


def test_a_work_order_is_created_then_changed_with_history(mes_client, order):
    assert (order.quantity, order.status, order.open_quantity) == (10, "released", 10)
    assert order.source_system == "MES-1"

    send(mes_client, "work_order.upserted", ORDER | {"quantity": "12"}, id="wo-2")

    order.refresh_from_db()
    assert order.quantity == 12
    assert [h.quantity for h in order.history.order_by("history_date")] == [10, 12]
    assert order.history.latest().history_system == "MES-1"
    changed = Event.objects.filter(event_type="work_order.changed").last()
    assert changed.data["open_quantity"] == "12"


def test_a_work_order_quantity_is_kept_in_the_base_unit(mes_client, shop):
    from masterdata.services import conversion_upsert

    conversion_upsert(from_uom="BOX", to_uom="EA", factor=Decimal("6"), item=shop["BIKE"])

    send(mes_client, "work_order.upserted", ORDER | {"uom": "BOX", "quantity": "2"}, id="wo-1")

    assert WorkOrder.objects.get().quantity == 12


@pytest.mark.parametrize(
    ("change", "field", "value"),
    [
        ({"item": "NOPE"}, "item", "NOPE"),
        ({"plant": "P9"}, "plant", "P9"),
        ({"quantity": "0"}, "quantity", "0"),
        ({"uom": "KG"}, "uom", "KG"),
        ({"status": "paused"}, "data.status", "paused"),
    ],
)
def test_a_bad_work_order_is_rejected_naming_field_and_value(
    mes_client, shop, change, field, value
):
    status = send(mes_client, "work_order.upserted", ORDER | change, id="wo-bad")

    assert status["status"] == "rejected"
    assert (status["errors"][0]["field"], status["errors"][0]["value"]) == (field, value)


def test_consumption_issues_a_component_and_starts_the_order(mes_client, order, shop):
    status = consume(mes_client, "MES-C-1", quantity="8")

    assert status["status"] == "applied"
    assert on_hand(shop, "BOLT") == -8
    movement = InventoryTransaction.objects.get(kind="consumption")
    assert (movement.work_order, movement.reference) == (order, "work_order:WO-1")
    order.refresh_from_db()
    assert order.status == "in_progress"


def test_consumption_in_another_unit_is_converted(mes_client, order, shop):
    consume(mes_client, "MES-C-1", item="PAINT", quantity="150", uom="G")

    assert on_hand(shop, "PAINT") == Decimal("-0.15")


def test_consumption_repeated_with_new_envelope_ids_is_applied_once(mes_client, order, shop):
    for envelope_id in ("a", "b", "c"):
        assert consume(mes_client, "MES-C-1", id=envelope_id)["status"] == "applied"

    assert on_hand(shop, "BOLT") == -4
    assert InventoryTransaction.objects.count() == 1


def test_an_item_not_on_the_effective_bom_is_refused(mes_client, order, shop):
    status = consume(mes_client, "MES-C-1", item="SADDLE")

    assert status["status"] == "rejected"
    assert status["errors"] == [{"field": "item", "value": "SADDLE"}]
    assert "SADDLE is not on the BOM of BIKE effective at P100" in status["reason"]
    assert not InventoryTransaction.objects.exists()


def test_a_bom_that_is_no_longer_effective_does_not_count(mes_client, order, shop):
    # given revision A ended yesterday and revision B (without bolts) is effective from today
    today = timezone.localdate()
    bom_upsert(
        parent="BIKE",
        plant="P100",
        revision="A",
        components=[{"item": "FRAME", "quantity": "1"}, {"item": "BOLT", "quantity": "4"}],
        effective_to=today - timedelta(days=1),
    )
    bom_upsert(
        parent="BIKE",
        plant="P100",
        revision="B",
        components=[{"item": "FRAME", "quantity": "1"}],
        effective_from=today,
    )

    assert consume(mes_client, "MES-C-1", item="BOLT")["status"] == "rejected"
    assert consume(mes_client, "MES-C-2", item="FRAME")["status"] == "applied"


def test_a_work_order_at_a_plant_without_a_bom_refuses_consumption(mes_client, shop):
    send(mes_client, "work_order.upserted", ORDER | {"plant": "P200"}, id="wo-p200")

    status = consume(mes_client, "MES-C-1", item="BOLT")

    assert status["status"] == "rejected"
    assert "BIKE has no BOM effective at P200" in status["reason"]


@pytest.mark.parametrize("quantity", ["0", "0.0000001"])
def test_zero_quantities_are_refused(mes_client, order, quantity):
    status = consume(mes_client, "MES-C-1", quantity=quantity)

    assert status["status"] == "rejected"
    assert status["errors"][0]["field"] in ("quantity", "data.quantity")


def test_negative_quantities_are_refused_by_the_contract(mes_client, order):
    status = consume(mes_client, "MES-C-1", quantity="-4")

    assert status["status"] == "rejected"
    assert status["errors"][0]["field"] == "data.quantity"
    assert status["errors"][0]["value"] == "-4"


def test_completion_receives_the_parent_and_reduces_what_is_open(mes_client, order, shop):
    complete(mes_client, "MES-K-1", "4", completed_at="2026-05-13T09:30:00+00:00")

    order.refresh_from_db()
    assert (order.completed_quantity, order.open_quantity, order.status) == (4, 6, "in_progress")
    assert on_hand(shop, "BIKE") == 4
    assert InventoryTransaction.objects.get().occurred_at.isoformat() == "2026-05-13T09:30:00+00:00"

    complete(mes_client, "MES-K-2", "6")

    order.refresh_from_db()
    assert (order.open_quantity, order.status) == (0, "completed")
    assert (
        Event.objects.filter(event_type="work_order.changed").last().data["status"] == "completed"
    )


def test_completion_repeated_with_a_new_envelope_id_counts_once(mes_client, order, shop):
    complete(mes_client, "MES-K-1", "4", id="first")
    complete(mes_client, "MES-K-1", "4", id="retry")

    order.refresh_from_db()
    assert order.completed_quantity == 4
    assert on_hand(shop, "BIKE") == 4


def test_completing_within_the_tolerance_is_accepted(mes_client, order):
    assert complete(mes_client, "MES-K-1", "11")["status"] == "applied"

    order.refresh_from_db()
    assert (order.completed_quantity, order.open_quantity, order.status) == (11, 0, "completed")


def test_completing_beyond_the_tolerance_is_refused_with_the_reason(mes_client, order, shop):
    complete(mes_client, "MES-K-1", "8")

    status = complete(mes_client, "MES-K-2", "3.5")

    assert status["status"] == "rejected"
    assert status["errors"] == [{"field": "quantity", "value": "3.5"}]
    assert status["reason"] == (
        "Completing 3.5 EA would bring work order WO-1 to 11.5 of 10 ordered, "
        "beyond the 10% tolerance (11 at most)."
    )
    assert on_hand(shop, "BIKE") == 8


def test_a_plant_sets_its_own_tolerance(mes_client, order, shop):
    PlantToleranceFactory(plant=shop["P100"], over_completion_percent=Decimal("0"))

    assert complete(mes_client, "MES-K-1", "10.5")["status"] == "rejected"
    assert complete(mes_client, "MES-K-2", "10")["status"] == "applied"


def test_the_global_tolerance_comes_from_settings(mes_client, order, settings):
    settings.WEFT = {**settings.WEFT, "OVER_COMPLETION_PERCENT": 50}

    assert complete(mes_client, "MES-K-1", "15")["status"] == "applied"


def test_a_cancelled_order_takes_no_production(mes_client, order):
    send(mes_client, "work_order.upserted", ORDER | {"status": "cancelled"}, id="wo-cancel")

    status = complete(mes_client, "MES-K-1", "1")

    assert status["status"] == "rejected"
    assert status["errors"] == [{"field": "work_order", "value": "WO-1"}]


def test_an_unknown_work_order_is_named(mes_client, shop):
    status = send(
        mes_client,
        "production.completed",
        {"transaction_id": "K", "work_order": "WO-404", "quantity": "1", "uom": "EA"},
        id="k",
    )

    assert status["errors"] == [{"field": "work_order", "value": "WO-404"}]


def test_scrap_writes_off_stock_with_its_reason(mes_client, order, shop):
    data = {
        "transaction_id": "MES-S-1",
        "work_order": "WO-1",
        "item": "FRAME",
        "quantity": "2",
        "uom": "EA",
        "reason": "weld crack",
    }
    assert send(mes_client, "production.scrapped", data, id="s-1")["status"] == "applied"
    assert send(mes_client, "production.scrapped", data, id="s-2")["status"] == "applied"

    movement = InventoryTransaction.objects.get(kind="scrap")
    assert (movement.quantity, movement.reason) == (-2, "weld crack")
    assert on_hand(shop, "FRAME") == -2


def test_scrap_of_the_parent_is_counted_on_the_order(mes_client, order, shop):
    complete(mes_client, "MES-K-1", "5")
    data = {
        "transaction_id": "MES-S-1",
        "work_order": "WO-1",
        "item": "BIKE",
        "quantity": "1",
        "uom": "EA",
        "reason": "dropped",
    }

    send(mes_client, "production.scrapped", data, id="s-1")

    order.refresh_from_db()
    assert order.scrapped_quantity == 1
    assert on_hand(shop, "BIKE") == 4


def test_scrap_of_an_unrelated_item_is_refused(mes_client, order):
    data = {
        "transaction_id": "MES-S-1",
        "work_order": "WO-1",
        "item": "SADDLE",
        "quantity": "1",
        "uom": "EA",
    }

    status = send(mes_client, "production.scrapped", data, id="s-1")

    assert status["errors"] == [{"field": "item", "value": "SADDLE"}]


def test_the_item_of_an_order_with_production_cannot_change(mes_client, order, shop):
    complete(mes_client, "MES-K-1", "1")

    status = send(mes_client, "work_order.upserted", ORDER | {"item": "FRAME"}, id="wo-2")

    assert status["status"] == "rejected"
    assert status["errors"] == [{"field": "item", "value": "FRAME"}]
