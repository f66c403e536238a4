"""Integration monitor: messages in and out by system, type and status; payloads and attempts;
dead-letter replay (one, or all matching the filter) through integrations' replay services; the
trace of a correlation id as a timeline, down to the MRP runs it started."""

import json
from datetime import timedelta

from django.contrib import messages
from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from integrations.delivery import outbound_replay
from integrations.errors import ApplicationError
from integrations.inbox import inbound_message_replay
from integrations.models import ExternalSystem, InboundMessage, OutboundMessage
from integrations.selectors import correlation_trace, message_stats
from planning.console.access import console_required
from planning.console.pages import answering_errors, bad, choice, paginate
from planning.console.views import console_render
from planning.models import MrpRun

DIRECTIONS = ("inbound", "outbound")
REPLAYABLE_INBOUND = (InboundMessage.Status.DEAD, InboundMessage.Status.REJECTED)
MAX_BULK_REPLAY = 5000


def _filtered(params):
    direction = choice(params, "direction", DIRECTIONS) or "inbound"
    system_code = params.get("system", "")
    if system_code and not ExternalSystem.objects.filter(code=system_code).exists():
        raise bad("system", system_code, f"No system {system_code!r}.")
    message_type = params.get("type", "")
    if direction == "inbound":
        status = choice(params, "status", InboundMessage.Status.values)
        rows = InboundMessage.objects.select_related("system").order_by("-received_at", "-id")
        if system_code:
            rows = rows.filter(system__code=system_code)
        if message_type:
            rows = rows.filter(message_type=message_type)
    else:
        status = choice(params, "status", OutboundMessage.Status.values)
        rows = OutboundMessage.objects.select_related("subscription__system", "event").order_by(
            "-created_at", "-id"
        )
        if system_code:
            rows = rows.filter(subscription__system__code=system_code)
        if message_type:
            rows = rows.filter(event__event_type=message_type)
    if status:
        rows = rows.filter(status=status)
    return direction, rows


def _filter_query(params) -> str:
    from urllib.parse import urlencode

    return urlencode(
        [(k, params[k]) for k in ("direction", "system", "type", "status") if params.get(k)]
    )


CALENDAR_DAYS = 28
WORST = {"dead": 4, "rejected": 3, "received": 2, "pending": 2, "applied": 1, "delivered": 1}


def _calendar(system_code: str = "") -> list[dict]:
    """The last four weeks, each day coloured by the worst status of a message in or out."""
    today = timezone.localdate()
    start = today - timedelta(days=CALENDAR_DAYS - 1)
    inbound = InboundMessage.objects.filter(received_at__date__gte=start)
    outbound = OutboundMessage.objects.filter(created_at__date__gte=start)
    if system_code:
        inbound = inbound.filter(system__code=system_code)
        outbound = outbound.filter(subscription__system__code=system_code)
    days: dict = {}
    for rows, field in ((inbound, "received_at"), (outbound, "created_at")):
        for row in (
            rows.annotate(day=TruncDate(field)).values("day", "status").annotate(n=Count("id"))
        ):
            entry = days.setdefault(row["day"], {"worst": "", "count": 0})
            entry["count"] += row["n"]
            if WORST.get(row["status"], 0) > WORST.get(entry["worst"], 0):
                entry["worst"] = row["status"]
    return [
        {"day": day, **days.get(day, {"worst": "", "count": 0})}
        for day in (start + timedelta(days=offset) for offset in range(CALENDAR_DAYS))
    ]


def _age(seconds: int | None) -> str:
    """An age as a person says it: 40 s, 12 min, 5 h, 3 d."""
    if seconds is None:
        return ""
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


@console_required
@require_GET
@answering_errors
def monitor(request):
    params = request.GET
    direction, rows = _filtered(params)
    page, query = paginate(request, rows)
    stats = message_stats()
    # One tile per system and direction: worst status first (dead, rejected, pending...).
    systems: dict = {}
    for side in DIRECTIONS:
        for row in stats[side]:
            entry = systems.setdefault(
                (row["system"], side), {"system": row["system"], "direction": side, "counts": {}}
            )
            entry["counts"][row["status"]] = entry["counts"].get(row["status"], 0) + row["count"]
    return console_render(
        request,
        "console/monitor/monitor.html",
        {
            "stats": stats,
            "calendar": _calendar(params.get("system", "")),
            "oldest_in": _age(stats["oldest_pending_inbound_seconds"]),
            "oldest_out": _age(stats["oldest_pending_outbound_seconds"]),
            "tiles": sorted(systems.values(), key=lambda e: (e["system"], e["direction"])),
            "page": page,
            "query": query,
            "direction": direction,
            "chosen": params,
            "filter_query": _filter_query(params),
            "systems": ExternalSystem.objects.order_by("code"),
            "statuses": (
                InboundMessage.Status.choices
                if direction == "inbound"
                else OutboundMessage.Status.choices
            ),
            "types": sorted(
                {row["type"] for row in stats[direction] if row["type"]},
            ),
        },
    )


def _pretty(text_or_data) -> str:
    if isinstance(text_or_data, str):
        try:
            return json.dumps(json.loads(text_or_data), indent=2, ensure_ascii=False)
        except ValueError:
            return text_or_data
    return json.dumps(text_or_data, indent=2, ensure_ascii=False, default=str)


@console_required
@require_GET
def inbound_detail(request, pk: int):
    message = get_object_or_404(InboundMessage.objects.select_related("system"), pk=pk)
    return console_render(
        request,
        "console/monitor/inbound_detail.html",
        {
            "message": message,
            "body": _pretty(message.body),
            "envelope": _pretty(message.envelope) if message.envelope else "",
            "errors": _pretty(message.errors) if message.errors else "",
            "can_replay": message.status in REPLAYABLE_INBOUND,
        },
    )


@console_required
@require_GET
def outbound_detail(request, pk: int):
    message = get_object_or_404(
        OutboundMessage.objects.select_related("subscription__system", "event"), pk=pk
    )
    return console_render(
        request,
        "console/monitor/outbound_detail.html",
        {
            "message": message,
            "payload": _pretty(message.event.data),
            "attempts": message.attempt_log.order_by("number", "id"),
            "can_replay": message.status == OutboundMessage.Status.DEAD,
        },
    )


@console_required
@require_POST
@answering_errors
def inbound_replay(request, pk: int):
    message = get_object_or_404(InboundMessage, pk=pk)
    with transaction.atomic():
        inbound_message_replay(message=message)
    messages.success(request, f"Inbound message {pk} queued to be applied again.")
    return redirect("console:monitor-inbound", pk=pk)


@console_required
@require_POST
@answering_errors
def outbound_replay_one(request, pk: int):
    message = get_object_or_404(OutboundMessage, pk=pk)
    with transaction.atomic():
        count = outbound_replay(messages=[message.pk], acting=request.user.get_username())
    if not count:
        raise bad("status", message.status, f"Message {pk} is {message.status}, not dead.")
    messages.success(request, f"Outbound message {pk} queued for delivery again.")
    return redirect("console:monitor-outbound", pk=pk)


@console_required
@require_POST
@answering_errors
def replay_matching(request):
    """Replay every dead message matching the monitor's filter (inbound: dead or rejected)."""
    params = request.POST
    direction, rows = _filtered(params)
    if direction == "inbound":
        rows = rows.filter(status__in=REPLAYABLE_INBOUND)
        count, refusals = 0, []
        for message in rows[:MAX_BULK_REPLAY]:
            try:
                with transaction.atomic():
                    inbound_message_replay(message=message)
                count += 1
            except ApplicationError as error:
                refusals.append(error)
        if refusals:
            messages.warning(
                request,
                f"{len(refusals)} message(s) not replayed; the first: {refusals[0].message}",
            )
    else:
        rows = rows.filter(status=OutboundMessage.Status.DEAD)
        ids = list(rows.values_list("pk", flat=True)[:MAX_BULK_REPLAY])
        with transaction.atomic():
            count = outbound_replay(messages=ids, acting=request.user.get_username())
    if not count:
        raise bad(
            "status",
            params.get("status", ""),
            "No dead message matching the filter could be replayed.",
        )
    messages.success(request, f"Replayed {count} {direction} message(s).")
    return redirect(reverse("console:monitor") + "?" + _filter_query(params))


@console_required
@require_GET
@answering_errors
def trace(request):
    correlation_id = request.GET.get("correlation_id", "").strip()
    entries = []
    if correlation_id:
        if len(correlation_id) > 64:
            raise bad(
                "correlation_id", correlation_id[:64], "A correlation id has 64 characters at most."
            )
        entries = correlation_trace(correlation_id=correlation_id)
        for run in MrpRun.objects.filter(correlation_id=correlation_id).select_related("plant"):
            entries.append(
                {
                    "at": run.requested_at,
                    "kind": "mrp_run",
                    "id": run.pk,
                    "system": run.plant.code,
                    "type": f"MRP {run.get_mode_display()}",
                    "status": run.status,
                    "detail": f"{run.items_planned} items, {run.planned_orders} planned orders"
                    + (f", {run.duration_ms} ms" if run.duration_ms is not None else ""),
                }
            )
        order = {"inbound": 0, "event": 1, "outbound": 2, "mrp_run": 3}
        entries.sort(key=lambda e: (e["at"], order[e["kind"]], e["id"]))
    return console_render(
        request,
        "console/monitor/trace.html",
        {"correlation_id": correlation_id, "entries": entries},
    )
