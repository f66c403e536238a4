"""MES events through the inbox's drain path: chunks of messages per transaction, a savepoint each.

The drain applies a chunk of messages in one transaction; each message's effects and its status
change commit together, and a refused or failing message never takes its neighbours with it.
"""

import hashlib
import json
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction

from execution.models import InventoryBalance, InventoryTransaction, WorkOrder
from execution.services import balances_rebuild, inventory_post
from integrations.inbox import inbound_messages_process
from integrations.memo import memo_scope
from integrations.models import InboundMessage
from integrations.services import ownership_set
from tests.execution.conftest import envelope
from tests.execution.factories import WorkOrderFactory


def stored(system, message_type: str, data: dict, *, id: str) -> InboundMessage:
    """A batch message as intake stores it (received, its data checked when it is applied)."""
    body = envelope(message_type, data, id=id)
    return InboundMessage.objects.create(
        system=system,
        idempotency_key=id,
        channel=InboundMessage.Channel.BATCH,
        message_type=message_type,
        version=1,
        correlation_id=f"corr-{id}",
        body=json.dumps(body),
        body_sha256=hashlib.sha256(json.dumps(body).encode()).hexdigest(),
        envelope=body,
        status=InboundMessage.Status.RECEIVED,
    )


def consumed(transaction_id: str, item: str, quantity: str, order: str = "WO-1") -> dict:
    return {
        "transaction_id": transaction_id,
        "work_order": order,
        "item": item,
        "quantity": quantity,
        "uom": "EA",
    }


def opening_stock(shop, *codes: str) -> None:
    for code in codes:
        inventory_post(
            kind=InventoryTransaction.Kind.ADJUSTMENT,
            item=shop[code],
            plant=shop["P100"],
            quantity=Decimal("100"),
            source_system="weft",
            transaction_key=f"opening:{code}",
        )


def on_hand(shop, code: str) -> Decimal:
    return InventoryBalance.objects.get(item=shop[code], plant=shop["P100"]).on_hand


def statuses(messages) -> list[str]:
    return [InboundMessage.objects.get(pk=m.pk).status for m in messages]


@pytest.mark.django_db
def test_a_refused_message_inside_a_chunk_is_rejected_alone_and_its_neighbours_apply(shop, mes):
    # given a released work order for bikes, stock of its components, and five MES messages:
    # good, not on the BOM, good, a reused transaction id for another movement, and a completion
    WorkOrderFactory(number="WO-1", item=shop["BIKE"], plant=shop["P100"])
    opening_stock(shop, "FRAME", "BOLT")
    messages = [
        stored(mes, "production.consumed", consumed("t1", "FRAME", "1"), id="m1"),
        stored(mes, "production.consumed", consumed("t2", "SADDLE", "1"), id="m2"),
        stored(mes, "production.consumed", consumed("t3", "BOLT", "4"), id="m3"),
        stored(mes, "production.consumed", consumed("t1", "BOLT", "9"), id="m4"),
        stored(
            mes,
            "production.completed",
            {"transaction_id": "t5", "work_order": "WO-1", "quantity": "1", "uom": "EA"},
            id="m5",
        ),
    ]

    # when the drain applies them as one chunk
    inbound_messages_process(message_ids=[m.pk for m in messages])

    # then the two refused messages are rejected with their reasons, the rest applied
    assert statuses(messages) == ["applied", "rejected", "applied", "rejected", "applied"]
    second = InboundMessage.objects.get(pk=messages[1].pk)
    assert "SADDLE is not on the BOM" in second.reason
    assert second.errors == [{"field": "item", "value": "SADDLE"}]
    fourth = InboundMessage.objects.get(pk=messages[3].pk)
    assert "posted before as another movement" in fourth.reason
    # and nothing of the refused ones was written, everything of the others was
    keys = sorted(
        InventoryTransaction.objects.filter(source_system="MES-1").values_list(
            "transaction_key", flat=True
        )
    )
    assert keys == ["t1", "t3", "t5"]
    assert (on_hand(shop, "FRAME"), on_hand(shop, "BOLT"), on_hand(shop, "BIKE")) == (
        Decimal("99"),
        Decimal("96"),
        Decimal("1"),
    )
    assert WorkOrder.objects.get(number="WO-1").completed_quantity == 1
    assert balances_rebuild() == []


@pytest.mark.django_db
def test_a_retry_inside_the_same_chunk_as_its_original_is_applied_zero_times(shop, mes):
    # given a work order and one consumption sent twice under two envelope ids
    WorkOrderFactory(number="WO-1", item=shop["BIKE"], plant=shop["P100"])
    opening_stock(shop, "BOLT")
    messages = [
        stored(mes, "production.consumed", consumed("t1", "BOLT", "4"), id="first"),
        stored(mes, "production.consumed", consumed("t1", "BOLT", "4"), id="retry"),
    ]

    # when both are applied in one chunk
    inbound_messages_process(message_ids=[m.pk for m in messages])

    # then both are applied as messages, and the movement is booked once
    assert statuses(messages) == ["applied", "applied"]
    assert InventoryTransaction.objects.filter(source_system="MES-1").count() == 1
    assert on_hand(shop, "BOLT") == Decimal("96")


@pytest.mark.django_db
def test_a_bom_change_inside_a_drain_batch_is_seen_by_the_next_consumption(shop, mes):
    # given MES-1 also owns BOMs, and a work order whose BOM has BOLT
    ownership_set(object_type="bom", system=mes)
    WorkOrderFactory(number="WO-1", item=shop["BIKE"], plant=shop["P100"])
    opening_stock(shop, "BOLT")
    without_bolt = {
        "parent": "BIKE",
        "plant": "P100",
        "revision": "A",
        "components": [{"item": "FRAME", "quantity": "1", "uom": "EA"}],
    }
    messages = [
        stored(mes, "production.consumed", consumed("t1", "BOLT", "4"), id="m1"),
        stored(mes, "bom.upserted", without_bolt, id="m2"),
        stored(mes, "production.consumed", consumed("t2", "BOLT", "4"), id="m3"),
    ]

    # when one drain batch applies a consumption, a BOM without BOLT, and BOLT again
    with memo_scope():
        inbound_messages_process(message_ids=[m.pk for m in messages])

    # then the batch's memoized BOM lookup did not outlive the BOM change
    assert statuses(messages) == ["applied", "applied", "rejected"]
    assert "BOLT is not on the BOM" in InboundMessage.objects.get(pk=messages[2].pk).reason


@pytest.mark.django_db(transaction=True)
def test_a_chunk_that_meets_a_held_lock_commits_what_it_applied_and_applies_the_rest(shop, mes):
    # given stock of FRAME and BOLT, and three consumptions: FRAME, BOLT, FRAME
    WorkOrderFactory(number="WO-1", item=shop["BIKE"], plant=shop["P100"], status="in_progress")
    opening_stock(shop, "FRAME", "BOLT")
    messages = [
        stored(mes, "production.consumed", consumed("t1", "FRAME", "1"), id="m1"),
        stored(mes, "production.consumed", consumed("t2", "BOLT", "4"), id="m2"),
        stored(mes, "production.consumed", consumed("t3", "FRAME", "2"), id="m3"),
    ]
    bolt = InventoryBalance.objects.get(item=shop["BOLT"], plant=shop["P100"])
    holding, seen_while_held = threading.Event(), []

    # and another transaction that holds BOLT's balance row for two seconds
    def hold_bolt() -> None:
        try:
            with transaction.atomic():
                InventoryBalance.objects.select_for_update().get(pk=bolt.pk)
                holding.set()
                time.sleep(2)
                # by now the chunk met the lock and committed its first message
                seen_while_held.append(InboundMessage.objects.get(pk=messages[0].pk).status)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_bolt)
    holder.start()
    assert holding.wait(10)

    # when the drain applies the three as one chunk
    started = time.monotonic()
    inbound_messages_process(message_ids=[m.pk for m in messages])
    holder.join(10)

    # then the message before the lock was committed while the lock was still held (the chunk
    # did not sit on its locks waiting), the locked one was applied after the holder let go,
    # and every message is applied once
    assert seen_while_held == ["applied"]
    assert time.monotonic() - started >= 1.5
    assert statuses(messages) == ["applied", "applied", "applied"]
    assert (on_hand(shop, "FRAME"), on_hand(shop, "BOLT")) == (Decimal("97"), Decimal("96"))
    assert all(InboundMessage.objects.get(pk=m.pk).attempts == 1 for m in messages)
    assert balances_rebuild() == []
