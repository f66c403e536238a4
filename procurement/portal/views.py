"""The supplier portal: what needs the supplier, its orders, its answers and its ship notices.

Every view starts from the signed-in user's supplier; anyone else gets 404 (or the sign-in
page when anonymous). The same view renders the page or, for an htmx request, its partial.
"""

import re
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from integrations.errors import ApplicationError
from integrations.roles import supplier_of
from procurement import services
from procurement.events import decimal_text
from procurement.models import PurchaseOrderLine
from procurement.portal import exports, queries
from procurement.portal.forms import AcceptAllForm, LineAnswerForm, ShipNoticeForm

PAGE_SIZE = 25
AckStatus = PurchaseOrderLine.AckStatus


def htmx_partial(request) -> bool:
    return bool(request.htmx) and not request.htmx.boosted


def _render(request, template: str, context: dict):
    return render(request, template, {"now_dt": timezone.now(), **context})


TILES = [
    ("awaiting", "To acknowledge", "Orders with lines awaiting your answer", "status-yellow"),
    ("returned", "Sent back", "Proposals the buyer rejected: answer again", "status-red"),
    ("proposed", "Awaiting buyer", "Your proposals the buyer has not decided", "status-azure"),
    ("late", "Past due", "Confirmed lines not shipped by their date", "status-red"),
    ("due", "Due in 7 days", "Confirmed lines to ship this week", "status-green"),
]


def supplier_required(view):
    """Signed in and acting for a supplier; `request.supplier` is that supplier."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        supplier = supplier_of(request.user)
        if supplier is None:
            raise Http404("The portal is for supplier users.")
        request.supplier = supplier
        return view(request, *args, **kwargs)

    return wrapper


def _order(request, number: str):
    return get_object_or_404(
        queries.portal_orders(request.supplier).select_related("plant", "supplier"), number=number
    )


@supplier_required
@require_GET
def home(request):
    """Tiles for the work waiting for the supplier, and the orders to answer first."""
    today = timezone.localdate()
    counts = queries.view_counts(request.supplier, today)
    to_answer = queries.attach_line_figures(
        list(
            queries.order_list(
                request.supplier, view="awaiting", search="", sort="ack_due", today=today
            )[:5]
        )
    )
    tiles = [
        {"view": view, "label": label, "hint": hint, "dot": dot, "count": counts[view]}
        for view, label, hint, dot in TILES
    ]
    return _render(
        request,
        "procurement/portal/home.html",
        {"tiles": tiles, "to_answer": to_answer, "today": today},
    )


@supplier_required
@require_GET
def order_list(request):
    """The supplier's orders: a view (tab), a search, a sort and a page."""
    today = timezone.localdate()
    view = request.GET.get("view", "all")
    view = view if view in queries.VIEWS else "all"
    sort = request.GET.get("sort", queries.DEFAULT_SORT)
    sort = sort if sort in queries.SORTS else queries.DEFAULT_SORT
    search = request.GET.get("q", "").strip()[:100]
    orders = queries.order_list(request.supplier, view=view, search=search, sort=sort, today=today)
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    queries.attach_line_figures(page.object_list)
    query = {"view": view, "q": search, "sort": sort}
    context = {
        "page": page,
        "orders": page.object_list,
        "view": view,
        "sort": sort,
        "search": search,
        "views": queries.VIEWS,
        "sorts": {key: label for key, (label, _) in queries.SORTS.items()},
        "counts": queries.view_counts(request.supplier, today, views=("awaiting", "proposed")),
        "query": urlencode({key: value for key, value in query.items() if value}),
        "view_label": queries.VIEWS[view],
        "today": today,
    }
    if htmx_partial(request):
        return _render(
            request, "procurement/portal/partials/order_table.html", {**context, "oob": True}
        )
    return _render(request, "procurement/portal/order_list.html", context)


@supplier_required
@require_GET
def order_export(request):
    """Open lines of the orders in the current view and search, as CSV."""
    today = timezone.localdate()
    view = request.GET.get("view", "all")
    orders = queries.order_list(
        request.supplier,
        view=view if view in queries.VIEWS else "all",
        search=request.GET.get("q", "").strip()[:100],
        sort=queries.DEFAULT_SORT,
        today=today,
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="open-lines-{request.supplier.code}-{today.isoformat()}.csv"'
    )
    exports.open_lines_csv(response, orders)
    return response


def _detail_context(request, po, *, forms=None) -> dict:
    lines = queries.order_lines(po)
    entries = queries.timelines(po)
    forms = forms or {}
    for line in lines:
        _decorate(line, po, entries, forms.get(line.line_number))
    _count_answers(po, lines)
    return {
        "po": po,
        "lines": lines,
        "accept_all_form": AcceptAllForm(
            initial={"revision": po.revision, "supplier_reference": po.supplier_reference}
        ),
        "awaiting_count": po.lines_awaiting,
        "can_ship": bool(queries.shippable_lines(po)),
        "ship_notices": list(queries.ship_notices_of(po)),
        "today": timezone.localdate(),
    }


def _count_answers(po, lines) -> None:
    """How many lines await the supplier and the buyer: the sub-state next to the PO status."""
    po.lines_awaiting = sum(
        1
        for line in lines
        if line.ack_status == AckStatus.AWAITING and line.status == PurchaseOrderLine.Status.OPEN
    )
    po.lines_proposed = sum(1 for line in lines if line.ack_status == AckStatus.PROPOSED)


def _decorate(line, po, entries, form=None) -> None:
    line.timeline = entries.get(line.pk, [])
    line.answerable = line.can_acknowledge() and line.ack_status != AckStatus.REJECTED
    line.form = form or _blank_form(line, po)
    line.proposal = line.pending[0] if getattr(line, "pending", None) else None


def _blank_form(line, po) -> LineAnswerForm:
    return LineAnswerForm(
        initial={
            "revision": po.revision,
            "confirmed_quantity": decimal_text(line.confirmed_quantity or line.quantity),
            "confirmed_date": line.confirmed_date or line.requested_date,
        },
        auto_id=f"line-{line.line_number}-%s",
    )


@supplier_required
@require_GET
def order_detail(request, number: str):
    po = _order(request, number)
    return _render(request, "procurement/portal/order_detail.html", _detail_context(request, po))


@supplier_required
@require_http_methods(["GET", "POST"])
def line_answer(request, number: str, line: int):
    """Answer one line; htmx gets the line back (with errors next to their fields)."""
    po = _order(request, number)
    if not po.lines.filter(line_number=line).exists():
        raise Http404("No such line.")
    form = None
    if request.method == "POST":
        form = LineAnswerForm(request.POST, auto_id=f"line-{line}-%s")
        if form.is_valid() and _answer(request, po, line, form):
            po.refresh_from_db()
            form = None
            if not htmx_partial(request):
                messages.success(request, f"Your answer to line {line} is recorded.")
                return redirect("portal:order-detail", number=po.number)
        elif not htmx_partial(request):
            return _render(
                request,
                "procurement/portal/order_detail.html",
                _detail_context(request, po, forms={line: form}),
            )
    elif not htmx_partial(request):
        return redirect("portal:order-detail", number=po.number)
    lines = queries.order_lines(po)
    _count_answers(po, lines)
    (row,) = [each for each in lines if each.line_number == line]
    _decorate(row, po, queries.timelines(po), form)
    return _render(
        request,
        "procurement/portal/partials/line.html",
        {"po": po, "line": row, "oob": True, "awaiting_count": po.lines_awaiting},
    )


def _answer(request, po, line: int, form: LineAnswerForm) -> bool:
    try:
        services.purchase_order_acknowledge(
            po=po,
            revision=form.cleaned_data["revision"],
            lines=[form.service_line(line)],
            supplier_reference=request.POST.get("supplier_reference", "")[:50],
            acting_user=request.user,
        )
    except ApplicationError as error:
        form.add_error(_field_of(error, form), _plain(error.message))
        return False
    return True


_WHERE = re.compile(r"^lines\[\d+\]\.?[a-z_]*(\[\d+\]\.[a-z_]+)?:?\s*")
_SERVICE_FIELDS = {"status": "action", "confirmed_quantity": "confirmed_quantity"}


def _plain(message: str) -> str:
    """A service message without its API path (`lines[0].reason: ...`), for a person."""
    text = _WHERE.sub("", message)
    return text[:1].upper() + text[1:] if text else message


def _field_of(error: ApplicationError, form) -> str | None:
    """The form field a service error names, else None (a message above the form)."""
    name = str(error.extra.get("field", "")).rsplit(".", 1)[-1]
    name = _SERVICE_FIELDS.get(name, name)
    field = form.fields.get(name)
    return name if field is not None and not field.widget.is_hidden else None


@supplier_required
@require_POST
def accept_all(request, number: str):
    """Accept every line still awaiting an answer, with the supplier's own order reference."""
    po = _order(request, number)
    form = AcceptAllForm(request.POST)
    waiting = list(
        po.lines.filter(ack_status=AckStatus.AWAITING, status=PurchaseOrderLine.Status.OPEN)
        .order_by("line_number")
        .values_list("line_number", flat=True)
    )
    if not form.is_valid():
        messages.error(request, "The answer could not be read; reload the order and try again.")
    elif not waiting:
        messages.info(request, "No line is waiting for your answer.")
    else:
        try:
            services.purchase_order_acknowledge(
                po=po,
                revision=form.cleaned_data["revision"],
                lines=[{"line": number, "status": "accepted"} for number in waiting],
                supplier_reference=form.cleaned_data["supplier_reference"],
                acting_user=request.user,
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Accepted {len(waiting)} line(s) of {po.number}.")
    return redirect("portal:order-detail", number=po.number)


@supplier_required
@require_http_methods(["GET", "POST"])
def ship_notice(request, number: str):
    """A ship notice started from the order, prefilled with each line's open quantity."""
    po = _order(request, number)
    lines = queries.shippable_lines(po)
    today = timezone.localdate()
    if request.method == "POST":
        form = ShipNoticeForm(request.POST, lines=lines)
        if form.is_valid() and _ship(request, po, form):
            messages.success(request, f"Ship notice {form.cleaned_data['number']} is recorded.")
            return redirect("portal:order-detail", number=po.number)
    else:
        form = ShipNoticeForm(lines=lines, initial={"ship_date": today})
    return _render(
        request,
        "procurement/portal/ship_notice.html",
        {"po": po, "form": form, "lines": lines, "today": today},
    )


def _ship(request, po, form: ShipNoticeForm) -> bool:
    shipped = form.shipped_lines()
    data = form.cleaned_data
    try:
        services.asn_create(
            supplier=request.supplier,
            number=data["number"].strip(),
            lines=[
                {
                    "po": po.number,
                    "line": line.line_number,
                    "quantity": quantity,
                    "uom": line.uom.code,
                }
                for line, quantity in shipped
            ],
            ship_date=data["ship_date"],
            expected_date=data.get("expected_date"),
            carrier=data.get("carrier", ""),
            tracking=data.get("tracking", ""),
            acting_user=request.user,
        )
    except ApplicationError as error:
        field = str(error.extra.get("field", ""))
        match = re.match(r"lines\[(\d+)\]", field)
        if match and int(match.group(1)) < len(shipped):
            form.add_error(
                form.quantity_field(shipped[int(match.group(1))][0]), _plain(error.message)
            )
        elif field in form.fields:
            form.add_error(field, error.message)
        else:
            form.add_error(None, error.message)
        return False
    return True
