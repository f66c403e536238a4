"""Master data browsing: items (search) with where-used, BOM tree and sourcing; suppliers with a
scorecard; the history of any master object as a readable field-by-field diff (simple-history)."""

from datetime import timedelta

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.http import require_GET

from masterdata.models import (
    Bom,
    BomLine,
    Item,
    ItemPlant,
    Plant,
    SourcingRule,
    Supplier,
    UnitOfMeasure,
)
from planning import kpis
from planning.console.access import console_required
from planning.console.pages import answering_errors, bad, choice, paginate, plant_or_none
from planning.console.views import console_render
from procurement.models import PurchaseOrder, PurchaseOrderLine

HISTORY_MODELS = {
    "item": Item,
    "plant": Plant,
    "supplier": Supplier,
    "sourcingrule": SourcingRule,
    "bom": Bom,
    "bomline": BomLine,
    "itemplant": ItemPlant,
    "uom": UnitOfMeasure,
}
SCORECARD_DAYS = 90


@console_required
@require_GET
@answering_errors
def item_list(request):
    params = request.GET
    item_type = choice(params, "type", Item.ItemType.values)
    items = Item.objects.select_related("base_uom", "planner").order_by("code")
    q = params.get("q", "").strip()
    if q:
        items = items.filter(Q(code__icontains=q) | Q(description__icontains=q))
    if item_type:
        items = items.filter(item_type=item_type)
    page, query = paginate(request, items)
    return console_render(
        request,
        "console/masterdata/item_list.html",
        {"page": page, "query": query, "chosen": params, "types": Item.ItemType.choices},
    )


def _bom_lines(bom_id: int) -> list[dict]:
    lines = (
        BomLine.objects.filter(bom_id=bom_id)
        .select_related("component", "uom")
        .annotate(sub_boms=Count("component__boms"))
        .order_by("component__code")
    )
    return list(lines)


@console_required
@require_GET
def item_detail(request, pk: int):
    item = get_object_or_404(Item.objects.select_related("base_uom", "planner"), pk=pk)
    boms = list(
        Bom.objects.filter(parent=item).select_related("plant").order_by("plant__code", "revision")
    )
    for bom in boms:
        bom.tree_lines = _bom_lines(bom.pk)
    where_used = (
        BomLine.objects.filter(component=item)
        .select_related("bom__parent", "bom__plant", "uom")
        .order_by("bom__parent__code", "bom__plant__code")
    )
    sourcing = (
        SourcingRule.objects.filter(item=item)
        .select_related("supplier", "plant")
        .order_by("plant__code", "priority", "unit_price")
    )
    plants = ItemPlant.objects.filter(item=item).select_related("plant").order_by("plant__code")
    return console_render(
        request,
        "console/masterdata/item_detail.html",
        {
            "item": item,
            "boms": boms,
            "where_used": where_used,
            "sourcing": sourcing,
            "plants": plants,
            "today": timezone.localdate(),
        },
    )


@console_required
@require_GET
@answering_errors
def bom_children(request, pk: int):
    """The components of an item's BOMs, one level: the tree opens level by level via htmx."""
    item = get_object_or_404(Item, pk=pk)
    boms = (
        Bom.objects.filter(parent=item).select_related("plant").order_by("plant__code", "revision")
    )
    plant = plant_or_none(request.GET)
    if plant is not None:
        boms = boms.filter(plant=plant)
    levels = [{"bom": bom, "lines": _bom_lines(bom.pk)} for bom in boms]
    return console_render(
        request, "console/masterdata/partials/bom_children.html", {"levels": levels}
    )


@console_required
@require_GET
@answering_errors
def supplier_list(request):
    q = request.GET.get("q", "").strip()
    suppliers = Supplier.objects.annotate(
        open_pos=Count(
            "purchase_orders",
            filter=Q(purchase_orders__status__in=PurchaseOrder.Status.with_supplier()),
        )
    ).order_by("code")
    if q:
        suppliers = suppliers.filter(Q(code__icontains=q) | Q(name__icontains=q))
    page, query = paginate(request, suppliers)
    return console_render(
        request,
        "console/masterdata/supplier_list.html",
        {"page": page, "query": query, "chosen": request.GET},
    )


@console_required
@require_GET
def supplier_detail(request, pk: int):
    supplier = get_object_or_404(Supplier, pk=pk)
    now = timezone.now()
    scores = {
        row["supplier"]: row
        for row in kpis.ack_cycle_times(since=now - timedelta(days=SCORECARD_DAYS), now=now)
    }
    open_pos = (
        PurchaseOrder.objects.filter(
            supplier=supplier, status__in=PurchaseOrder.Status.with_supplier()
        )
        .select_related("plant")
        .annotate(line_count=Count("lines"))
        .order_by("issued_at", "id")
    )
    awaiting = PurchaseOrderLine.objects.awaiting_ack().filter(po__supplier=supplier)
    return console_render(
        request,
        "console/masterdata/supplier_detail.html",
        {
            "supplier": supplier,
            "score": scores.get(supplier.code),
            "days": SCORECARD_DAYS,
            "open_pos": open_pos[:100],
            "open_count": open_pos.count(),
            "awaiting": awaiting.count(),
            "overdue": awaiting.filter(ack_due_at__lte=now).count(),
            "sourcing": SourcingRule.objects.filter(supplier=supplier)
            .select_related("item", "plant")
            .order_by("item__code")[:200],
        },
    )


def _value(model_class, field_name: str, value) -> str:
    """A stored value as a person reads it: choices by label, related objects by name."""
    if value is None or value == "":
        return "—"
    try:
        field = model_class._meta.get_field(field_name)
    except FieldDoesNotExist:
        return str(value)
    if field.is_relation and field.related_model is not None:
        related = field.related_model._default_manager.filter(pk=value).first()
        return str(related) if related is not None else f"#{value} (deleted)"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def _tracked_fields(model_class, record) -> list:
    return [
        field
        for field in model_class._meta.concrete_fields
        if field.name not in ("id", "updated_at") and hasattr(record, field.attname)
    ]


@console_required
@require_GET
@answering_errors
def history(request, model: str, pk: int):
    """Every saved change of one master object, newest first, as changed fields old → new."""
    model_class = HISTORY_MODELS.get(model)
    if model_class is None:
        raise bad(
            "model", model, f"{model!r} has no history here; one of {', '.join(HISTORY_MODELS)}."
        )
    records = list(
        model_class.history.filter(id=pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    if not records:
        current = model_class.objects.filter(pk=pk).first()
        if current is None:
            raise bad("pk", pk, f"No {model} {pk}.")
    entries = []
    previous = None
    for record in records:
        if previous is None:
            changes = [
                {
                    "field": field.verbose_name,
                    "old": "",
                    "new": _value(model_class, field.name, getattr(record, field.attname)),
                }
                for field in _tracked_fields(model_class, record)
            ]
        else:
            delta = record.diff_against(previous)
            changes = [
                {
                    "field": model_class._meta.get_field(change.field).verbose_name,
                    "old": _value(model_class, change.field, change.old),
                    "new": _value(model_class, change.field, change.new),
                }
                for change in delta.changes
                if change.field != "updated_at"
            ]
        entries.append(
            {
                "record": record,
                "type": {"+": "Created", "~": "Changed", "-": "Deleted"}[record.history_type],
                "by": record.history_user.get_username()
                if record.history_user
                else (record.history_system or "system"),
                "message": record.history_message,
                "changes": changes,
            }
        )
        previous = record
    entries.reverse()
    page, query = paginate(request, entries, 50)
    return console_render(
        request,
        "console/masterdata/history.html",
        {
            "model": model,
            "pk": pk,
            "page": page,
            "query": query,
            "title": str(records[-1].instance) if records else f"{model} {pk}",
        },
    )
