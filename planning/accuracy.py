"""Forecast accuracy: each version that planned (active or superseded) against the orders that came.

For every forecast line whose period has ended, the actual is the quantity of the plant's order
lines for that item due in the period (open or closed; cancelled ones never came). The KPI page
reads MAPE (mean of |forecast − actual| / actual over periods with orders) and bias
((Σ forecast − Σ actual) / Σ actual) per version.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from celery import shared_task
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Abs
from django.utils import timezone

from planning.models import DemandOrderLine, ForecastAccuracy, ForecastLine, ForecastVersion
from planning.services.forecasts import period_end

Status = ForecastVersion.Status
PLANNED_WITH = (Status.ACTIVE, Status.SUPERSEDED)
HUNDRED = Decimal(100)


@transaction.atomic
def forecast_accuracy_recompute(*, version: ForecastVersion, today: date | None = None) -> int:
    """Store forecast against actual for every period of `version` that has ended; return the count."""
    today = today or timezone.localdate()
    lines = [
        (item_id, start, quantity)
        for item_id, start, quantity in ForecastLine.objects.filter(
            version=version, period_start__lt=today
        ).values_list("item_id", "period_start", "quantity")
        if period_end(version.bucket, start) <= today
    ]
    if not lines:
        return 0
    first = min(start for _, start, _ in lines)
    last_end = max(period_end(version.bucket, start) for _, start, _ in lines)
    daily: dict[int, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    orders = (
        DemandOrderLine.objects.filter(
            plant_id=version.plant_id,
            item_id__in={item_id for item_id, _, _ in lines},
            due_date__gte=first,
            due_date__lt=last_end,
        )
        .exclude(status=DemandOrderLine.Status.CANCELLED)
        .values_list("item_id", "due_date")
        .annotate(total=Sum("quantity"))
    )
    for item_id, due, total in orders:
        daily[item_id][due] += total
    rows = []
    for item_id, start, quantity in lines:
        ending = period_end(version.bucket, start)
        actual = sum(
            (q for due, q in daily.get(item_id, {}).items() if start <= due < ending), Decimal(0)
        )
        rows.append(
            ForecastAccuracy(
                version=version,
                item_id=item_id,
                period_start=start,
                forecast_quantity=quantity,
                actual_quantity=actual,
            )
        )
    ForecastAccuracy.objects.bulk_create(
        rows,
        batch_size=5000,
        update_conflicts=True,
        unique_fields=["version", "item", "period_start"],
        update_fields=["forecast_quantity", "actual_quantity", "computed_at"],
    )
    return len(rows)


def forecast_accuracy_sweep(*, today: date | None = None) -> int:
    """Recompute every version that planned; return how many rows were stored."""
    today = today or timezone.localdate()
    total = 0
    for version in ForecastVersion.objects.filter(
        status__in=PLANNED_WITH, activated_at__isnull=False
    ):
        total += forecast_accuracy_recompute(version=version, today=today)
    return total


@shared_task
def refresh_forecast_accuracy() -> int:
    """Beat: recompute forecast accuracy of every version that planned."""
    return forecast_accuracy_sweep()


@dataclass(frozen=True)
class VersionAccuracy:
    version: int
    periods: int
    forecast_total: Decimal
    actual_total: Decimal
    mape: Decimal | None
    """Percent; periods without orders are left out (their error has no base)."""
    bias: Decimal | None
    """Percent; above 0 the version over-forecast."""


def forecast_accuracy_by_version(versions=None) -> list[VersionAccuracy]:
    """MAPE and bias per version, from the stored accuracy rows, one query."""
    rows = ForecastAccuracy.objects.all()
    if versions is not None:
        rows = rows.filter(version__in=versions)
    totals = (
        rows.values("version")
        .annotate(
            periods=Count("id"),
            forecast_total=Sum("forecast_quantity"),
            actual_total=Sum("actual_quantity"),
            error_ratio=Sum(
                Abs(F("forecast_quantity") - F("actual_quantity")) / F("actual_quantity"),
                filter=Q(actual_quantity__gt=0),
            ),
            with_orders=Count("id", filter=Q(actual_quantity__gt=0)),
        )
        .order_by("version")
    )
    result = []
    for row in totals:
        actual = row["actual_total"] or Decimal(0)
        forecast = row["forecast_total"] or Decimal(0)
        mape = (
            (Decimal(row["error_ratio"]) * HUNDRED / row["with_orders"]).quantize(Decimal("0.0001"))
            if row["with_orders"]
            else None
        )
        bias = (
            ((forecast - actual) * HUNDRED / actual).quantize(Decimal("0.0001")) if actual else None
        )
        result.append(VersionAccuracy(row["version"], row["periods"], forecast, actual, mape, bias))
    return result
