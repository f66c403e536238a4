import pytest

from integrations.history import acting_as
from masterdata.models import Item, Supplier
from masterdata.services import item_upsert, supplier_upsert
from tests.factories import PlannerFactory, UnitFactory

pytestmark = pytest.mark.django_db


def test_history_names_the_user_who_changed_an_item():
    UnitFactory(code="EA")
    planner = PlannerFactory(username="mia.planner")

    with acting_as(user=planner):
        item_upsert(code="BRK-1001", description="Brake caliper", base_uom="EA", item_type="buy")
        item_upsert(
            code="BRK-1001", description="Brake caliper, front", base_uom="EA", item_type="buy"
        )

    records = Item.history.filter(code="BRK-1001").order_by("history_date")
    assert [r.history_type for r in records] == ["+", "~"]
    assert all(r.history_user == planner for r in records)
    assert records.last().description == "Brake caliper, front"


def test_history_names_the_system_and_message_behind_a_change():
    with acting_as(system_code="ERP-EU", message_id="msg-42"):
        supplier_upsert(code="ACME", name="Acme Metals", status="approved")

    record = Supplier.history.get(code="ACME")
    assert record.history_user is None
    assert record.history_system == "ERP-EU"
    assert record.history_message == "msg-42"


def test_an_upsert_that_changes_nothing_writes_no_history():
    with acting_as(system_code="ERP-EU"):
        supplier_upsert(code="ACME", name="Acme Metals", status="approved")
        supplier_upsert(code="ACME", name="Acme Metals", status="approved")

    assert Supplier.history.filter(code="ACME").count() == 1
