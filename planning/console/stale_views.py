"""Stale acknowledgements: PO lines unanswered past their supplier's SLA, grouped by supplier.

"Remind" runs procurement's reminder for the chosen lines (the beat's rule: mail queued, the
line's reminder count and next reminder moved); "call log" keeps a note per PO (planning's
CallNote, written by `call_note_add`). Under htmx both answer with the supplier's card redrawn in
place; without JavaScript they redirect back to the list.
"""

from datetime import timedelta
from itertools import groupby
from urllib.parse import urlsplit

from django.contrib import messages
from django.db.models import Min
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from masterdata.models import Plant, Supplier
from planning.console.access import console_required
from planning.console.pages import answering_errors, bad, paginate, plant_or_none
from planning.console.views import console_render, htmx_partial, messages_oob
from planning.models import CallNote
from planning.services.call_notes import call_note_add
from procurement.models import PurchaseOrder, PurchaseOrderLine
from procurement.selectors import stale_acknowledgement_list
from procurement.services import stale_acknowledgements_remind


def _supplier_or_none(params):
    code = params.get("supplier", "")
    if not code:
        return None
    supplier = Supplier.objects.filter(code=code).first()
    if supplier is None:
        raise bad("supplier", code, f"No supplier {code!r}.")
    return supplier


def _groups(lines: list[PurchaseOrderLine], now) -> list[dict]:
    """Consecutive lines of one supplier as one group, each line with its overdue time and notes."""
    notes = {}
    for note in CallNote.objects.filter(po_id__in={line.po_id for line in lines}).select_related(
        "author"
    ):
        notes.setdefault(note.po_id, []).append(note)
    groups = []
    for _, members in groupby(lines, key=lambda line: line.po.supplier_id):
        members = list(members)
        for line in members:
            line.overdue = now - line.ack_due_at
            line.sent_days = (now - line.sent_at).days if line.sent_at else None
            line.notes = notes.get(line.po_id, [])
        groups.append({"supplier": members[0].po.supplier, "lines": members})
    return groups


def _tiles(lines, suppliers: int, now) -> dict:
    awaiting = PurchaseOrderLine.objects.awaiting_ack()
    return {
        "past_due": lines.count(),
        "suppliers": suppliers,
        "due_today": awaiting.filter(
            ack_due_at__gt=now, ack_due_at__lte=now + timedelta(days=1)
        ).count(),
        "due_week": awaiting.filter(
            ack_due_at__gt=now, ack_due_at__lte=now + timedelta(days=7)
        ).count(),
        "never_reminded": lines.filter(reminders_sent=0).count(),
    }


def _tiles_oob(request, now) -> str:
    """The tiles for the list the planner is looking at (its filters from HX-Current-URL)."""
    shown = QueryDict(urlsplit(request.htmx.current_url or "").query)
    filters = {name: shown[name] for name in ("supplier", "plant") if shown.get(name)}
    lines = stale_acknowledgement_list(filters=filters, now=now)
    suppliers = lines.order_by().values("po__supplier").distinct().count()
    return render_to_string(
        "console/stale/partials/tiles.html",
        {"tiles": _tiles(lines, suppliers, now), "oob": True},
        request=request,
    )


def _line_ids(params) -> list[int]:
    ids = params.getlist("lines")
    for value in ids:
        if not value.isdigit():
            raise bad("lines", value, f"Line id {value!r} is not a number.")
    return [int(value) for value in ids]


def _card_or_back(request, supplier: Supplier, line_ids: list[int], noted_po: int | None = None):
    """htmx: the supplier's card redrawn with those of the lines (all its lines when none are
    named) still overdue; without htmx, back to the list."""
    if not htmx_partial(request):
        return redirect("console:stale-list")
    now = timezone.now()
    lines = stale_acknowledgement_list(filters={"supplier": supplier.code}, now=now)
    if line_ids:
        lines = lines.filter(pk__in=line_ids)
    lines = list(lines.order_by("ack_due_at", "id"))
    card = ""
    for group in _groups(lines, now):
        card = render_to_string(
            "console/stale/partials/supplier_card.html",
            {"group": group, "now": now, "noted_po": noted_po},
            request=request,
        )
    return HttpResponse(card + _tiles_oob(request, now) + messages_oob(request))


@console_required
@require_GET
@answering_errors
def stale_list(request):
    params = request.GET
    now = timezone.now()
    supplier = _supplier_or_none(params)
    plant = plant_or_none(params)
    filters = {}
    if supplier:
        filters["supplier"] = supplier.code
    if plant:
        filters["plant"] = plant.code
    lines = stale_acknowledgement_list(filters=filters, now=now)
    # Suppliers in the order of their oldest overdue line, then each supplier's lines oldest first.
    oldest = {
        row["po__supplier"]: row["oldest"]
        for row in lines.order_by().values("po__supplier").annotate(oldest=Min("ack_due_at"))
    }
    ordered = lines.order_by("ack_due_at", "id")
    page, query = paginate(request, ordered, 200)
    page_lines = sorted(page, key=lambda line: (oldest[line.po.supplier_id], line.ack_due_at))
    groups = _groups(page_lines, now)
    tiles = _tiles(lines, len(oldest), now)
    return console_render(
        request,
        "console/stale/list.html",
        {
            "groups": groups,
            "page": page,
            "query": query,
            "tiles": tiles,
            "now": now,
            "chosen": params,
            "plants": Plant.objects.order_by("code"),
            "suppliers": Supplier.objects.filter(pk__in=oldest.keys()).order_by("code")
            if not supplier
            else Supplier.objects.filter(pk=supplier.pk),
        },
    )


@console_required
@require_POST
@answering_errors
def stale_remind(request):
    """Queue procurement's reminder mail for the chosen stale lines (or all of one supplier's)."""
    supplier = _supplier_or_none(request.POST)
    if supplier is None:
        raise bad("supplier", "", "Choose the supplier to remind.")
    stale = stale_acknowledgement_list(filters={"supplier": supplier.code})
    ids = _line_ids(request.POST)
    if ids:
        chosen = list(stale.filter(pk__in=ids).values_list("pk", flat=True))
        missing = sorted(set(ids) - set(chosen))
        if missing:
            raise bad(
                "lines",
                missing[0],
                f"Line {missing[0]} is not an overdue line of {supplier.code}.",
            )
    else:
        chosen = list(stale.values_list("pk", flat=True))
    if not chosen:
        raise bad("supplier", supplier.code, f"{supplier.code} has no overdue lines to remind.")
    reminded = stale_acknowledgements_remind(line_ids=chosen)
    messages.success(request, f"Reminder queued to {supplier.code} for {reminded} line(s).")
    return _card_or_back(request, supplier, chosen)


@console_required
@require_POST
@answering_errors
def stale_note(request, pk: int):
    """Keep a call note on the PO; under htmx redraw the card holding the posted `lines`."""
    po = get_object_or_404(PurchaseOrder.objects.select_related("supplier"), pk=pk)
    ids = _line_ids(request.POST)
    call_note_add(po=po, note=request.POST.get("note", ""), acting_user=request.user)
    messages.success(request, f"Call note added to {po.number}.")
    return _card_or_back(request, po.supplier, ids, noted_po=po.pk)
