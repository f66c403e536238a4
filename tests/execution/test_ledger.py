"""The ledger: one row per movement, balances in step, each transaction key applied once."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from execution.models import InventoryBalance, InventoryTransaction
from execution.services import (
    inventory_adjust,
    inventory_post,
    inventory_receive,
    inventory_transfer,
)
from integrations.errors import ApplicationError
from integrations.models import Event

pytestmark = pytest.mark.django_db


def balance(item, plant) -> InventoryBalance:
    return InventoryBalance.objects.get(item=item, plant=plant)


def test_a_movement_writes_one_ledger_row_and_moves_the_balance(shop):
    # when goods are received and some issued
    inventory_post(
        kind="receipt",
        item=shop["BOLT"],
        plant=shop["P100"],
        quantity=Decimal("100"),
        source_system="weft",
        transaction_key="r-1",
        reference="receipt:R-1",
    )
    inventory_post(
        kind="issue",
        item=shop["BOLT"],
        plant=shop["P100"],
        quantity=Decimal("-30"),
        source_system="weft",
        transaction_key="i-1",
    )

    # then the ledger holds both, signed, and the balance is their sum
    rows = InventoryTransaction.objects.filter(item=shop["BOLT"]).order_by("id")
    assert [(r.kind, r.quantity) for r in rows] == [("receipt", 100), ("issue", -30)]
    stock = balance(shop["BOLT"], shop["P100"])
    assert (stock.on_hand, stock.on_hold, stock.available) == (70, 0, 70)

    # and planning hears of each change with the new figures
    changed = Event.objects.filter(event_type="inventory.changed").order_by("id").last()
    assert changed.aggregate_key == "inventory:P100:BOLT"
    assert changed.data | {"reference": ""} == {
        "item": "BOLT",
        "plant": "P100",
        "uom": "EA",
        "on_hand": "70",
        "on_hold": "0",
        "available": "70",
        "cause": "issue",
        "quantity": "-30",
        "reference": "",
    }


def test_the_same_key_from_the_same_system_is_applied_once(shop):
    for _ in range(3):
        posting = inventory_adjust(
            transaction_id="ADJ-1", plant="P100", item="BOLT", quantity=Decimal("5"), uom="EA"
        )

    assert posting.created is False
    assert InventoryTransaction.objects.filter(transaction_key="ADJ-1").count() == 1
    assert balance(shop["BOLT"], shop["P100"]).on_hand == 5


def test_the_same_key_from_another_system_is_another_movement(shop):
    inventory_receive(
        item="BOLT",
        plant="P100",
        quantity=Decimal("5"),
        uom="EA",
        transaction_key="T-1",
        reference="r",
        source_system="WMS",
    )
    inventory_receive(
        item="BOLT",
        plant="P100",
        quantity=Decimal("5"),
        uom="EA",
        transaction_key="T-1",
        reference="r",
        source_system="ERP",
    )

    assert balance(shop["BOLT"], shop["P100"]).on_hand == 10


def test_a_key_reused_for_another_movement_is_refused_naming_it(shop):
    inventory_adjust(transaction_id="ADJ-1", plant="P100", item="BOLT", quantity=5, uom="EA")

    with pytest.raises(ApplicationError) as error:
        inventory_adjust(transaction_id="ADJ-1", plant="P100", item="BOLT", quantity=6, uom="EA")

    assert error.value.extra == {"field": "transaction_id", "value": "ADJ-1"}
    assert "posted before as another movement" in error.value.message
    assert balance(shop["BOLT"], shop["P100"]).on_hand == 5


def test_quantities_are_booked_in_the_base_unit(shop):
    # PAINT is kept in KG; a receipt in grams is converted by the global conversion
    posting = inventory_receive(
        item="PAINT",
        plant="P100",
        quantity=Decimal("2500"),
        uom="G",
        transaction_key="R-9",
        reference="receipt:R-9",
    )

    assert posting.movement.quantity == Decimal("2.5")
    assert (posting.movement.entered_quantity, posting.movement.entered_uom) == (2500, "G")
    assert balance(shop["PAINT"], shop["P100"]).on_hand == Decimal("2.5")


@pytest.mark.parametrize(
    ("change", "field", "value"),
    [
        ({"item": "NOPE"}, "item", "NOPE"),
        ({"plant": "P999"}, "plant", "P999"),
        ({"uom": "BOX"}, "uom", "BOX"),
        ({"quantity": Decimal("0")}, "quantity", "0"),
    ],
)
def test_bad_adjustments_are_refused_naming_field_and_value(shop, change, field, value):
    values = {"transaction_id": "A-1", "plant": "P100", "item": "BOLT", "quantity": 1, "uom": "EA"}

    with pytest.raises(ApplicationError) as error:
        inventory_adjust(**(values | change))

    assert error.value.extra["field"] == field
    assert error.value.extra["value"] == value
    assert not InventoryTransaction.objects.exists()


def test_a_receipt_of_nothing_is_refused(shop):
    with pytest.raises(ApplicationError) as error:
        inventory_receive(
            item="BOLT",
            plant="P100",
            quantity=Decimal("0"),
            uom="EA",
            transaction_key="R-0",
            reference="r",
        )
    assert error.value.extra == {"field": "quantity", "value": "0"}


def test_a_transfer_moves_stock_between_plants_in_two_rows(shop):
    inventory_adjust(transaction_id="A-1", plant="P100", item="BOLT", quantity=50, uom="EA")

    inventory_transfer(
        item="BOLT",
        from_plant="P100",
        to_plant="P200",
        quantity=Decimal("20"),
        uom="EA",
        transaction_key="TR-1",
    )

    assert balance(shop["BOLT"], shop["P100"]).on_hand == 30
    assert balance(shop["BOLT"], shop["P200"]).on_hand == 20
    kinds = InventoryTransaction.objects.filter(kind="transfer").values_list("quantity", flat=True)
    assert sorted(kinds) == [-20, 20]


def test_ledger_rows_are_never_updated_or_deleted(shop):
    posting = inventory_adjust(
        transaction_id="A-1", plant="P100", item="BOLT", quantity=5, uom="EA"
    )

    with pytest.raises(TypeError):
        InventoryTransaction.objects.filter(pk=posting.movement.pk).update(quantity=6)
    with pytest.raises(TypeError):
        InventoryTransaction.objects.all().delete()
    # and PostgreSQL refuses it too, whoever asks
    for statement in (
        "UPDATE execution_inventorytransaction SET quantity = 6",
        "DELETE FROM execution_inventorytransaction",
    ):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            connection.cursor().execute(statement)
    assert InventoryTransaction.objects.get().quantity == 5
