"""Quality holds move stock between available and on hold, never beyond what exists or is held."""

import pytest

from execution.models import InventoryBalance, QualityHold
from execution.services import inventory_adjust
from integrations.models import Event
from tests.execution.conftest import send

pytestmark = pytest.mark.django_db

HOLD = {
    "hold_id": "QH-1",
    "plant": "P100",
    "item": "BOLT",
    "quantity": "30",
    "uom": "EA",
    "reason": "burrs",
}


@pytest.fixture
def stock(mes, shop):
    inventory_adjust(
        transaction_id="OPEN", plant="P100", item="BOLT", quantity=100, uom="EA", writer="MES-1"
    )
    return InventoryBalance.objects.get(item=shop["BOLT"], plant=shop["P100"])


def figures(balance):
    balance.refresh_from_db()
    return balance.on_hand, balance.on_hold, balance.available


def test_a_hold_moves_stock_from_available_to_on_hold(mes_client, stock):
    status = send(mes_client, "quality.hold_placed", HOLD, id="h-1")

    assert status["status"] == "applied"
    assert figures(stock) == (100, 30, 70)
    hold = QualityHold.objects.get()
    assert (hold.hold_id, hold.held_quantity, hold.status, hold.reason) == (
        "QH-1",
        30,
        "open",
        "burrs",
    )
    event = Event.objects.filter(event_type="inventory.changed").last()
    assert (event.data["cause"], event.data["available"], event.data["on_hold"]) == (
        "hold_placed",
        "70",
        "30",
    )


def test_a_hold_placed_again_under_a_new_envelope_holds_once(mes_client, stock):
    send(mes_client, "quality.hold_placed", HOLD, id="h-1")
    again = send(mes_client, "quality.hold_placed", HOLD, id="h-2")

    assert again["status"] == "applied"
    assert figures(stock) == (100, 30, 70)


def test_a_hold_id_reused_for_another_quantity_is_refused(mes_client, stock):
    send(mes_client, "quality.hold_placed", HOLD, id="h-1")

    status = send(mes_client, "quality.hold_placed", HOLD | {"quantity": "31"}, id="h-2")

    assert status["errors"] == [{"field": "hold_id", "value": "QH-1"}]


def test_a_hold_needs_available_stock(mes_client, stock):
    send(mes_client, "quality.hold_placed", HOLD | {"quantity": "80"}, id="h-1")

    status = send(
        mes_client, "quality.hold_placed", HOLD | {"hold_id": "QH-2", "quantity": "21"}, id="h-2"
    )

    assert status["status"] == "rejected"
    assert status["errors"] == [{"field": "quantity", "value": "21"}]
    assert "Only 20 EA of BOLT is available at P100" in status["reason"]
    assert figures(stock) == (100, 80, 20)


def test_a_partial_release_then_the_rest(mes_client, stock):
    send(mes_client, "quality.hold_placed", HOLD, id="h-1")

    send(mes_client, "quality.hold_released", HOLD | {"quantity": "10"}, id="r-1")
    assert figures(stock) == (100, 20, 80)
    assert QualityHold.objects.get().status == "open"

    send(mes_client, "quality.hold_released", HOLD | {"quantity": "20"}, id="r-2")
    assert figures(stock) == (100, 0, 100)
    hold = QualityHold.objects.get()
    assert (hold.status, hold.held_quantity) == ("released", 0)
    assert hold.released_at is not None


def test_releasing_more_than_is_held_is_refused(mes_client, stock):
    send(mes_client, "quality.hold_placed", HOLD, id="h-1")

    status = send(mes_client, "quality.hold_released", HOLD | {"quantity": "31"}, id="r-1")

    assert status["status"] == "rejected"
    assert status["errors"] == [{"field": "quantity", "value": "31"}]
    assert status["reason"] == "Releasing 31 is more than the 30 hold QH-1 still holds."
    assert figures(stock) == (100, 30, 70)


@pytest.mark.parametrize(
    ("change", "field", "value"),
    [
        ({"hold_id": "QH-404"}, "hold_id", "QH-404"),
        ({"item": "FRAME"}, "item", "FRAME"),
        ({"plant": "P200"}, "plant", "P200"),
        ({"quantity": "0"}, "quantity", "0"),
    ],
)
def test_a_bad_release_is_refused_naming_field_and_value(mes_client, stock, change, field, value):
    send(mes_client, "quality.hold_placed", HOLD, id="h-1")

    status = send(mes_client, "quality.hold_released", HOLD | change, id="r-1")

    assert status["errors"] == [{"field": field, "value": value}]
    assert figures(stock) == (100, 30, 70)
