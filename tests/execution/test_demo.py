"""The demo has stock in both plants, work orders under way, a hold and one open mismatch."""

import pytest

from execution.demo import seed_execution
from execution.models import (
    InventoryBalance,
    InventoryMismatch,
    InventoryTransaction,
    QualityHold,
    WorkOrder,
)
from execution.services import balances_rebuild
from integrations.models import Event
from masterdata.demo import seed_masterdata

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_execution_once(after_commit):
    seed_masterdata(items=40, levels=3)

    report = after_commit(seed_execution)

    assert report.work_orders == 8
    assert InventoryBalance.objects.filter(plant__code="P100", on_hand__gt=0).count() >= 30
    assert InventoryBalance.objects.filter(plant__code="P200", on_hand__gt=0).count() >= 30
    assert InventoryTransaction.objects.filter(reference="opening balance").count() == 80
    assert WorkOrder.objects.filter(status="in_progress").count() == 8
    assert QualityHold.objects.filter(status="open").count() == 1
    mismatch = InventoryMismatch.objects.get(status="open")
    assert mismatch.external_on_hand == mismatch.weft_on_hand - 7
    assert InventoryBalance.objects.filter(on_hand__lt=0).count() == 0
    assert balances_rebuild() == []
    assert WorkOrder.history.filter(history_system="seed_demo").exists()

    # and a second run adds nothing
    counts = (
        InventoryTransaction.objects.count(),
        Event.objects.count(),
        WorkOrder.history.count(),
    )
    again = after_commit(seed_execution)
    assert (again.movements, again.work_orders) == (0, 0)
    assert counts == (
        InventoryTransaction.objects.count(),
        Event.objects.count(),
        WorkOrder.history.count(),
    )
    assert InventoryMismatch.objects.count() == 1
