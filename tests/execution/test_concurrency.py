"""Parallel writers on real PostgreSQL: row locks keep balances equal to the ledger."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from execution.models import InventoryBalance, InventoryTransaction
from execution.services import balances_rebuild, inventory_post, production_complete
from masterdata.models import Item, Plant
from tests.execution.factories import WorkOrderFactory

THREADS = 8
POSTINGS_EACH = 15


def in_parallel(work, count: int = THREADS) -> list[BaseException]:
    """Run `work(n)` in `count` threads released together; each closes its own connection."""
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            start.wait()
            work(n)
        except BaseException as error:  # collected and asserted by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.django_db(transaction=True)
def test_parallel_first_time_writers_of_one_item_lose_no_movement(shop):
    # given an item with no balance row yet at the plant
    item_id, plant_id = shop["BOLT"].pk, shop["P200"].pk

    # when eight threads post fifteen movements each, all starting at once
    def post(n: int) -> None:
        item = Item.objects.select_related("base_uom").get(pk=item_id)
        plant = Plant.objects.get(pk=plant_id)
        for k in range(POSTINGS_EACH):
            inventory_post(
                kind="adjustment",
                item=item,
                plant=plant,
                quantity=Decimal("1.5") if k % 3 else Decimal("-0.5"),
                source_system="weft",
                transaction_key=f"t{n}-{k}",
            )

    errors = in_parallel(post)

    # then exactly one balance row exists and it equals the ledger
    assert errors == []
    assert InventoryBalance.objects.filter(item_id=item_id, plant_id=plant_id).count() == 1
    expected = THREADS * (10 * Decimal("1.5") + 5 * Decimal("-0.5"))
    assert InventoryBalance.objects.get(item_id=item_id, plant_id=plant_id).on_hand == expected
    assert InventoryTransaction.objects.count() == THREADS * POSTINGS_EACH
    assert balances_rebuild() == []


@pytest.mark.django_db(transaction=True)
def test_one_transaction_id_sent_by_parallel_retries_is_applied_once(shop):
    item_id, plant_id = shop["BOLT"].pk, shop["P100"].pk

    def post(n: int) -> None:
        inventory_post(
            kind="adjustment",
            item=Item.objects.select_related("base_uom").get(pk=item_id),
            plant=Plant.objects.get(pk=plant_id),
            quantity=Decimal("7"),
            source_system="MES-1",
            transaction_key="SAME-KEY",
        )

    assert in_parallel(post) == []
    assert InventoryTransaction.objects.count() == 1
    assert InventoryBalance.objects.get(item_id=item_id, plant_id=plant_id).on_hand == 7


@pytest.mark.django_db(transaction=True)
def test_parallel_completions_never_overrun_the_tolerance(shop):
    # given a work order for 100 bikes (10% over-completion allowed: 110 at most)
    WorkOrderFactory(number="WO-PAR", item=shop["BIKE"], plant=shop["P100"], quantity=100)

    # when eight stations each report 15 bikes at once (120 in all)
    def complete(n: int) -> None:
        production_complete(transaction_id=f"C-{n}", work_order="WO-PAR", quantity=15, uom="EA")

    errors = in_parallel(complete)

    # then seven completions (105) are booked and the eighth is refused, never 120
    assert len(errors) == 1 and "beyond the 10% tolerance" in str(errors[0])
    assert InventoryBalance.objects.get(item=shop["BIKE"], plant=shop["P100"]).on_hand == 105
    assert balances_rebuild() == []
