"""Planning pages of the console: forecast versions and their diff, MRP runs, the MRP grid.

Every action calls the owning service (forecast services, runs, firming, change requests); the
services hold the rules (who may approve, which status moves where) and this module shows them.
"""

import csv
import io

from django.contrib import messages
from django.db.models import Count
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from masterdata.models import Plant
from planning.change_requests import change_request_send
from planning.console.access import console_required
from planning.console.pages import (
    answering_errors,
    bad,
    choice,
    integer,
    item_required,
    paginate,
    plant_or_none,
)
from planning.console.views import console_render, htmx_partial, messages_oob
from planning.firming import planned_order_firm
from planning.models import (
    ForecastLine,
    ForecastVersion,
    MrpMessage,
    MrpRecord,
    MrpRun,
    PlannedOrder,
)
from planning.pegging import end_demands
from planning.runs import mrp_run_request
from planning.services import forecasts as forecast_services

ROW_NAMES = (
    "Gross requirements",
    "Scheduled receipts",
    "Projected on hand",
    "Net requirements",
    "Planned receipts",
    "Planned releases",
)
ACTIONS = ("submit", "approve", "reject", "activate")
DONE = {"submit": "submitted", "approve": "approved", "reject": "rejected", "activate": "activated"}
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


# Forecasts ----------------------------------------------------------------------------------


@console_required
@require_GET
@answering_errors
def forecast_list(request):
    params = request.GET
    status = choice(params, "status", ForecastVersion.Status.values)
    plant = plant_or_none(params)
    versions = (
        ForecastVersion.objects.select_related("plant")
        .annotate(line_count=Count("lines"))
        .order_by("-received_at", "-id")
    )
    if status:
        versions = versions.filter(status=status)
    if plant:
        versions = versions.filter(plant=plant)
    if params.get("plan"):
        versions = versions.filter(plan=params["plan"])
    page, query = paginate(request, versions)
    return console_render(
        request,
        "console/planning/forecast_list.html",
        {
            "page": page,
            "query": query,
            "plants": Plant.objects.order_by("code"),
            "plans": ForecastVersion.objects.order_by("plan")
            .values_list("plan", flat=True)
            .distinct(),
            "statuses": ForecastVersion.Status.choices,
            "chosen": params,
            "buckets": ForecastVersion.Bucket.choices,
        },
    )


@console_required
@require_GET
@answering_errors
def forecast_detail(request, pk: int):
    version = get_object_or_404(ForecastVersion.objects.select_related("plant"), pk=pk)
    lines = (
        ForecastLine.objects.filter(version=version)
        .select_related("item")
        .order_by("item__code", "period_start")
    )
    page, query = paginate(request, lines, 100)
    others = (
        ForecastVersion.objects.filter(plan=version.plan, plant=version.plant)
        .exclude(pk=version.pk)
        .order_by("-received_at")[:20]
    )
    return console_render(
        request,
        "console/planning/forecast_detail.html",
        {"version": version, "page": page, "query": query, "others": others},
    )


@console_required
@require_POST
@answering_errors
def forecast_action(request, pk: int, action: str):
    version = get_object_or_404(ForecastVersion.objects.select_related("plant"), pk=pk)
    user = request.user
    if action not in ACTIONS:
        raise bad("action", action, f"Unknown action {action!r}.")
    if action == "submit":
        forecast_services.forecast_submit(forecast=version, acting_user=user)
    elif action == "approve":
        forecast_services.forecast_approve(forecast=version, acting_user=user)
    elif action == "reject":
        forecast_services.forecast_reject(
            forecast=version, reason=request.POST.get("reason", ""), acting_user=user
        )
    else:
        forecast_services.forecast_activate(forecast=version, acting_user=user)
    messages.success(
        request,
        f"Forecast {version.plan} {version.version} at {version.plant.code} {DONE[action]}.",
    )
    if not htmx_partial(request):
        return redirect("console:forecast-detail", pk=version.pk)
    # In place: the next steps, with the status badge and the dates redrawn out of band.
    version.refresh_from_db()
    context = {"version": version, "oob": True}
    html = "".join(
        render_to_string(f"console/planning/partials/{name}.html", context, request=request)
        for name in ("forecast_actions", "forecast_status", "forecast_facts")
    )
    return HttpResponse(html + messages_oob(request))


@console_required
@require_GET
@answering_errors
def forecast_diff(request):
    params = request.GET
    a_id, b_id = integer(params, "a", required=True), integer(params, "b", required=True)
    version_a = ForecastVersion.objects.filter(pk=a_id).select_related("plant").first()
    if version_a is None:
        raise bad("a", a_id, f"No forecast version {a_id}.")
    version_b = ForecastVersion.objects.filter(pk=b_id).select_related("plant").first()
    if version_b is None:
        raise bad("b", b_id, f"No forecast version {b_id}.")
    changed_only = params.get("changed") == "1"
    diff = forecast_services.forecast_diff(version_a, version_b, changed_only=changed_only)
    page, query = paginate(request, diff.rows, 200)
    return console_render(
        request,
        "console/planning/forecast_diff.html",
        {
            "a": version_a,
            "b": version_b,
            "diff": diff,
            "page": page,
            "query": query,
            "changed_only": changed_only,
        },
    )


def _upload_rows(upload) -> list[dict]:
    if upload is None:
        raise bad("file", "", "Choose a CSV file.")
    if upload.size > MAX_UPLOAD_BYTES:
        raise bad("file", upload.name, f"{upload.name} is larger than 5 MB.")
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise bad("file", upload.name, f"{upload.name} is not UTF-8 text.") from None
    reader = csv.DictReader(io.StringIO(text))
    needed = {"item", "period_start", "quantity"}
    if not reader.fieldnames or not needed <= set(reader.fieldnames):
        raise bad(
            "file",
            upload.name,
            f"{upload.name} needs the columns item, period_start, quantity (and optionally uom).",
        )
    rows = []
    for row in reader:
        entry = {key: (row.get(key) or "").strip() for key in ("item", "period_start", "quantity")}
        if (row.get("uom") or "").strip():
            entry["uom"] = row["uom"].strip()
        rows.append(entry)
    if not rows:
        raise bad("file", upload.name, f"{upload.name} has no rows.")
    return rows


@console_required
@require_POST
@answering_errors
def forecast_upload(request):
    data = request.POST
    for field in ("plan", "plant", "version", "bucket"):
        if not data.get(field, "").strip():
            raise bad(field, data.get(field, ""), f"{field} is required.")
    choice(data, "bucket", ForecastVersion.Bucket.values)
    plant = plant_or_none(data)
    rows = _upload_rows(request.FILES.get("file"))
    version = forecast_services.forecast_upload(
        plan=data["plan"].strip(),
        plant=plant,
        version=data["version"].strip(),
        bucket=data["bucket"],
        rows=rows,
        acting_user=request.user,
    )
    messages.success(request, f"Uploaded {len(rows)} lines as draft {version}.")
    return redirect("console:forecast-detail", pk=version.pk)


# MRP runs -----------------------------------------------------------------------------------


@console_required
@require_GET
@answering_errors
def run_list(request):
    params = request.GET
    status = choice(params, "status", MrpRun.Status.values)
    plant = plant_or_none(params)
    runs = MrpRun.objects.select_related("plant", "requested_by").order_by("-requested_at", "-id")
    if status:
        runs = runs.filter(status=status)
    if plant:
        runs = runs.filter(plant=plant)
    page, query = paginate(request, runs)
    return console_render(
        request,
        "console/planning/run_list.html",
        {
            "page": page,
            "query": query,
            "plants": Plant.objects.order_by("code"),
            "statuses": MrpRun.Status.choices,
            "chosen": params,
        },
    )


@console_required
@require_GET
def run_row(request, pk: int):
    """One run's row, polled by htmx while the run is queued or running."""
    run = get_object_or_404(MrpRun.objects.select_related("plant", "requested_by"), pk=pk)
    return console_render(request, "console/planning/partials/run_row.html", {"run": run})


@console_required
@require_POST
@answering_errors
def run_request(request):
    plant = plant_or_none(request.POST)
    if plant is None:
        raise bad("plant", "", "Choose a plant.")
    run = mrp_run_request(plant=plant, acting_user=request.user, trigger="console")
    messages.success(request, f"Full MRP run {run.pk} queued for {plant.code}.")
    return redirect(reverse("console:run-list") + f"?plant={plant.code}")


# The MRP grid -------------------------------------------------------------------------------


def _record(item, plant):
    return MrpRecord.objects.filter(item=item, plant=plant).first()


@console_required
@require_GET
@answering_errors
def mrp_grid(request):
    params = request.GET
    plants = Plant.objects.order_by("code")
    if not params.get("item"):
        return console_render(
            request, "console/planning/grid.html", {"plants": plants, "chosen": params}
        )
    item = item_required(params)
    plant = plant_or_none(params)
    if plant is None:
        raise bad("plant", "", "Choose a plant.")
    record = _record(item, plant)
    weeks = []
    if record:
        rows = record.rows
        for index, start in enumerate(record.bucket_starts):
            weeks.append(
                {
                    "start": start,
                    "values": [rows[r][index] for r in range(6)],
                    "below_safety": rows[2][index] < float(record.safety_stock),
                    "past": index < record.today_bucket,
                }
            )
    grid_rows = [
        {"name": name, "cells": [week["values"][index] for week in weeks], "index": index}
        for index, name in enumerate(ROW_NAMES)
    ]
    orders = PlannedOrder.objects.filter(item=item, plant=plant).order_by("due_date", "id")
    advice = (
        MrpMessage.objects.filter(item=item, plant=plant)
        .select_related("po_line__po")
        .order_by("date", "id")
    )
    pegging, supply = None, None
    if params.get("supply_kind"):
        supply_kind = choice(
            params, "supply_kind", ("planned_order", "purchase_order", "work_order")
        )
        supply_ref = params.get("supply_ref", "")
        if not supply_ref:
            raise bad("supply_ref", "", "Name the supply to peg.")
        supply = {"kind": supply_kind, "ref": supply_ref}
        pegging = end_demands(
            plant=plant, item_id=item.pk, supply_kind=supply_kind, supply_ref=supply_ref
        )
    return console_render(
        request,
        "console/planning/grid.html",
        {
            "plants": plants,
            "chosen": params,
            "item": item,
            "plant": plant,
            "record": record,
            "weeks": weeks,
            "grid_rows": grid_rows,
            "orders": orders,
            "advice": advice,
            "pegging": pegging,
            "supply": supply,
            "today": timezone.localdate(),
        },
    )


@console_required
@require_GET
@answering_errors
def projected_chart_data(request):
    """The projected-inventory series of an item at a plant, for projected_chart.html."""
    item = item_required(request.GET)
    plant = plant_or_none(request.GET)
    if plant is None:
        raise bad("plant", "", "Choose a plant.")
    record = _record(item, plant)
    if record is None:
        return JsonResponse({"labels": [], "projected": [], "safety_stock": 0})
    rows = record.rows
    return JsonResponse(
        {
            "item": item.code,
            "plant": plant.code,
            "labels": [start.isoformat() for start in record.bucket_starts],
            "gross": rows[0],
            "receipts": [a + b for a, b in zip(rows[1], rows[4], strict=True)],
            "projected": rows[2],
            "safety_stock": float(record.safety_stock),
        }
    )


def _grid_url(item, plant) -> str:
    return reverse("console:mrp-grid") + f"?item={item.code}&plant={plant.code}"


@console_required
@require_POST
@answering_errors
def planned_order_firm_view(request, pk: int):
    order = get_object_or_404(PlannedOrder.objects.select_related("item", "plant"), pk=pk)
    firmed = planned_order_firm(planned_order=order, acting_user=request.user)
    messages.success(request, f"Planned order {firmed.number} firmed.")
    return redirect(_grid_url(order.item, order.plant))


@console_required
@require_POST
@answering_errors
def mrp_message_change_request(request, pk: int):
    message = get_object_or_404(
        MrpMessage.objects.select_related("item", "plant", "po_line"), pk=pk
    )
    revised = change_request_send(messages=[message], acting_user=request.user)
    if revised:
        messages.success(request, f"Change request sent: {', '.join(revised)}.")
    else:
        messages.info(request, "The line already asks for that date; nothing sent.")
    return redirect(_grid_url(message.item, message.plant))
