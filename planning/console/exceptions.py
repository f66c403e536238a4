"""The exception workbench: list, counts, 'new since' badge, bulk triage, and the detail panel.

The list is a keyset page of the FilterSet's rows. The detail panel shows what happened, why
it matters, the PO line and its answers, alternate sources, and the actions that fix it: each
action calls the owning app's service and then re-runs the kind's detector, so the panel shows
the consequence (often: auto-closed) at once.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_POST

from integrations.delivery import outbound_replay
from integrations.errors import ApplicationError
from integrations.inbox import inbound_message_replay
from integrations.models import InboundMessage, OutboundMessage
from integrations.roles import BUYERS, PLANNERS
from masterdata.models import SourcingRule
from planning.console import forms
from planning.console.access import console_required
from planning.console.mrp_panel import mrp_panel_context
from planning.console.views import console_render, htmx_partial, messages_oob, refused
from planning.exceptions import selectors, services
from planning.exceptions.registry import detectors
from planning.firming import planned_order_firm
from planning.models import ExceptionEvent, PlannedOrder, PlanningException
from procurement import notifications
from procurement import services as procurement
from procurement.models import AcknowledgementLine, PurchaseOrderLine, SupplierProposal

Kind = PlanningException.Kind
FILTER_FIELDS = ("kind", "severity", "plant", "supplier", "planner", "age", "state", "q")
MRP_KINDS = {
    Kind.SHORTAGE,
    Kind.BELOW_SAFETY_STOCK,
    Kind.RESCHEDULE_IN,
    Kind.RESCHEDULE_OUT,
    Kind.CANCEL,
    Kind.EXPEDITE,
    Kind.PAST_DUE,
    Kind.LATE_CONFIRMATION,
}


def _console_users():
    return (
        get_user_model()
        .objects.filter(Q(groups__name__in=[PLANNERS, BUYERS]) | Q(is_staff=True), is_active=True)
        .distinct()
        .order_by("username")
    )


def _filter_query(params) -> str:
    pairs = [(name, value) for name in FILTER_FIELDS for value in params.getlist(name) if value]
    if params.get("sort") and params.get("sort") != selectors.DEFAULT_SORT:
        pairs.append(("sort", params["sort"]))
    return urlencode(pairs)


def _list_context(request, *, with_counts: bool = True) -> dict:
    params = request.GET
    filterset = selectors.exception_filter(params, user=request.user)
    sort = selectors.sort_check(params.get("sort"))
    page = selectors.exception_page(filterset.qs, sort=sort, after=params.get("after", ""))
    counts = selectors.exception_counts(filterset) if with_counts else {"kinds": []}
    query = _filter_query(params)
    chosen_kinds = set(params.getlist("kind"))
    for tile in counts["kinds"]:
        others = [k for k in params.getlist("kind") if k != tile["kind"]]
        toggled = others if tile["kind"] in chosen_kinds else [*others, tile["kind"]]
        tile["active"] = tile["kind"] in chosen_kinds
        base = [(n, v) for n in FILTER_FIELDS if n != "kind" for v in params.getlist(n) if v]
        tile["query"] = urlencode(base + [("kind", k) for k in toggled])
    return {
        "filterset": filterset,
        "form": filterset.form,
        "page": page,
        "rows": page.rows,
        "counts": counts,
        "query": query,
        "sort": sort,
        "sorts": selectors.SORTS,
        "users": _console_users(),
        "kinds": Kind.choices,
        "resolutions": PlanningException.Resolution.choices,
        "now": timezone.now(),
        "act_within_days": selectors.ACT_WITHIN_DAYS,
        "chosen": {name: params.getlist(name) for name in FILTER_FIELDS},
        "default_snooze": (timezone.localdate() + timezone.timedelta(days=1)).isoformat(),
    }


@console_required
@require_GET
def exception_list(request):
    """The workbench: filters, counts per kind, a keyset page, the detail panel beside it."""
    partial = htmx_partial(request) and request.htmx.target in ("exception-list", "exception-rows")
    try:
        # Paging on under the same filters changes no count: the tiles on the page stay right.
        context = _list_context(request, with_counts=not (partial and request.GET.get("after")))
    except ApplicationError as error:
        return refused(request, error)
    if partial:
        return console_render(request, "console/exceptions/partials/list.html", context)
    return console_render(request, "console/exceptions/list.html", context)


@console_required
@require_GET
def exception_new_since(request):
    """How many rows of the current view appeared since the list was loaded (a badge, not a swap)."""
    since_text = request.GET.get("since", "")
    since = parse_datetime(since_text) if since_text else None
    if since is None:
        return refused(
            request,
            ApplicationError(
                f"since {since_text!r} is not a time.", {"field": "since", "value": since_text}
            ),
        )
    try:
        filterset = selectors.exception_filter(request.GET, user=request.user)
    except ApplicationError as error:
        return refused(request, error)
    count = selectors.new_since_count(filterset, since)
    return console_render(
        request,
        "console/exceptions/partials/new_since.html",
        {"new_count": count, "since": since_text, "query": _filter_query(request.GET)},
    )


def _ids(request) -> list[str]:
    return request.POST.getlist("ids")


@console_required
@require_POST
def exception_bulk(request):
    """Acknowledge, assign, snooze or resolve the selected exceptions, then show the list again."""
    form = forms.BulkForm(request.POST)
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        return refused(
            request,
            ApplicationError(
                f"{field}: {' '.join(errors)}",
                {"field": field, "value": request.POST.get(field, "")},
            ),
        )
    action, data, user = form.cleaned_data["action"], form.cleaned_data, request.user
    try:
        if action == "acknowledge":
            done = services.exceptions_bulk_acknowledge(
                ids=_ids(request), acting_user=user, note=data["note"]
            )
        elif action == "assign":
            done = services.exceptions_bulk_assign(
                ids=_ids(request),
                assignee=data["assignee"] or None,
                acting_user=user,
                note=data["note"],
            )
        elif action == "snooze":
            done = services.exceptions_bulk_snooze(
                ids=_ids(request), until=data["until"], acting_user=user, note=data["note"]
            )
        else:
            done = services.exceptions_bulk_resolve(
                ids=_ids(request),
                resolution=data["resolution"],
                note=data["note"],
                acting_user=user,
            )
        context = _list_context(request)
    except ApplicationError as error:
        return refused(request, error)
    messages.success(request, f"{action.capitalize()}: {done} exception{'s' if done != 1 else ''}.")
    if htmx_partial(request):
        html = render_to_string("console/exceptions/partials/list.html", context, request=request)
        return HttpResponse(html + messages_oob(request))
    return console_render(request, "console/exceptions/list.html", context)


def _po_line_context(exception: PlanningException) -> dict:
    line = exception.po_line
    if line is None:
        return {}
    line = (
        PurchaseOrderLine.objects.select_related("po__supplier", "po__plant", "item", "uom")
        .prefetch_related("schedule_lines")
        .get(pk=line.pk)
    )
    answers = list(
        AcknowledgementLine.objects.filter(po_line=line)
        .select_related("acknowledgement__acting_user", "acknowledgement__acting_system")
        .order_by("-acknowledgement__received_at", "-id")[:20]
    )
    proposals = list(
        SupplierProposal.objects.filter(po_line=line).order_by("-created_at", "-id")[:10]
    )
    pending = next((p for p in proposals if p.status == SupplierProposal.Status.PENDING), None)
    return {"line": line, "answers": answers, "proposals": proposals, "pending": pending}


def _alternates(exception: PlanningException) -> list:
    if exception.item_id is None or exception.plant_id is None:
        return []
    rules = (
        SourcingRule.objects.valid_on(timezone.localdate())
        .filter(item_id=exception.item_id, plant_id=exception.plant_id)
        .select_related("supplier")
        .order_by("priority", "unit_price")
    )
    found = []
    for rule in rules:
        open_lines = PurchaseOrderLine.objects.filter(
            item_id=exception.item_id,
            po__supplier_id=rule.supplier_id,
            status__in=PurchaseOrderLine.Status.receivable(),
        ).count()
        found.append(
            {
                "rule": rule,
                "current": rule.supplier_id == exception.supplier_id,
                "open_lines": open_lines,
                "available_on": timezone.localdate() + timezone.timedelta(days=rule.lead_time_days),
            }
        )
    return found


WHY = {
    Kind.PROPOSAL_REVIEW: "Until a buyer decides, the line has no confirmed date: MRP plans on the requested date, which the supplier says it will not meet.",
    Kind.ACK_OVERDUE: "An unanswered line is an unconfirmed receipt: the plan counts on supply nobody has promised.",
    Kind.DEAD_INBOUND: "What this message says has not reached Weft: the plan and the documents it touches are out of date until it is applied.",
    Kind.DEAD_OUTBOUND: "The partner has not heard about this change: it may act on an old order or plan.",
    Kind.PARTNER_UNREACHABLE: "Messages to and from this system wait until it answers: the plan and the documents it feeds go stale meanwhile. Nothing is lost; the connector probes it and resumes by itself.",
    Kind.INVENTORY_MISMATCH: "Planning nets against Weft's on-hand; if the other count is right, shortages or excess are computed from the wrong stock.",
}


def _panel_context(request, exception: PlanningException) -> dict:
    exception = PlanningException.objects.select_related(
        "item",
        "plant",
        "supplier",
        "assigned_to",
        "planner",
        "work_order",
        "inbound_message__system",
        "outbound_message__subscription__system",
        "outbound_message__event",
        "po_line__po",
    ).get(pk=exception.pk)
    history = list(
        ExceptionEvent.objects.filter(exception=exception)
        .select_related("actor")
        .order_by("-at", "-id")[:30]
    )
    context = {
        "exception": exception,
        "history": history,
        "why": WHY.get(exception.kind, ""),
        "alternates": _alternates(exception),
        "users": _console_users(),
        "resolutions": PlanningException.Resolution.choices,
        "now": timezone.now(),
        "today": timezone.localdate(),
        "default_snooze": (timezone.localdate() + timezone.timedelta(days=1)).isoformat(),
        "is_mrp_kind": exception.kind in MRP_KINDS,
        "mrp_sections_template": "console/exceptions/partials/mrp_sections.html",
        "can_replay_inbound": exception.inbound_message_id is not None
        and exception.inbound_message.status != InboundMessage.Status.APPLIED,
        "can_replay_outbound": exception.outbound_message_id is not None
        and exception.outbound_message.status == OutboundMessage.Status.DEAD,
        **_po_line_context(exception),
        **(mrp_panel_context(exception) if exception.kind in MRP_KINDS else {}),
    }
    line = context.get("line")
    context["can_change"] = bool(
        line and line.po.can_revise() and line.status == PurchaseOrderLine.Status.OPEN
    )
    context["can_remind"] = bool(line and line.ack_status == PurchaseOrderLine.AckStatus.AWAITING)
    return context


def _panel(request, exception: PlanningException, *, status: int = 200, with_row: bool = False):
    context = _panel_context(request, exception)
    if not htmx_partial(request):
        return console_render(request, "console/exceptions/detail.html", context, status=status)
    html = render_to_string("console/exceptions/partials/panel.html", context, request=request)
    if with_row:
        # A <tr> outside a table does not survive HTML parsing: htmx takes it from a <template>.
        row = render_to_string(
            "console/exceptions/partials/row.html",
            {"row": context["exception"], "oob": True, "now": context["now"]},
            request=request,
        )
        html += f"<template>{row}</template>" + messages_oob(request)
    return HttpResponse(html, status=status)


@console_required
@require_GET
def exception_detail(request, pk: int):
    """The detail panel (or, without htmx, its page)."""
    return _panel(request, get_object_or_404(PlanningException, pk=pk))


def _form_error(request, form) -> HttpResponse:
    field, errors = next(iter(form.errors.items()))
    value = request.POST.get(field, "")
    return refused(
        request, ApplicationError(f"{field}: {' '.join(errors)}", {"field": field, "value": value})
    )


@console_required
@require_POST
def exception_triage(request, pk: int, step: str):
    """One triage step on one exception: acknowledge, assign, snooze or resolve."""
    exception = get_object_or_404(PlanningException, pk=pk)
    user = request.user
    form_class = {
        "acknowledge": forms.NoteForm,
        "assign": forms.AssignForm,
        "snooze": forms.SnoozeForm,
        "resolve": forms.ResolveForm,
    }.get(step)
    if form_class is None:
        return refused(
            request, ApplicationError(f"Unknown step {step!r}.", {"field": "step", "value": step})
        )
    form = form_class(request.POST)
    if not form.is_valid():
        return _form_error(request, form)
    data = form.cleaned_data
    try:
        if step == "acknowledge":
            services.exception_acknowledge(exception=exception, acting_user=user, note=data["note"])
            messages.success(request, "Acknowledged.")
        elif step == "assign":
            services.exception_assign(
                exception=exception,
                assignee=data["assignee"] or None,
                acting_user=user,
                note=data["note"],
            )
            messages.success(request, f"Assigned to {data['assignee'] or 'nobody'}.")
        elif step == "snooze":
            services.exception_snooze(
                exception=exception, until=data["until"], acting_user=user, note=data["note"]
            )
            messages.success(request, f"Snoozed until {data['until']}.")
        else:
            services.exception_resolve(
                exception=exception,
                resolution=data["resolution"],
                note=data["note"],
                acting_user=user,
            )
            messages.success(request, "Resolved.")
    except ApplicationError as error:
        return refused(request, error)
    return _panel(request, exception, with_row=True)


def _redetect(exception: PlanningException) -> None:
    """Re-run the kind's detector for the exception's object, so the panel shows the outcome."""
    found = detectors().get(exception.kind)
    if found is None or not found.object_field:
        return
    obj = getattr(exception, found.object_field, None)
    if obj is not None:
        found.detect(found.prepare(found.model.objects.filter(pk=obj.pk)))


def _fix(exception: PlanningException, request, action: str) -> str:
    """Run one fixing action through the owning app's service; return what to tell the planner."""
    user = request.user
    if action == "accept":
        proposal = get_object_or_404(
            SupplierProposal, pk=request.POST.get("proposal"), po_line=exception.po_line
        )
        procurement.proposal_accept(proposal=proposal, acting_user=user)
        return "Proposal accepted: it is now the line's confirmation."
    if action == "reject":
        form = forms.RejectForm(request.POST)
        if not form.is_valid():
            raise ApplicationError(
                "Say why the proposal is rejected.",
                {"field": "reason", "value": request.POST.get("reason", "")},
            )
        proposal = get_object_or_404(
            SupplierProposal, pk=request.POST.get("proposal"), po_line=exception.po_line
        )
        procurement.proposal_reject(
            proposal=proposal, reason=form.cleaned_data["reason"], acting_user=user
        )
        return "Proposal rejected: the supplier is asked again."
    if action == "change":
        form = forms.ChangeRequestForm(request.POST)
        if not form.is_valid():
            field, errors = next(iter(form.errors.items()))
            raise ApplicationError(
                f"{field}: {' '.join(errors)}",
                {"field": field, "value": request.POST.get(field, "")},
            )
        line = exception.po_line
        if line is None:
            raise ApplicationError(
                "This exception has no PO line to change.", {"field": "po_line", "value": ""}
            )
        spec = {"line": line.line_number, "requested_date": form.cleaned_data["requested_date"]}
        if form.cleaned_data.get("quantity"):
            spec["quantity"] = form.cleaned_data["quantity"]
        revision = line.po.revision
        po = procurement.purchase_order_revise(po=line.po, lines=[spec], acting_user=user)
        if po.revision == revision:
            raise ApplicationError(
                "That is what the supplier has already; change the date or the quantity.",
                {"field": "requested_date", "value": request.POST.get("requested_date", "")},
            )
        return (
            f"{form.cleaned_data['priority'].capitalize()} change request sent to {po.supplier.code} "
            f"as revision {po.revision}: {form.cleaned_data['reason']}"
        )
    if action == "firm":
        planned = get_object_or_404(
            PlannedOrder,
            number=request.POST.get("planned_order", ""),
            item=exception.item_id,
            plant=exception.plant_id,
        )
        firmed = planned_order_firm(
            planned_order=planned, acting_user=user, supplier=request.POST.get("supplier") or None
        )
        made = (
            f"PO {firmed.po_line.po.number}" if firmed.po_line_id
            else f"work order {firmed.work_order.number}" if firmed.work_order_id
            else "a release to the ERP"
        )  # fmt: skip
        source = f" from {firmed.supplier.code}" if firmed.supplier_id else ""
        return f"Planned order {firmed.number} firmed{source}: {made}."
    if action == "remind":
        line = exception.po_line
        if line is None or line.ack_status != PurchaseOrderLine.AckStatus.AWAITING:
            raise ApplicationError(
                "Only a line awaiting an answer can be reminded.",
                {"field": "action", "value": action},
            )
        notifications.reminder_mail_queue(line.po.supplier_id, [line.pk])
        return f"Reminder sent to {line.po.supplier.code}."
    if action == "replay":
        if exception.inbound_message_id:
            inbound_message_replay(message=exception.inbound_message)
            return "Inbound message queued to be applied again."
        if exception.outbound_message_id:
            count = outbound_replay(
                messages=[exception.outbound_message_id], acting=user.get_username()
            )
            if not count:
                raise ApplicationError(
                    "The message is not dead any more.", {"field": "action", "value": action}
                )
            return "Delivery queued again."
        raise ApplicationError(
            "This exception has no message to replay.", {"field": "action", "value": action}
        )
    raise ApplicationError(f"Unknown action {action!r}.", {"field": "action", "value": action})


@console_required
@require_POST
def exception_fix(request, pk: int, action: str):
    """An action that fixes the condition, in the owning app; the detector then re-checks it."""
    exception = get_object_or_404(PlanningException, pk=pk)
    try:
        with transaction.atomic():
            told = _fix(exception, request, action)
            services.exception_action_record(
                exception=exception, acting_user=request.user, note=told, data={"action": action}
            )
            exception.refresh_from_db()
            _redetect(exception)
    except ApplicationError as error:
        return refused(request, error)
    messages.success(request, told)
    return _panel(request, exception, with_row=True)
