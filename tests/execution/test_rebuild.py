"""rebuild_balances recomputes from the ledger and holds, reports drift, fixes it only when told."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from execution.models import InventoryBalance
from execution.services import inventory_adjust, quality_hold_place

pytestmark = pytest.mark.django_db


@pytest.fixture
def drifted(shop):
    inventory_adjust(transaction_id="A", plant="P100", item="BOLT", quantity=50, uom="EA")
    inventory_adjust(transaction_id="B", plant="P100", item="FRAME", quantity=5, uom="EA")
    quality_hold_place(hold_id="H", plant="P100", item="FRAME", quantity=2, uom="EA")
    # Someone wrote behind the ledger's back (balances are derived, so a plain update is the bug).
    InventoryBalance.objects.filter(item=shop["BOLT"]).update(on_hand=Decimal("47"))
    InventoryBalance.objects.filter(item=shop["FRAME"]).update(on_hold=Decimal("0"))
    return shop


def rebuild(*args) -> str:
    out = StringIO()
    call_command("rebuild_balances", *args, "--quiet", stdout=out)
    return out.getvalue()


def test_drift_is_reported_with_item_plant_stored_and_recomputed(drifted):
    report = rebuild()

    assert "BOLT @ P100: on hand stored 47, ledger 50" in report
    assert "FRAME @ P100: on hold stored 0, open holds 2" in report
    assert "2 drifted balance(s); run with --fix" in report
    assert InventoryBalance.objects.get(item=drifted["BOLT"]).on_hand == 47


def test_fix_corrects_the_drift_and_a_second_run_finds_none(drifted):
    assert "Fixed 2 drifted balance(s)." in rebuild("--fix")

    assert InventoryBalance.objects.get(item=drifted["BOLT"]).on_hand == 50
    assert InventoryBalance.objects.get(item=drifted["FRAME"]).on_hold == 2
    assert "No drift" in rebuild()


def test_a_missing_balance_row_is_drift_too(drifted):
    InventoryBalance.objects.filter(item=drifted["BOLT"]).delete()

    assert "BOLT @ P100: on hand stored 0, ledger 50" in rebuild("--fix")
    assert InventoryBalance.objects.get(item=drifted["BOLT"]).on_hand == 50


def test_the_progress_bar_is_drawn(drifted):
    err = StringIO()
    call_command("rebuild_balances", stdout=StringIO(), stderr=err)

    assert "rebuild_balances" in err.getvalue()
