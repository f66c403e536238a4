"""Pegging read from the stored plan: what a supply serves, traced up to end items and orders."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from planning.models import PegRow

END_KINDS = ("demand_order", "forecast", "work_order")
MAX_LEVELS = 30


@dataclass(frozen=True)
class EndDemand:
    """An end demand a supply serves, and how much of the supply goes to it."""

    kind: str
    ref: str
    item_id: int
    date: date
    quantity: Decimal


def end_demands(
    *, plant_id: int, item_id: int, supply_kind: str, supply_ref: str
) -> list[EndDemand]:
    """Follow the supply's pegs up through parent planned orders to customer orders and forecast.

    A peg onto a parent's planned order shares its quantity among that order's own pegs in
    proportion, level by level; one query per level.
    """
    frontier = [
        (row.demand_kind, row.demand_ref, row.demand_item_id, row.demand_date, row.quantity)
        for row in PegRow.objects.filter(
            plant_id=plant_id, item_id=item_id, supply_kind=supply_kind, supply_ref=supply_ref
        )
    ]
    found: dict[tuple, Decimal] = defaultdict(Decimal)
    for _ in range(MAX_LEVELS):
        parents = [entry for entry in frontier if entry[0] == "planned_order"]
        for kind, ref, demand_item, day, quantity in frontier:
            if kind != "planned_order":
                found[(kind, ref, demand_item, day)] += quantity
        if not parents:
            break
        above = defaultdict(list)
        for row in PegRow.objects.filter(
            plant_id=plant_id,
            supply_kind=PegRow.Supply.PLANNED_ORDER,
            supply_ref__in={ref for _, ref, _, _, _ in parents},
        ):
            above[row.supply_ref].append(row)
        frontier = []
        for _, ref, _, _, quantity in parents:
            rows = above.get(ref, [])
            total = sum((row.quantity for row in rows), Decimal(0))
            for row in rows:
                share = quantity * row.quantity / total if total else Decimal(0)
                frontier.append(
                    (row.demand_kind, row.demand_ref, row.demand_item_id, row.demand_date, share)
                )
    return [
        EndDemand(kind, ref, item, day, quantity.quantize(Decimal("0.000001")))
        for (kind, ref, item, day), quantity in sorted(
            found.items(), key=lambda entry: (entry[0][3], entry[0][0], entry[0][1])
        )
    ]
