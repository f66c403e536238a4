"""Planned independent demand per item and date: customer orders against the active forecast."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from planning.models import DemandOrderLine, ForecastLine, ForecastVersion


@dataclass(frozen=True, slots=True)
class PlannedDemand:
    item_id: int
    date: date
    quantity: Decimal
    source_kind: str
    source_ref: str


def planned_demand(plant, *, item_ids=None, start: date, end: date) -> list[PlannedDemand]:
    """Open order lines, and the active forecast where it exceeds the orders of its period."""
    lines = DemandOrderLine.objects.open().filter(plant=plant, due_date__lt=end)
    forecasts = ForecastLine.objects.filter(
        version__plant=plant,
        version__status=ForecastVersion.Status.ACTIVE,
        period_start__gte=start,
        period_start__lt=end,
    )
    if item_ids is not None:
        lines = lines.filter(item_id__in=item_ids)
        forecasts = forecasts.filter(item_id__in=item_ids)
    demands = []
    ordered = defaultdict(Decimal)
    for item_id, due, quantity, number, line in lines.values_list(
        "item_id", "due_date", "quantity", "order__number", "line"
    ):
        day = max(due, start)
        demands.append(PlannedDemand(item_id, day, quantity, "demand_order", f"{number}/{line}"))
        ordered[item_id, day] += quantity
    for item_id, period, quantity, plan, version in forecasts.values_list(
        "item_id", "period_start", "quantity", "version__plan", "version__version"
    ):
        remaining = quantity - ordered.get((item_id, period), Decimal(0))
        if remaining > 0:
            ref = f"{plan}/{version}/{period.isoformat()}"
            demands.append(PlannedDemand(item_id, period, remaining, "forecast", ref))
    return demands
