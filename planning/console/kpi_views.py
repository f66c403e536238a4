"""The KPI page: figures from planning/kpis.py, drawn with the vendored Chart.js."""

from datetime import timedelta

from django.utils import timezone
from django.views.decorators.http import require_GET

from planning import kpis as figures
from planning.console.access import console_required
from planning.console.pages import answering_errors, bad, integer
from planning.console.views import console_render

WINDOWS = (7, 30, 90, 365)


def _bar(labels, *series, horizontal=False, stacked=False):
    return {
        "labels": labels,
        "series": [{"label": label, "data": data} for label, data in series],
        "horizontal": horizontal,
        "stacked": stacked,
    }


@console_required
@require_GET
@answering_errors
def kpis(request):
    days = integer(request.GET, "days") or 30
    if days not in WINDOWS:
        raise bad(
            "days", request.GET.get("days"), f"days must be one of {', '.join(map(str, WINDOWS))}."
        )
    now = timezone.now()
    since = now - timedelta(days=days)
    acks = figures.ack_cycle_times(since=since, now=now)
    on_time = figures.on_time_confirmation(since=since, now=now)
    latency = figures.forecast_to_plan(since=since, now=now)
    exceptions = figures.open_exceptions(now=now)
    shortages = figures.shortage_response(since=since, now=now)
    errors = figures.integration_error_rate(since=since, now=now)
    charts = {
        "chart-ack": _bar(
            [row["supplier"] for row in acks],
            ("Median hours", [row["median_hours"] for row in acks]),
            ("p90 hours", [row["p90_hours"] for row in acks]),
        ),
        "chart-ontime": _bar(
            [row["supplier"] for row in on_time["suppliers"]],
            ("On time %", [row["on_time_rate"] for row in on_time["suppliers"]]),
        ),
        "chart-latency": {
            **_bar(
                [f"{v['plan']} {v['version']} @ {v['plant']}" for v in latency["versions"]],
                ("Minutes to plan", [v["minutes"] for v in latency["versions"]]),
            ),
            "type": "line",
        },
        "chart-exc-kind": _bar(
            [row["label"] for row in exceptions["by_kind"]],
            ("Open", [row["count"] for row in exceptions["by_kind"]]),
            horizontal=True,
        ),
        "chart-exc-plant": _bar(
            [row["plant"] for row in exceptions["by_plant"]],
            ("Open", [row["count"] for row in exceptions["by_plant"]]),
        ),
        "chart-exc-age": _bar(
            [row["band"] for row in exceptions["by_age"]],
            ("Open", [row["count"] for row in exceptions["by_age"]]),
        ),
        "chart-errors": _bar(
            [row["system"] for row in errors],
            ("Error rate %", [row["error_rate"] for row in errors]),
        ),
    }
    return console_render(
        request,
        "console/kpis.html",
        {
            "days": days,
            "windows": WINDOWS,
            "acks": acks,
            "on_time": on_time,
            "latency": latency,
            "exceptions": exceptions,
            "shortages": shortages,
            "errors": errors,
            "charts": charts,
        },
    )
