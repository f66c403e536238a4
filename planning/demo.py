"""Demo demand on top of the demo masters: an active forecast and customer orders, via services.

Per plant, the finished goods planned there get plan DEMO version 1 (active, weekly, from this
Monday for `weeks` weeks) and version 2 (submitted, 10 % higher in the second half, waiting
for a planner: something to diff and approve). Customer orders cover some finished goods, a
few past due, some due within two weeks, the rest later. Deterministic; a rerun adds nothing.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from integrations.history import acting_as
from integrations.models import ExternalSystem
from integrations.ownership import owner_of
from integrations.roles import PLANNERS
from masterdata.models import Item, ItemPlant, Plant, Supplier
from planning.models import DemandOrder, ForecastVersion, SupplierPlanningSettings
from planning.runs import mrp_run_full
from planning.services import demand, forecasts

PLAN = "DEMO"
FORECAST_SOURCE = "DP-CLOUD"
ORDERED_SHARE = 0.5
MAX_ORDERS = 120


@dataclass
class PlanningSeedReport:
    forecast_versions: int = 0
    forecast_lines: int = 0
    demand_orders: int = 0
    demand_lines: int = 0


def _finished_goods_by_plant() -> dict[Plant, list[Item]]:
    planned = (
        ItemPlant.objects.filter(item__low_level_code=0, item__item_type=Item.ItemType.MAKE)
        .select_related("item__base_uom", "plant")
        .order_by("plant__code", "item__code")
    )
    result: dict[Plant, list[Item]] = {}
    for row in planned:
        result.setdefault(row.plant, []).append(row.item)
    return result


def _weekly_quantity(item: Item, plant: Plant, week: int) -> Decimal:
    rng = random.Random(f"{plant.code}:{item.code}")
    base = rng.choice([20, 30, 40, 60, 80, 120])
    season = 1 + 0.25 * ((week % 13) - 6) / 6  # a quarterly swing of ±25 %
    return Decimal(round(base * season))


def _planner():
    return get_user_model().objects.filter(groups__name=PLANNERS).order_by("pk").first()


def _lines(items: list[Item], plant: Plant, monday: date, weeks: int, uplift) -> list[dict]:
    return [
        {
            "item": item.code,
            "period_start": monday + timedelta(weeks=week),
            "quantity": str(uplift(week, _weekly_quantity(item, plant, week))),
            "uom": item.base_uom.code,
        }
        for item in items
        for week in range(weeks)
    ]


def _seed_forecasts(plant, items, monday, weeks, source, planner, report) -> None:
    if ForecastVersion.objects.filter(plan=PLAN, plant=plant).exists():
        return
    first = forecasts.forecast_publish(
        plan=PLAN,
        plant=plant.code,
        version=1,
        bucket=ForecastVersion.Bucket.WEEK,
        lines=_lines(items, plant, monday, weeks, lambda week, q: q),
        source_system=source,
    )
    if planner is not None:
        forecasts.forecast_approve(forecast=first, acting_user=planner)
        forecasts.forecast_activate(forecast=first, acting_user=planner)
    else:
        forecasts.forecast_approve_by_policy(forecast=first, activate=True)
    second = forecasts.forecast_publish(
        plan=PLAN,
        plant=plant.code,
        version=2,
        bucket=ForecastVersion.Bucket.WEEK,
        lines=_lines(
            items,
            plant,
            monday,
            weeks,
            lambda week, q: (q * Decimal("1.1")).quantize(Decimal(1)) if week >= weeks // 2 else q,
        ),
        source_system=source,
    )
    report.forecast_versions += 2
    report.forecast_lines += first.lines.count() + second.lines.count()


def _seed_orders(by_plant, today: date, writer: str, report) -> None:
    rng = random.Random(2026)
    pairs = [(plant, item) for plant, items in by_plant.items() for item in items]
    ordered = pairs[: max(1, min(MAX_ORDERS, round(len(pairs) * ORDERED_SHARE)))]
    for index, (plant, item) in enumerate(ordered):
        number = f"SO-DEMO-{index + 1:04d}"
        if DemandOrder.objects.filter(number=number).exists():
            continue
        if index % 10 == 0:
            offsets = [-rng.randint(1, 10)]  # past due, still open
        elif index % 3 == 0:
            offsets = [rng.randint(0, 13)]  # due soon
        else:
            offsets = sorted(rng.randint(14, 120) for _ in range(rng.randint(1, 3)))
        lines = [
            {
                "line": n + 1,
                "item": item.code,
                "plant": plant.code,
                "quantity": str(rng.choice([5, 10, 15, 25, 40, 90])),
                "uom": item.base_uom.code,
                "due_date": today + timedelta(days=offset),
                "status": "open",
            }
            for n, offset in enumerate(offsets)
        ]
        demand.demand_order_upsert(
            number=number, customer=f"Customer {index % 17 + 1:02d}", lines=lines, writer=writer
        )
        report.demand_orders += 1
        report.demand_lines += len(lines)


def seed_planning_forecasts(
    *,
    weeks: int = 26,
    today: date | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> PlanningSeedReport:
    """An active weekly forecast for the finished goods, a newer version to approve, and orders."""
    progress = progress or (lambda step, n: None)
    report = PlanningSeedReport()
    today = today or timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    by_plant = _finished_goods_by_plant()
    source = (
        FORECAST_SOURCE
        if ExternalSystem.objects.filter(code=FORECAST_SOURCE).exists()
        else forecasts.WEFT
    )
    with acting_as(system_code="seed_demo"), transaction.atomic():
        planner = _planner()
        for plant, items in by_plant.items():
            _seed_forecasts(plant, items, monday, weeks, source, planner, report)
        progress("forecasts", report.forecast_lines)
        _seed_orders(by_plant, today, owner_of("demand_order"), report)
        progress("demand orders", report.demand_lines)
    return report


def seed_plan(progress: Callable[[str, int], None] | None = None) -> int:
    """Plan every demo plant with a full run, so the console opens on a plan with exceptions.

    One supplier answers change requests automatically (S003), the others wait for a planner.
    """
    _seed_cancelled_special()
    automatic = Supplier.objects.filter(code="S003").first()
    if automatic is not None:
        SupplierPlanningSettings.objects.get_or_create(
            supplier=automatic, defaults={"automatic_change_requests": True}
        )
    runs = [
        mrp_run_full(plant=plant, trigger="demo")
        for plant in Plant.objects.filter(items__isnull=False).distinct().order_by("code")
    ]
    exceptions = sum(run.exceptions for run in runs)
    if progress is not None:
        progress("MRP plan", exceptions)
    return exceptions


SPECIAL = "SPECIAL-7001"


def _seed_cancelled_special() -> None:
    """A customer-specific part bought for one order that the customer then cancelled: its PO
    is still open, so MRP advises cancelling it."""
    supplier = Supplier.objects.filter(code="S001").first()
    plant = Plant.objects.filter(code="P100").first()
    if (
        supplier is None
        or plant is None
        or DemandOrder.objects.filter(number="SO-SPECIAL").exists()
    ):
        return
    from masterdata.services import item_upsert, sourcing_rule_upsert
    from procurement.services import purchase_order_create, purchase_order_issue

    today = timezone.localdate()
    with acting_as(system_code="seed_demo"), transaction.atomic():
        item = item_upsert(
            code=SPECIAL,
            description="Custom engraved frame plate (Velo AG)",
            base_uom="EA",
            item_type=Item.ItemType.BUY,
            plants=[{"plant": plant.code, "lead_time_days": 21}],
            writer=owner_of("item"),
        )
        sourcing_rule_upsert(
            item=item.code, supplier=supplier.code, plant=plant.code, lead_time_days=21,
            unit_price=Decimal("48.00"), writer=owner_of("sourcing_rule"),
        )  # fmt: skip
        line = {"line": 1, "item": item.code, "plant": plant.code, "quantity": "40", "uom": "EA"}
        writer = owner_of("demand_order")
        due = (today + timedelta(days=35)).isoformat()
        demand.demand_order_upsert(
            number="SO-SPECIAL", customer="Velo AG", writer=writer,
            lines=[{**line, "due_date": due, "status": "open"}],
        )  # fmt: skip
        po = purchase_order_create(
            number="PO-SPECIAL-01",
            supplier=supplier.code,
            plant=plant.code,
            lines=[
                {
                    "line": 10,
                    "item": item.code,
                    "quantity": "40",
                    "uom": "EA",
                    "requested_date": due,
                }
            ],
        )
        purchase_order_issue(po=po)
        demand.demand_order_upsert(
            number="SO-SPECIAL", customer="Velo AG", writer=writer,
            lines=[{**line, "due_date": due, "status": "cancelled"}],
        )  # fmt: skip
