"""Console KPIs, each one SQL statement over the apps' tables (PostgreSQL percentiles).

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

from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from planning.models import PlanningException

AGE_BANDS = ((1, "under 1 day"), (3, "1–3 days"), (7, "3–7 days"), (30, "7–30 days"))


def _rows(sql: str, params: list) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _round(value, digits: int = 1):
    return None if value is None else round(float(value), digits)


ACK_CYCLE_SQL = """
WITH first_answer AS (
    SELECT pol.id AS line_id, po.supplier_id, pol.sent_at, pol.ack_due_at,
           MIN(ack.received_at) AS answered_at
    FROM procurement_purchaseorderline pol
    JOIN procurement_purchaseorder po ON po.id = pol.po_id
    JOIN procurement_acknowledgementline al ON al.po_line_id = pol.id
    JOIN procurement_acknowledgement ack ON ack.id = al.acknowledgement_id
    WHERE pol.sent_at IS NOT NULL AND ack.received_at >= pol.sent_at
    GROUP BY pol.id, po.supplier_id, pol.sent_at, pol.ack_due_at
)
SELECT s.code AS supplier, s.name AS name, COUNT(*) AS answered,
       percentile_cont(0.5) WITHIN GROUP (
           ORDER BY EXTRACT(EPOCH FROM fa.answered_at - fa.sent_at) / 3600.0) AS median_hours,
       percentile_cont(0.9) WITHIN GROUP (
           ORDER BY EXTRACT(EPOCH FROM fa.answered_at - fa.sent_at) / 3600.0) AS p90_hours,
       COUNT(*) FILTER (WHERE fa.ack_due_at IS NULL OR fa.answered_at <= fa.ack_due_at) AS on_time
FROM first_answer fa
JOIN masterdata_supplier s ON s.id = fa.supplier_id
WHERE fa.answered_at >= %s AND fa.answered_at < %s
GROUP BY s.code, s.name
ORDER BY s.code
"""


def ack_cycle_times(*, since: datetime, now: datetime | None = None) -> list[dict]:
    rows = _rows(ACK_CYCLE_SQL, [since, now or timezone.now()])
    return [
        {
            "supplier": row["supplier"],
            "name": row["name"],
            "answered": row["answered"],
            "median_hours": _round(row["median_hours"]),
            "p90_hours": _round(row["p90_hours"]),
            "on_time": row["on_time"],
            "on_time_rate": _round(100.0 * row["on_time"] / row["answered"]),
        }
        for row in rows
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


FORECAST_TO_PLAN_SQL = """
SELECT fv.id, fv.plan, fv.version, p.code AS plant, fv.received_at,
       COALESCE(by_id.id, by_time.id) AS run_id,
       COALESCE(by_id.finished_at, by_time.finished_at) AS planned_at,
       CASE WHEN by_id.id IS NOT NULL THEN 'correlation id' ELSE 'time order' END AS matched_by
FROM planning_forecastversion fv
JOIN masterdata_plant p ON p.id = fv.plant_id
LEFT JOIN integrations_inboundmessage im ON fv.message_id <> '' AND im.id::text = fv.message_id
LEFT JOIN LATERAL (
    SELECT r.id, r.finished_at FROM planning_mrprun r
    WHERE im.correlation_id IS NOT NULL AND r.correlation_id = im.correlation_id
      AND r.status = 'succeeded'
    ORDER BY r.finished_at LIMIT 1
) by_id ON TRUE
LEFT JOIN LATERAL (
    SELECT r.id, r.finished_at FROM planning_mrprun r
    WHERE r.plant_id = fv.plant_id AND r.status = 'succeeded' AND r.requested_at >= fv.received_at
    ORDER BY r.requested_at LIMIT 1
) by_time ON TRUE
WHERE fv.received_at >= %s AND fv.received_at < %s
ORDER BY fv.received_at
"""


def forecast_to_plan(*, since: datetime, now: datetime | None = None) -> dict:
    rows = _rows(FORECAST_TO_PLAN_SQL, [since, now or timezone.now()])
    versions = []
    for row in rows:
        minutes = None
        if row["planned_at"] is not None:
            minutes = _round((row["planned_at"] - row["received_at"]).total_seconds() / 60.0)
        versions.append({**row, "minutes": minutes})
    planned = sorted(v["minutes"] for v in versions if v["minutes"] is not None)
    return {
        "versions": versions,
        "planned": len(planned),
        "waiting": len(versions) - len(planned),
        "median_minutes": _percentile(planned, 0.5),
        "p90_minutes": _percentile(planned, 0.9),
    }


def _percentile(values: list[float], fraction: float):
    """Linear interpolation between closest ranks, as PostgreSQL's percentile_cont."""
    if not values:
        return None
    position = (len(values) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return _round(values[low] + (values[high] - values[low]) * (position - low))


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
    bands = []
    lower = 0
    for days, label in AGE_BANDS:
        count = open_rows.filter(
            opened_at__lte=now - timedelta(days=lower), opened_at__gt=now - timedelta(days=days)
        ).count()
        bands.append({"band": label, "count": count})
        lower = days
    bands.append(
        {
            "band": f"over {lower} days",
            "count": open_rows.filter(opened_at__lte=now - timedelta(days=lower)).count(),
        }
    )
    return {"by_kind": by_kind, "by_plant": by_plant, "by_age": bands, "total": open_rows.count()}


def _group(queryset, field: str):
    from django.db.models import Count

    return queryset.values(field).annotate(n=Count("id")).order_by("-n", field)


SHORTAGE_SQL = """
SELECT COUNT(*) FILTER (WHERE closed_at IS NOT NULL) AS closed,
       COUNT(*) FILTER (WHERE closed_at IS NULL) AS still_open,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM closed_at - opened_at) / 3600.0)
           FILTER (WHERE closed_at IS NOT NULL) AS median_hours,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM closed_at - opened_at) / 3600.0)
           FILTER (WHERE closed_at IS NOT NULL) AS p90_hours
FROM planning_exception
WHERE kind = 'shortage' AND opened_at >= %s AND opened_at < %s
"""


def shortage_response(*, since: datetime, now: datetime | None = None) -> dict:
    row = _rows(SHORTAGE_SQL, [since, now or timezone.now()])[0]
    return {
        "closed": row["closed"],
        "still_open": row["still_open"],
        "median_hours": _round(row["median_hours"]),
        "p90_hours": _round(row["p90_hours"]),
    }


ERROR_RATE_SQL = """
SELECT s.code AS system,
       COALESCE(i.total, 0) AS inbound, COALESCE(i.errors, 0) AS inbound_errors,
       COALESCE(o.total, 0) AS outbound, COALESCE(o.errors, 0) AS outbound_errors
FROM integrations_externalsystem s
LEFT JOIN (
    SELECT system_id, COUNT(*) AS total,
           COUNT(*) FILTER (WHERE status IN ('rejected', 'dead')) AS errors
    FROM integrations_inboundmessage WHERE received_at >= %s AND received_at < %s
    GROUP BY system_id
) i ON i.system_id = s.id
LEFT JOIN (
    SELECT sub.system_id, COUNT(*) AS total, COUNT(*) FILTER (WHERE om.status = 'dead') AS errors
    FROM integrations_outboundmessage om
    JOIN integrations_subscription sub ON sub.id = om.subscription_id
    WHERE om.created_at >= %s AND om.created_at < %s
    GROUP BY sub.system_id
) o ON o.system_id = s.id
WHERE COALESCE(i.total, 0) + COALESCE(o.total, 0) > 0
ORDER BY s.code
"""


def integration_error_rate(*, since: datetime, now: datetime | None = None) -> list[dict]:
    now = now or timezone.now()
    rows = _rows(ERROR_RATE_SQL, [since, now, since, now])
    for row in rows:
        total = row["inbound"] + row["outbound"]
        errors = row["inbound_errors"] + row["outbound_errors"]
        row["error_rate"] = _round(100.0 * errors / total, 2)
    return rows
