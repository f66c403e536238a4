"""Console KPIs, portable across PostgreSQL and SQLite: counts and durations in SQL, percentiles
in Python over the durations the window holds (one number per answered line, planned version or
closed shortage, never whole rows).

Every function takes the window start `since` (and optionally `now`) and returns plain rows, so
the page and the tests read the same figures:

- ack_cycle_times: per supplier, hours from a line being sent to its first answer for that
  revision: median, p90, count.
- on_time_confirmation: per supplier, the share of answered lines whose first answer came by the
  line's acknowledgement due time.
- forecast_to_plan: per forecast version received in the window, minutes from receipt to the
  end of the MRP run it caused: the run with the inbound message's correlation id when there is
  one, else the plant's first successful run requested after the version was received.
- open_exceptions: open PlanningExceptions by kind, by plant and by age band.
- shortage_response: shortages raised in the window and closed (resolved or auto-closed):
  hours from raised to closed, median, p90, count; and how many are still open.
- integration_error_rate: per system, inbound rejected+dead and outbound dead over all messages.
"""

from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from integrations.models import InboundMessage, OutboundMessage
from masterdata.models import Supplier
from planning.models import ForecastVersion, MrpRun, PlanningException
from procurement.models import AcknowledgementLine, PurchaseOrderLine

AGE_BANDS = ((1, "under 1 day"), (3, "1–3 days"), (7, "3–7 days"), (30, "7–30 days"))


def _round(value, digits: int = 1):
    return None if value is None else round(float(value), digits)


def _hours(duration: timedelta) -> float:
    return duration.total_seconds() / 3600.0


def _percentile(values: list[float], fraction: float):
    """Linear interpolation between closest ranks, as PostgreSQL's percentile_cont."""
    if not values:
        return None
    values = sorted(values)
    position = (len(values) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return _round(values[low] + (values[high] - values[low]) * (position - low))


def ack_cycle_times(*, since: datetime, now: datetime | None = None) -> list[dict]:
    now = now or timezone.now()
    # One row per line answered in the window: its supplier, its wait and whether it was on time.
    answered_lines = (
        PurchaseOrderLine.objects.filter(sent_at__isnull=False)
        # Only lines with some answer since the window opened can have their first one in it.
        .filter(
            Exists(
                AcknowledgementLine.objects.filter(
                    po_line=OuterRef("pk"), acknowledgement__received_at__gte=since
                )
            )
        )
        .annotate(
            answered_at=Min(
                "answers__acknowledgement__received_at",
                filter=Q(answers__acknowledgement__received_at__gte=F("sent_at")),
            )
        )
        .filter(answered_at__gte=since, answered_at__lt=now)
        .annotate(
            wait=ExpressionWrapper(F("answered_at") - F("sent_at"), output_field=DurationField()),
            in_time=Case(
                When(Q(ack_due_at__isnull=True) | Q(ack_due_at__gte=F("answered_at")), then=True),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
        .values_list("po__supplier_id", "wait", "in_time")
    )
    waits: dict[int, list[float]] = defaultdict(list)
    on_time: dict[int, int] = defaultdict(int)
    for supplier_id, wait, in_time in answered_lines:
        waits[supplier_id].append(_hours(wait))
        on_time[supplier_id] += bool(in_time)
    suppliers = Supplier.objects.filter(pk__in=waits).order_by("code").values("pk", "code", "name")
    return [
        {
            "supplier": supplier["code"],
            "name": supplier["name"],
            "answered": len(waits[supplier["pk"]]),
            "median_hours": _percentile(waits[supplier["pk"]], 0.5),
            "p90_hours": _percentile(waits[supplier["pk"]], 0.9),
            "on_time": on_time[supplier["pk"]],
            "on_time_rate": _round(100.0 * on_time[supplier["pk"]] / len(waits[supplier["pk"]])),
        }
        for supplier in suppliers
    ]


def on_time_confirmation(*, since: datetime, now: datetime | None = None) -> dict:
    """Per supplier (from ack_cycle_times) and overall: answered lines, on time, rate in %."""
    rows = ack_cycle_times(since=since, now=now)
    answered = sum(row["answered"] for row in rows)
    on_time = sum(row["on_time"] for row in rows)
    return {
        "suppliers": [
            {k: row[k] for k in ("supplier", "answered", "on_time", "on_time_rate")} for row in rows
        ],
        "answered": answered,
        "on_time": on_time,
        "rate": _round(100.0 * on_time / answered) if answered else None,
    }


def forecast_to_plan(*, since: datetime, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    succeeded = MrpRun.objects.filter(status=MrpRun.Status.SUCCEEDED)
    first_run_after = succeeded.filter(
        plant_id=OuterRef("plant_id"), requested_at__gte=OuterRef("received_at")
    ).order_by("requested_at", "id")
    rows = list(
        ForecastVersion.objects.filter(received_at__gte=since, received_at__lt=now)
        .annotate(
            plant_code=F("plant__code"),
            by_time_id=Subquery(first_run_after.values("id")[:1]),
            by_time_at=Subquery(first_run_after.values("finished_at")[:1]),
        )
        .order_by("received_at", "id")
        .values(
            "id",
            "plan",
            "version",
            "plant_code",
            "received_at",
            "message_id",
            "by_time_id",
            "by_time_at",
        )
    )
    # The run a version's inbound message caused, by that message's correlation id.
    message_ids = {int(row["message_id"]) for row in rows if row["message_id"].isdigit()}
    correlation = dict(
        InboundMessage.objects.filter(pk__in=message_ids)
        .exclude(correlation_id="")
        .values_list("pk", "correlation_id")
    )
    by_correlation: dict[str, tuple[int, datetime]] = {}
    for run_id, correlation_id, finished_at in (
        succeeded.filter(correlation_id__in=set(correlation.values()))
        .order_by("finished_at", "id")
        .values_list("id", "correlation_id", "finished_at")
    ):
        by_correlation.setdefault(correlation_id, (run_id, finished_at))
    versions = []
    for row in rows:
        message = int(row["message_id"]) if row["message_id"].isdigit() else None
        by_id = by_correlation.get(correlation.get(message))
        run_id, planned_at = by_id or (row["by_time_id"], row["by_time_at"])
        minutes = None
        if planned_at is not None:
            minutes = _round((planned_at - row["received_at"]).total_seconds() / 60.0)
        versions.append(
            {
                "id": row["id"],
                "plan": row["plan"],
                "version": row["version"],
                "plant": row["plant_code"],
                "received_at": row["received_at"],
                "run_id": run_id,
                "planned_at": planned_at,
                "matched_by": "correlation id" if by_id else "time order",
                "minutes": minutes,
            }
        )
    planned = [v["minutes"] for v in versions if v["minutes"] is not None]
    return {
        "versions": versions,
        "planned": len(planned),
        "waiting": len(versions) - len(planned),
        "median_minutes": _percentile(planned, 0.5),
        "p90_minutes": _percentile(planned, 0.9),
    }


def open_exceptions(*, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    open_rows = PlanningException.objects.open()
    by_kind = [
        {"kind": row["kind"], "label": PlanningException.Kind(row["kind"]).label, "count": row["n"]}
        for row in _group(open_rows, "kind")
    ]
    by_plant = [
        {"plant": row["plant__code"] or "(none)", "count": row["n"]}
        for row in _group(open_rows, "plant__code")
    ]
    # Every age band counted in one statement.
    bands, lower = {}, 0
    for days, label in AGE_BANDS:
        bands[label] = Q(
            opened_at__lte=now - timedelta(days=lower), opened_at__gt=now - timedelta(days=days)
        )
        lower = days
    bands[f"over {lower} days"] = Q(opened_at__lte=now - timedelta(days=lower))
    names = {f"band_{index}": label for index, label in enumerate(bands)}
    counts = open_rows.aggregate(
        total=Count("id"),
        **{name: Count("id", filter=bands[label]) for name, label in names.items()},
    )
    return {
        "by_kind": by_kind,
        "by_plant": by_plant,
        "by_age": [{"band": label, "count": counts[name]} for name, label in names.items()],
        "total": counts["total"],
    }


def _group(queryset, field: str):
    return queryset.values(field).annotate(n=Count("id")).order_by("-n", field)


def shortage_response(*, since: datetime, now: datetime | None = None) -> dict:
    raised = PlanningException.objects.filter(
        kind=PlanningException.Kind.SHORTAGE,
        opened_at__gte=since,
        opened_at__lt=now or timezone.now(),
    )
    still_open = raised.filter(closed_at__isnull=True).count()
    hours = [
        _hours(duration)
        for duration in raised.filter(closed_at__isnull=False)
        .annotate(
            response=ExpressionWrapper(
                F("closed_at") - F("opened_at"), output_field=DurationField()
            )
        )
        .values_list("response", flat=True)
    ]
    return {
        "closed": len(hours),
        "still_open": still_open,
        "median_hours": _percentile(hours, 0.5),
        "p90_hours": _percentile(hours, 0.9),
    }


def integration_error_rate(*, since: datetime, now: datetime | None = None) -> list[dict]:
    now = now or timezone.now()
    inbound = (
        InboundMessage.objects.filter(received_at__gte=since, received_at__lt=now)
        .values("system__code")
        .annotate(
            total=Count("id"),
            errors=Count(
                "id",
                filter=Q(status__in=[InboundMessage.Status.REJECTED, InboundMessage.Status.DEAD]),
            ),
        )
        .order_by()
    )
    outbound = (
        OutboundMessage.objects.filter(created_at__gte=since, created_at__lt=now)
        .values("subscription__system__code")
        .annotate(
            total=Count("id"), errors=Count("id", filter=Q(status=OutboundMessage.Status.DEAD))
        )
        .order_by()
    )
    systems: dict[str, dict] = defaultdict(
        lambda: {"inbound": 0, "inbound_errors": 0, "outbound": 0, "outbound_errors": 0}
    )
    for row in inbound:
        systems[row["system__code"]].update(inbound=row["total"], inbound_errors=row["errors"])
    for row in outbound:
        systems[row["subscription__system__code"]].update(
            outbound=row["total"], outbound_errors=row["errors"]
        )
    rows = []
    for code in sorted(systems):
        row = {"system": code, **systems[code]}
        total = row["inbound"] + row["outbound"]
        errors = row["inbound_errors"] + row["outbound_errors"]
        row["error_rate"] = _round(100.0 * errors / total, 2)
        rows.append(row)
    return rows
