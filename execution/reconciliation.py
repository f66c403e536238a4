"""Reconciliation: another system's inventory snapshot against Weft's stock as of the same instant.

Weft's on hand as of `as_of` is today's balance minus the movements that happened after it,
summed in one query over the ledger's (plant, item, occurred_at) index, with the balances
locked so no posting slips in between the two reads.
"""

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import requests
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from execution.models import (
    InventoryBalance,
    InventoryMismatch,
    InventoryTransaction,
    SystemInventorySettings,
)
from execution.services import (
    Kind,
    base_quantity,
    inventory_post,
    plant_tolerance,
    quantity_text,
)
from integrations.errors import ApplicationError
from integrations.inbox import Intake, inbound_receive_envelope, inbound_refuse
from integrations.models import InboundMessage
from integrations.outbox import emit
from integrations.ownership import WEFT, ownership_check
from integrations.webhooks import UnsafeDestination, refuse_unsafe_url
from masterdata.models import Item, Plant
from masterdata.services import resolve

log = logging.getLogger(__name__)
USER_AGENT = "Weft-Connector/1"
MAX_SNAPSHOT_BYTES = 20 * 1024 * 1024


@dataclass
class Reconciliation:
    compared: int = 0
    opened: list[InventoryMismatch] = field(default_factory=list)
    updated: list[InventoryMismatch] = field(default_factory=list)
    closed: list[InventoryMismatch] = field(default_factory=list)
    adjusted: list[InventoryMismatch] = field(default_factory=list)
    skipped: int = 0


def within_tolerance(weft: Decimal, external: Decimal, *, quantity: Decimal, percent: Decimal):
    """A difference up to the absolute tolerance, or up to the percentage of the external count."""
    allowed = max(quantity, abs(external) * percent / 100)
    return abs(external - weft) <= allowed


def on_hand_as_of(plant: Plant, item_ids: list[int], as_of: datetime) -> dict[int, Decimal]:
    """Weft's on hand per item at `as_of`: the balance now minus what moved after it.

    Locks the balances (in id order) so the two reads agree under concurrent postings.
    """
    now_on_hand = dict(
        InventoryBalance.objects.select_for_update()
        .filter(plant=plant, item_id__in=item_ids)
        .order_by("pk")
        .values_list("item_id", "on_hand")
    )
    moved_after = dict(
        InventoryTransaction.objects.filter(plant=plant, item_id__in=item_ids)
        .after(as_of)
        .order_by()
        .values("item_id")
        .annotate(total=Sum("quantity"))
        .values_list("item_id", "total")
    )
    zero = Decimal("0")
    return {
        item_id: now_on_hand.get(item_id, zero) - moved_after.get(item_id, zero)
        for item_id in item_ids
    }


def _snapshot_items(balances: list[dict]) -> list[tuple[Item, Decimal, str]]:
    codes = {row["item"] for row in balances}
    items = {i.code: i for i in Item.objects.select_related("base_uom").filter(code__in=codes)}
    seen: dict[str, int] = {}
    counted = []
    for index, row in enumerate(balances):
        code = row["item"]
        if code not in items:
            raise ApplicationError(
                f"Unknown item '{code}'.", {"field": f"balances[{index}].item", "value": code}
            )
        if code in seen:
            raise ApplicationError(
                f"Item {code} is counted twice (balances[{seen[code]}] and [{index}]).",
                {"field": f"balances[{index}].item", "value": code},
            )
        seen[code] = index
        item = items[code]
        try:
            external = base_quantity(
                item, row["on_hand"], row["uom"], field=f"balances[{index}].on_hand"
            )
        except ApplicationError as error:
            if error.extra.get("field") == "uom":
                raise ApplicationError(
                    error.message, {**error.extra, "field": f"balances[{index}].uom"}
                ) from error
            raise
        counted.append((item, external, f"balances[{index}]"))
    return counted


def _mismatch_data(mismatch: InventoryMismatch) -> dict:
    """Exactly the fields of MESSAGES.md's `inventory.mismatch_detected`."""
    return {
        "plant": mismatch.plant.code,
        "item": mismatch.item.code,
        "weft_on_hand": quantity_text(mismatch.weft_on_hand),
        "external_on_hand": quantity_text(mismatch.external_on_hand),
        "source": mismatch.source,
        "as_of": mismatch.as_of.isoformat(),
    }


def _aggregate_key(mismatch: InventoryMismatch) -> str:
    return f"inventory:{mismatch.plant.code}:{mismatch.item.code}"


def _close(mismatch: InventoryMismatch, resolution: str, as_of: datetime) -> None:
    mismatch.status = InventoryMismatch.Status.CLOSED
    mismatch.resolution = resolution
    mismatch.closed_at = timezone.now()
    mismatch.save()
    emit(
        "inventory.mismatch_closed",
        {
            "plant": mismatch.plant.code,
            "item": mismatch.item.code,
            "source": mismatch.source,
            "as_of": as_of.isoformat(),
            "resolution": resolution,
        },
        key=_aggregate_key(mismatch),
    )


@transaction.atomic
def inventory_snapshot_reconcile(
    *,
    plant: str,
    as_of: datetime,
    balances: list[dict],
    source: str,
    writer: str = WEFT,
) -> Reconciliation:
    """Compare a system's count with Weft's stock as of the same instant; record what disagrees.

    A difference beyond the plant's tolerance opens (or refreshes) a mismatch and emits
    `inventory.mismatch_detected`; a later snapshot that agrees closes it. When the system's
    settings say its snapshots win, Weft is adjusted to its count with the mismatch as reference.
    Items the snapshot does not list are not judged (snapshots may be partial, e.g. cycle counts).
    """
    ownership_check(object_type="inventory", writer=writer)
    plant_row = resolve(Plant, plant, "plant")
    counted = _snapshot_items(balances)
    item_ids = [item.pk for item, _, _ in counted]
    weft_counts = on_hand_as_of(plant_row, item_ids, as_of)
    tolerance = plant_tolerance(plant_row)
    owner_wins = SystemInventorySettings.objects.filter(
        system__code=source, snapshot_owner_wins=True
    ).exists()
    mismatches = InventoryMismatch.objects.filter(plant=plant_row, source=source)
    latest = dict(
        mismatches.filter(item_id__in=item_ids)
        .order_by()
        .values("item_id")
        .annotate(latest=Max("as_of"))
        .values_list("item_id", "latest")
    )
    open_ones = {
        m.item_id: m
        for m in mismatches.select_for_update().filter(
            item_id__in=item_ids, status=InventoryMismatch.Status.OPEN
        )
    }
    outcome = Reconciliation()
    for item, external, _ in counted:
        if latest.get(item.pk) is not None and latest[item.pk] >= as_of:
            # An older (or the same) snapshot than one already judged says nothing new.
            outcome.skipped += 1
            continue
        outcome.compared += 1
        weft = weft_counts[item.pk]
        existing = open_ones.get(item.pk)
        if within_tolerance(
            weft,
            external,
            quantity=tolerance.mismatch_quantity,
            percent=tolerance.mismatch_percent,
        ):
            if existing is not None:
                existing.plant, existing.item = plant_row, item
                _close(existing, InventoryMismatch.Resolution.CLEARED, as_of)
                outcome.closed.append(existing)
            continue
        if existing is None:
            mismatch = InventoryMismatch.objects.create(
                item=item,
                plant=plant_row,
                source=source,
                as_of=as_of,
                weft_on_hand=weft,
                external_on_hand=external,
            )
            outcome.opened.append(mismatch)
        else:
            mismatch = existing
            mismatch.item, mismatch.plant = item, plant_row
            mismatch.as_of, mismatch.weft_on_hand = as_of, weft
            mismatch.external_on_hand = external
            mismatch.save()
            outcome.updated.append(mismatch)
        emit("inventory.mismatch_detected", _mismatch_data(mismatch), key=_aggregate_key(mismatch))
        if owner_wins:
            _adjust_to_owner(mismatch)
            outcome.adjusted.append(mismatch)
    return outcome


def _adjust_to_owner(mismatch: InventoryMismatch) -> None:
    """The snapshot's owner wins: move Weft to its count as of the snapshot, citing the mismatch."""
    inventory_post(
        kind=Kind.ADJUSTMENT,
        item=mismatch.item,
        plant=mismatch.plant,
        quantity=mismatch.external_on_hand - mismatch.weft_on_hand,
        source_system=mismatch.source,
        transaction_key=f"mismatch:{mismatch.pk}",
        reference=f"mismatch:{mismatch.pk}",
        reason=f"{mismatch.source} count as of {mismatch.as_of.isoformat()} wins",
        occurred_at=mismatch.as_of,
    )
    _close(mismatch, InventoryMismatch.Resolution.ADJUSTED, mismatch.as_of)


def snapshot_envelope(system_code: str, data) -> dict:
    """A polled snapshot as an envelope; the same data polled again makes the very same envelope."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:32]
    as_of = data.get("as_of") if isinstance(data, dict) else None
    return {
        "type": "inventory.snapshot",
        "version": 1,
        "id": f"snapshot-poll:{digest}",
        "source": system_code,
        "occurred_at": as_of if isinstance(as_of, str) else timezone.now().isoformat(),
        "data": data,
    }


def _record_poll(settings_row: SystemInventorySettings, error: str) -> None:
    # Poll bookkeeping is excluded from the settings' history, so a plain update is right.
    SystemInventorySettings.objects.filter(pk=settings_row.pk).update(
        last_polled_at=timezone.now(), last_poll_error=error[:2000]
    )


def inventory_snapshot_poll(*, settings_row: SystemInventorySettings) -> list[Intake]:
    """GET a system's snapshot(s) and put each through the inbox, the road every message takes.

    The HTTP call runs outside any transaction. A transport error or a non-200 answer is kept
    on the settings row for the next attempt; a body that is not JSON is stored as refused.
    """
    system = settings_row.system
    url = settings_row.snapshot_url
    try:
        refuse_unsafe_url(url, field="snapshot_url")
        session = requests.Session()
        session.trust_env = False
        response = session.get(
            url,
            timeout=(settings_row.poll_timeout_seconds, settings_row.poll_timeout_seconds),
            allow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
        )
    except UnsafeDestination as error:
        _record_poll(settings_row, f"Refused: {error.message}")
        return []
    except requests.Timeout:
        _record_poll(settings_row, f"No answer within {settings_row.poll_timeout_seconds} s.")
        return []
    except requests.RequestException as error:
        _record_poll(settings_row, f"Cannot reach {url}: {error}")
        return []
    if response.status_code != 200:
        _record_poll(settings_row, f"{url} answered {response.status_code}.")
        return []
    body = response.content[:MAX_SNAPSHOT_BYTES]
    try:
        payload = json.loads(body)
    except ValueError as error:
        intake = inbound_refuse(
            system=system,
            raw=body,
            channel=InboundMessage.Channel.CONNECTOR,
            reason=f"The snapshot from {url} is not JSON: {error}.",
        )
        _record_poll(settings_row, intake.message.reason)
        return [intake]
    records = payload if isinstance(payload, list) else [payload]
    intakes = [
        inbound_receive_envelope(
            system=system,
            envelope=snapshot_envelope(system.code, record),
            channel=InboundMessage.Channel.CONNECTOR,
        )
        for record in records
    ]
    refused = [i for i in intakes if i.http_status >= 400]
    _record_poll(settings_row, refused[0].message.reason if refused else "")
    return intakes


def systems_due_for_polling(now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    rows = SystemInventorySettings.objects.filter(system__enabled=True).exclude(snapshot_url="")
    return [row.pk for row in rows if row.poll_due(now)]
