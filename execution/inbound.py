"""Handlers for the execution messages: validate the canonical data, then call one service.

Every handler here but `work_order.upserted` changes only stock, holds, mismatches and work
orders' progress, none of what an inbox drain memoizes (integrations.memo), so they share
their lookups with the next message.
"""

from execution import reconciliation, services
from execution.api.serializers import (
    AdjustmentInput,
    CompletionInput,
    ConsumptionInput,
    HoldInput,
    ScrapInput,
    SnapshotInput,
    WorkOrderInput,
)
from integrations.handlers import inbound_handler
from masterdata.inbound import validated


@inbound_handler("inventory.adjusted", object_type="inventory", shares_lookups=True)
def inventory_adjusted(message, data: dict) -> None:
    services.inventory_adjust(
        **validated(AdjustmentInput, data),
        occurred_at=message.occurred_at,
        writer=message.system.code,
    )


@inbound_handler("inventory.snapshot", object_type="inventory", shares_lookups=True)
def inventory_snapshot(message, data: dict) -> None:
    reconciliation.inventory_snapshot_reconcile(
        **validated(SnapshotInput, data),
        source=message.system.code,
        writer=message.system.code,
    )


@inbound_handler("work_order.upserted", object_type="work_order")
def work_order_upserted(message, data: dict) -> None:
    services.work_order_upsert(**validated(WorkOrderInput, data), writer=message.system.code)


@inbound_handler("production.consumed", object_type="production", shares_lookups=True)
def production_consumed(message, data: dict) -> None:
    services.production_consume(
        **validated(ConsumptionInput, data),
        occurred_at=message.occurred_at,
        writer=message.system.code,
    )


@inbound_handler("production.completed", object_type="production", shares_lookups=True)
def production_completed(message, data: dict) -> None:
    values = validated(CompletionInput, data)
    values["completed_at"] = values["completed_at"] or message.occurred_at
    services.production_complete(**values, writer=message.system.code)


@inbound_handler("production.scrapped", object_type="production", shares_lookups=True)
def production_scrapped(message, data: dict) -> None:
    services.production_scrap(
        **validated(ScrapInput, data),
        occurred_at=message.occurred_at,
        writer=message.system.code,
    )


@inbound_handler("quality.hold_placed", object_type="quality", shares_lookups=True)
def quality_hold_placed(message, data: dict) -> None:
    services.quality_hold_place(**validated(HoldInput, data), writer=message.system.code)


@inbound_handler("quality.hold_released", object_type="quality", shares_lookups=True)
def quality_hold_released(message, data: dict) -> None:
    services.quality_hold_release(**validated(HoldInput, data), writer=message.system.code)
