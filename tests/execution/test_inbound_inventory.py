"""inventory.adjusted through the inbox: applied once per transaction id, bad input named."""

import pytest

from execution.models import InventoryBalance, InventoryTransaction
from tests.execution.conftest import send

pytestmark = pytest.mark.django_db

ADJUSTED = {
    "transaction_id": "CNT-1",
    "plant": "P100",
    "item": "BOLT",
    "quantity": "-3",
    "uom": "EA",
    "reason": "cycle count",
}


def test_an_adjustment_is_booked_with_its_sender_and_message(mes_client, shop):
    status = send(mes_client, "inventory.adjusted", ADJUSTED | {"quantity": "40"}, id="env-1")

    assert status["status"] == "applied"
    row = InventoryTransaction.objects.get()
    assert (row.kind, row.quantity, row.source_system, row.reason) == (
        "adjustment",
        40,
        "MES-1",
        "cycle count",
    )
    assert row.message_id == str(status["id"])
    assert row.occurred_at.isoformat() == "2026-05-13T10:00:00+00:00"


def test_a_retry_with_a_new_envelope_id_is_applied_zero_more_times(mes_client, shop):
    first = send(mes_client, "inventory.adjusted", ADJUSTED, id="env-1")
    retry = send(mes_client, "inventory.adjusted", ADJUSTED, id="env-2")

    assert first["status"] == retry["status"] == "applied"
    assert first["id"] != retry["id"]
    assert InventoryTransaction.objects.count() == 1
    assert InventoryBalance.objects.get(item=shop["BOLT"], plant=shop["P100"]).on_hand == -3


@pytest.mark.parametrize(
    ("change", "field", "value"),
    [
        ({"item": "NOPE"}, "item", "NOPE"),
        ({"plant": "P999"}, "plant", "P999"),
        ({"uom": "BOX"}, "uom", "BOX"),
        ({"quantity": "0"}, "quantity", "0"),
        ({"quantity": "1.5x"}, "data.quantity", "1.5x"),
    ],
)
def test_a_bad_adjustment_is_rejected_naming_field_and_value(
    mes_client, shop, change, field, value
):
    status = send(mes_client, "inventory.adjusted", ADJUSTED | change, id="env-bad")

    assert status["status"] == "rejected"
    assert status["errors"][0]["field"] == field
    assert status["errors"][0]["value"] == value
    assert not InventoryTransaction.objects.exists()


def test_an_adjustment_from_a_system_that_does_not_own_inventory_is_refused(
    mes_client, shop, partner_key
):
    from integrations.services import ownership_set
    from tests.factories import ExternalSystemFactory

    ownership_set(object_type="inventory", system=ExternalSystemFactory(code="WMS-1"))

    status = send(mes_client, "inventory.adjusted", ADJUSTED, id="env-1")

    assert status["status"] == "rejected"
    assert status["reason"] == "inventory is owned by WMS-1; MES-1 may not change it."
