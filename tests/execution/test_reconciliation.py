"""Snapshots against Weft's stock as of the same instant: mismatches open, refresh, close, win."""

from datetime import datetime
from decimal import Decimal

import pytest

from execution.models import InventoryBalance, InventoryMismatch, InventoryTransaction
from execution.reconciliation import inventory_snapshot_reconcile, on_hand_as_of
from execution.services import balances_rebuild, inventory_adjust
from integrations.errors import ApplicationError
from integrations.models import Event
from integrations.schemas import data_errors
from tests.execution.conftest import send
from tests.execution.factories import PlantToleranceFactory, SystemInventorySettingsFactory

pytestmark = pytest.mark.django_db


def at(clock: str) -> datetime:
    return datetime.fromisoformat(f"2026-05-13T{clock}:00+00:00")


@pytest.fixture
def history(mes, shop):
    """BOLT at P100: +100 at 08:00, -10 at 09:00, +5 at 11:00 (95 on hand now)."""
    for key, quantity, clock in (("A", 100, "08:00"), ("B", -10, "09:00"), ("C", 5, "11:00")):
        inventory_adjust(
            transaction_id=key,
            plant="P100",
            item="BOLT",
            quantity=Decimal(quantity),
            uom="EA",
            occurred_at=at(clock),
            writer="MES-1",
        )
    return shop


def reconcile(on_hand, clock="10:00", item="BOLT", uom="EA", source="MES-1"):
    return inventory_snapshot_reconcile(
        plant="P100",
        as_of=at(clock),
        balances=[{"item": item, "on_hand": Decimal(on_hand), "uom": uom}],
        source=source,
        writer="MES-1",
    )


def test_weft_on_hand_as_of_excludes_movements_after_that_time(history):
    bolt, p100 = history["BOLT"].pk, history["P100"]

    assert on_hand_as_of(p100, [bolt], at("07:59")) == {bolt: 0}
    assert on_hand_as_of(p100, [bolt], at("08:00")) == {bolt: 100}
    assert on_hand_as_of(p100, [bolt], at("10:00")) == {bolt: 90}
    assert on_hand_as_of(p100, [bolt], at("12:00")) == {bolt: 95}
    assert InventoryBalance.objects.get(item_id=bolt, plant=p100).on_hand == 95


def test_a_snapshot_that_agrees_as_of_its_time_opens_nothing(history):
    outcome = reconcile("90", clock="10:00")

    assert outcome.compared == 1 and outcome.opened == []
    assert not InventoryMismatch.objects.exists()
    assert not Event.objects.filter(event_type="inventory.mismatch_detected").exists()


def test_a_difference_opens_a_mismatch_and_tells_exactly_what_messages_md_promises(history):
    reconcile("87", clock="10:00")

    mismatch = InventoryMismatch.objects.get()
    assert (mismatch.weft_on_hand, mismatch.external_on_hand, mismatch.status) == (90, 87, "open")
    assert (mismatch.source, mismatch.as_of) == ("MES-1", at("10:00"))
    event = Event.objects.get(event_type="inventory.mismatch_detected")
    assert event.data == {
        "plant": "P100",
        "item": "BOLT",
        "weft_on_hand": "90",
        "external_on_hand": "87",
        "source": "MES-1",
        "as_of": "2026-05-13T10:00:00+00:00",
    }
    assert data_errors("inventory.mismatch_detected", 1, event.data) == []


@pytest.mark.parametrize(("counted", "opens"), [("85", False), ("95", False), ("84.9", True)])
def test_an_absolute_tolerance_per_plant(history, counted, opens):
    PlantToleranceFactory(plant=history["P100"], mismatch_quantity=Decimal("5"))

    reconcile(counted)

    assert InventoryMismatch.objects.exists() is opens


@pytest.mark.parametrize(("counted", "opens"), [("100", False), ("81.8", True), ("82", False)])
def test_a_percentage_tolerance_of_the_external_count(history, counted, opens):
    PlantToleranceFactory(plant=history["P100"], mismatch_percent=Decimal("10"))

    reconcile(counted)

    assert InventoryMismatch.objects.exists() is opens


def test_a_later_snapshot_that_agrees_closes_the_mismatch(history):
    reconcile("87", clock="10:00")

    outcome = reconcile("95", clock="12:00")

    mismatch = InventoryMismatch.objects.get()
    assert outcome.closed == [mismatch]
    assert (mismatch.status, mismatch.resolution) == ("closed", "cleared")
    closed = Event.objects.get(event_type="inventory.mismatch_closed")
    assert closed.data["resolution"] == "cleared"


def test_a_later_snapshot_that_still_disagrees_refreshes_the_one_open_mismatch(history):
    reconcile("87", clock="10:00")

    reconcile("93", clock="12:00")

    mismatch = InventoryMismatch.objects.get()
    assert (mismatch.weft_on_hand, mismatch.external_on_hand, mismatch.as_of) == (
        95,
        93,
        at("12:00"),
    )
    assert Event.objects.filter(event_type="inventory.mismatch_detected").count() == 2
    assert [h.external_on_hand for h in mismatch.history.order_by("history_date")] == [87, 93]


def test_an_older_snapshot_than_one_judged_says_nothing_new(history):
    reconcile("87", clock="10:00")

    outcome = reconcile("100", clock="08:30")

    assert outcome.skipped == 1
    assert InventoryMismatch.objects.get().status == "open"


def test_an_item_weft_never_stocked_is_compared_with_zero(history):
    reconcile("4", item="FRAME")

    assert InventoryMismatch.objects.get(item=history["FRAME"]).weft_on_hand == 0


def test_when_the_snapshot_owner_wins_weft_is_adjusted_with_the_mismatch_as_reference(history, mes):
    SystemInventorySettingsFactory(system=mes, snapshot_owner_wins=True)

    reconcile("87", clock="10:00")

    mismatch = InventoryMismatch.objects.get()
    assert (mismatch.status, mismatch.resolution) == ("closed", "adjusted")
    adjustment = InventoryTransaction.objects.get(reference=f"mismatch:{mismatch.pk}")
    assert (adjustment.kind, adjustment.quantity, adjustment.occurred_at) == (
        "adjustment",
        -3,
        at("10:00"),
    )
    # Weft now agrees with the count as of then, and keeps what moved since
    assert InventoryBalance.objects.get(item=history["BOLT"], plant=history["P100"]).on_hand == 92
    assert on_hand_as_of(history["P100"], [history["BOLT"].pk], at("10:00")) == {
        history["BOLT"].pk: 87
    }
    assert balances_rebuild() == []


def test_winning_is_off_by_default(history):
    reconcile("87")

    assert InventoryMismatch.objects.get().status == "open"
    assert InventoryBalance.objects.get(item=history["BOLT"], plant=history["P100"]).on_hand == 95


def test_grams_are_compared_in_kilograms(mes, shop):
    inventory_adjust(
        transaction_id="P",
        plant="P100",
        item="PAINT",
        quantity=2,
        uom="KG",
        occurred_at=at("08:00"),
        writer="MES-1",
    )

    reconcile("2000", clock="23:59", item="PAINT", uom="G")

    assert not InventoryMismatch.objects.exists()


BOLT_LINE = {"item": "BOLT", "on_hand": 1, "uom": "EA"}


@pytest.mark.parametrize(
    ("balances", "field", "value"),
    [
        ([BOLT_LINE, BOLT_LINE | {"item": "NOPE"}], "balances[1].item", "NOPE"),
        ([BOLT_LINE, BOLT_LINE | {"on_hand": 2}], "balances[1].item", "BOLT"),
        ([BOLT_LINE | {"uom": "KG"}], "balances[0].uom", "KG"),
    ],
)
def test_a_bad_snapshot_is_refused_naming_the_line(history, balances, field, value):
    with pytest.raises(ApplicationError) as error:
        inventory_snapshot_reconcile(
            plant="P100", as_of=at("10:00"), balances=balances, source="MES-1", writer="MES-1"
        )

    assert (error.value.extra["field"], error.value.extra["value"]) == (field, value)
    assert not InventoryMismatch.objects.exists()


def test_a_snapshot_message_goes_through_the_inbox(mes_client, history):
    data = {
        "plant": "P100",
        "as_of": "2026-05-13T10:00:00+00:00",
        "balances": [{"item": "BOLT", "on_hand": "80", "uom": "EA"}],
    }

    status = send(mes_client, "inventory.snapshot", data, id="snap-1")

    assert status["status"] == "applied"
    mismatch = InventoryMismatch.objects.get()
    assert (mismatch.source, mismatch.weft_on_hand, mismatch.external_on_hand) == ("MES-1", 90, 80)

    bad = send(mes_client, "inventory.snapshot", data | {"plant": "P9"}, id="snap-2")
    assert bad["errors"] == [{"field": "plant", "value": "P9"}]
