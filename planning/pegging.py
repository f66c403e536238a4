"""Pegging from the stored plan: what a supply serves, traced up to end items and customer orders.

Pegs are derived, not stored: a 10,000-item plan has over a million one-level pegs, which would
cost a full run more to write than everything else it stores. Replanning a few items against the
stored plan is cheap and gives the same pegs, because a net change equals a full run: the loader
takes the parents' stored planned orders as the items' demand (`planned_order` sources), so each
level's pegs name the parent orders they serve, and tracing repeats one level up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from django.utils import timezone

from planning.models import PlannedOrder
from planning.mrp import plan
from planning.mrp.loader import LoadedPlant, load
from planning.mrp.tables import NONE, ON_HAND, SCHEDULED_RECEIPT

MAX_LEVELS = 30


@dataclass(frozen=True)
class Peg:
    """Part of a supply (on hand, an open order, a planned order) serving one demand one level up."""

    item_id: int
    supply_kind: str
    supply_ref: str
    demand_kind: str
    demand_ref: str
    demand_item_id: int
    demand_date: date
    quantity: Decimal


@dataclass(frozen=True)
class EndDemand:
    """An end demand a supply serves, and how much of the supply goes to it."""

    kind: str
    ref: str
    item_id: int
    date: date
    quantity: Decimal


def pegs_of(plant, item_ids: Collection[int]) -> list[Peg]:
    """One-level pegs of every supply of the items, as the stored plan allocates them."""
    loaded = load(plant, today=timezone.localdate(), item_ids=item_ids)
    result = plan(loaded.inputs)
    numbers = _stored_numbers(loaded, item_ids)
    pegs = list(_pegs(loaded, result, numbers))
    # A parent's stored order came in as demand: name the parent item and when it needs the part.
    parents = {peg.demand_ref for peg in pegs if peg.demand_kind == "planned_order"}
    orders = {
        number: (item, release)
        for number, item, release in PlannedOrder.objects.filter(number__in=parents).values_list(
            "number", "item_id", "release_date"
        )
    }
    return [
        replace(
            peg, demand_item_id=orders[peg.demand_ref][0], demand_date=orders[peg.demand_ref][1]
        )
        if peg.demand_ref in orders
        else peg
        for peg in pegs
    ]


def _stored_numbers(loaded: LoadedPlant, item_ids) -> dict[tuple[int, date], str]:
    rows = PlannedOrder.objects.filter(
        plant=loaded.plant, item_id__in=item_ids, status=PlannedOrder.Status.PLANNED
    ).values_list("item_id", "due_date", "number")
    return {(item, due): number for item, due, number in rows}


def _pegs(loaded: LoadedPlant, result, numbers):
    net, table = result.network, result.peg_table
    ids = net.item_ids
    for item, kind, ref, demand_item, demand_ref, edge, quantity in zip(
        table.supply_item.tolist(),
        table.supply_kind.tolist(),
        table.supply_ref.tolist(),
        table.demand_item.tolist(),
        table.demand_ref.tolist(),
        table.edge.tolist(),
        table.quantity.tolist(),
        strict=True,
    ):
        if kind == ON_HAND:
            supply_kind, supply_ref = "on_hand", ""
        elif kind == SCHEDULED_RECEIPT:
            receipt = loaded.receipts[net.receipt_id(item, ref)]
            # A receipt's kind is already a supply kind: purchase_order, work_order, planned_order.
            supply_kind, supply_ref = receipt.kind, receipt.number
        else:
            supply_kind = "planned_order"
            supply_ref = numbers.get((ids[item], loaded.bucket_date(ref)), "")
        if edge == NONE:
            demand = net.item(demand_item).demands[demand_ref]
            demand_kind, demand_name = demand.source
            demand_date = loaded.bucket_date(demand.bucket)
        else:
            demand_kind = "planned_order"
            due = loaded.bucket_date(demand_ref)
            demand_name = numbers.get((ids[demand_item], due), "")
            demand_date = due
        yield Peg(
            ids[item],
            supply_kind,
            supply_ref,
            demand_kind,
            str(demand_name),
            ids[demand_item],
            demand_date,
            Decimal(str(round(quantity, 6))),
        )


def end_demands(*, plant, item_id: int, supply_kind: str, supply_ref: str) -> list[EndDemand]:
    """Follow a supply's pegs through parent planned orders to customer orders and forecast.

    A peg onto a parent's planned order shares its quantity among that order's own pegs in
    proportion, level by level: one small replan per level.
    """
    frontier = [
        peg
        for peg in pegs_of(plant, [item_id])
        if peg.supply_kind == supply_kind and peg.supply_ref == supply_ref
    ]
    shares = [peg.quantity for peg in frontier]
    found: dict[tuple, Decimal] = defaultdict(Decimal)
    for _ in range(MAX_LEVELS):
        parents = []
        for peg, share in zip(frontier, shares, strict=True):
            if peg.demand_kind == "planned_order" and peg.demand_ref:
                parents.append((peg, share))
            else:
                found[(peg.demand_kind, peg.demand_ref, peg.demand_item_id, peg.demand_date)] += (
                    share
                )
        if not parents:
            break
        above = defaultdict(list)
        for peg in pegs_of(plant, {peg.demand_item_id for peg, _ in parents}):
            if peg.supply_kind == "planned_order":
                above[peg.supply_ref].append(peg)
        frontier, shares = [], []
        for peg, share in parents:
            rows = above.get(peg.demand_ref, [])
            total = sum((row.quantity for row in rows), Decimal(0))
            for row in rows:
                frontier.append(row)
                shares.append(share * row.quantity / total if total else Decimal(0))
    return [
        EndDemand(kind, ref, item, day, quantity.quantize(Decimal("0.000001")))
        for (kind, ref, item, day), quantity in sorted(
            found.items(), key=lambda entry: (entry[0][3], entry[0][0], entry[0][1])
        )
    ]
