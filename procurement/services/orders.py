"""Purchase orders: Weft's buyers create, issue and revise them, or the ERP upserts them.

Each revision the supplier must see goes out as `purchase_order.issued` or
`purchase_order.change_requested` and as an e-mail to the supplier's contacts; the lines
whose quantity, date, item, unit or price changed wait for a new acknowledgement.
"""

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from integrations.errors import ApplicationError
from integrations.outbox import emit
from integrations.ownership import WEFT, ownership_check
from masterdata.models import Item, Plant, SourcingRule, Supplier, UnitOfMeasure
from masterdata.services import resolve
from masterdata.units import UnitConverter
from procurement import events, notifications
from procurement.models import PurchaseOrder, PurchaseOrderLine, SupplierProposal
from procurement.services.common import (
    actor_scope,
    positive_decimal,
    purchase_order_status_refresh,
)

Line = PurchaseOrderLine
# What the supplier agreed to: a change to any of these needs its answer again.
SUPPLIER_TERMS = ("item", "quantity", "uom", "unit_price", "requested_date")
STATUS_BY_MESSAGE = {
    "open": Line.Status.OPEN,
    "closed": Line.Status.CLOSED,
    "cancelled": Line.Status.CANCELLED,
}


def _conflict(message: str, field: str, value) -> ApplicationError:
    return ApplicationError(message, {"field": field, "value": value}, status_code=409)


def _locked(po: PurchaseOrder) -> PurchaseOrder:
    return (
        PurchaseOrder.objects.select_for_update(of=("self",))
        .select_related("supplier", "plant")
        .get(pk=po.pk)
    )


def _usable_supplier(code: str) -> Supplier:
    supplier = resolve(Supplier, code, "supplier")
    if supplier.status == Supplier.Status.BLOCKED:
        raise ApplicationError(
            f"Supplier {supplier.code} is blocked; it takes no purchase orders.",
            {"field": "supplier", "value": supplier.code},
        )
    return supplier


@transaction.atomic
def purchase_order_create(
    *,
    number: str,
    supplier: str,
    plant: str,
    lines: list[dict],
    currency: str = "EUR",
    acting_user=None,
    writer: str = WEFT,
) -> PurchaseOrder:
    """Create a draft PO; it reaches the supplier only when issued. Weft must own POs."""
    ownership_check(object_type="purchase_order", writer=writer)
    with actor_scope(acting_user=acting_user):
        return _create(
            number=number,
            supplier=_usable_supplier(supplier),
            plant=resolve(Plant, plant, "plant"),
            currency=currency,
            revision=0,
            lines=lines,
            buyer=acting_user if getattr(acting_user, "is_authenticated", False) else None,
        )


def _create(*, number, supplier, plant, currency, revision, lines, buyer=None) -> PurchaseOrder:
    if PurchaseOrder.objects.filter(number=number).exists():
        raise _conflict(f"Purchase order {number} exists already.", "number", number)
    if not lines:
        raise ApplicationError("A purchase order needs at least one line.", {"field": "lines"})
    po = PurchaseOrder.objects.create(
        number=number,
        supplier=supplier,
        plant=plant,
        currency=currency,
        revision=revision,
        buyer=buyer,
    )
    _lines_apply(po, lines)
    return po


@transaction.atomic
def purchase_order_issue(
    *, po: PurchaseOrder, acting_user=None, writer: str = WEFT
) -> PurchaseOrder:
    """Send a draft PO to its supplier: every line then waits for the supplier's answer."""
    ownership_check(object_type="purchase_order", writer=writer)
    with actor_scope(acting_user=acting_user):
        po = _locked(po)
        if not po.can_issue():
            raise _conflict(
                f"Purchase order {po.number} is {po.status}; only a draft is issued.",
                "status",
                po.status,
            )
        _issue(po, timezone.now())
    return po


def _issue(po: PurchaseOrder, now) -> None:
    if po.supplier.status == Supplier.Status.BLOCKED:
        raise ApplicationError(
            f"Supplier {po.supplier.code} is blocked; {po.number} cannot be issued.",
            {"field": "supplier", "value": po.supplier.code},
        )
    live = [line for line in po.lines.all() if line.status != Line.Status.CANCELLED]
    if not live:
        raise ApplicationError(
            f"Purchase order {po.number} has no open line to issue.", {"field": "lines"}
        )
    po.status = PurchaseOrder.Status.ISSUED
    po.issued_at = now
    _send_lines(po, live, now)
    po.save()
    emit(
        events.ISSUED,
        events.purchase_order_data(po, event_type=events.ISSUED),
        key=events.aggregate_key(po),
    )
    notifications.purchase_order_mail_queue(po, notifications.ISSUED)


def _send_lines(po: PurchaseOrder, lines: list[Line], now) -> None:
    """These lines go to the supplier in the PO's current revision: each awaits its answer anew."""
    if not lines:
        return
    due = now + timedelta(hours=po.supplier.ack_sla_hours)
    po.ack_due_at = due
    for line in lines:
        line.ack_status = Line.AckStatus.AWAITING
        line.sent_revision = po.revision
        line.sent_at = now
        line.ack_due_at = due
        line.next_reminder_at = due
        line.reminders_sent = 0
        line.last_reminded_at = None
        line.save()
    _supersede_pending(lines)


def _supersede_pending(lines: list[Line]) -> None:
    for proposal in SupplierProposal.objects.pending().filter(po_line__in=lines):
        proposal.status = SupplierProposal.Status.SUPERSEDED
        proposal.save()


@transaction.atomic
def purchase_order_revise(
    *, po: PurchaseOrder, lines: list[dict], acting_user=None, writer: str = WEFT
) -> PurchaseOrder:
    """Change lines of a PO; once issued, a change the supplier must see makes a new revision."""
    ownership_check(object_type="purchase_order", writer=writer)
    with actor_scope(acting_user=acting_user):
        po = _locked(po)
        if not po.can_revise():
            raise _conflict(
                f"Purchase order {po.number} is {po.status}; it cannot change any more.",
                "status",
                po.status,
            )
        changed = _lines_apply(po, lines)
        if po.status != PurchaseOrder.Status.DRAFT and changed:
            _new_revision(po, changed, po.revision + 1)
        else:
            purchase_order_status_refresh(po)
    return po


def _new_revision(po: PurchaseOrder, changed: list[Line], revision: int) -> None:
    now = timezone.now()
    po.revision = revision
    _send_lines(po, [line for line in changed if line.status == Line.Status.OPEN], now)
    _supersede_pending([line for line in changed if line.status != Line.Status.OPEN])
    po.save()
    purchase_order_status_refresh(po)
    emit(
        events.CHANGE_REQUESTED,
        events.purchase_order_data(po, event_type=events.CHANGE_REQUESTED),
        key=events.aggregate_key(po),
    )
    cancelled = po.status == PurchaseOrder.Status.CANCELLED
    notifications.purchase_order_mail_queue(
        po, notifications.CANCELLED if cancelled else notifications.CHANGED
    )


@transaction.atomic
def purchase_order_upsert(
    *,
    number: str,
    supplier: str,
    plant: str,
    lines: list[dict],
    currency: str = "EUR",
    revision: int | None = None,
    writer: str,
) -> PurchaseOrder:
    """Apply the ERP's PO: a new one is issued; a changed one becomes a new revision.

    Only the system of record of purchase orders may. A revision older than the one Weft holds
    is refused; changes to what the supplier agreed to need a newer revision (or none named).
    Lines the message leaves out stay as they are; the ERP cancels a line by its status.
    """
    ownership_check(object_type="purchase_order", writer=writer)
    po = PurchaseOrder.objects.select_for_update().filter(number=number).first()
    if po is None:
        po = _create(
            number=number,
            supplier=_usable_supplier(supplier),
            plant=resolve(Plant, plant, "plant"),
            currency=currency,
            revision=revision or 0,
            lines=lines,
        )
        po = _locked(po)
        _issue(po, timezone.now())
        return po
    po = _locked(po)
    if po.supplier.code != supplier:
        raise _conflict(
            f"Purchase order {number} is {po.supplier.code}'s; its supplier cannot change.",
            "supplier",
            supplier,
        )
    if po.plant.code != plant:
        raise _conflict(
            f"Purchase order {number} is for plant {po.plant.code}; its plant cannot change.",
            "plant",
            plant,
        )
    if revision is not None and revision < po.revision:
        raise _conflict(
            f"Purchase order {number} is at revision {po.revision}; revision {revision} is older.",
            "revision",
            revision,
        )
    if po.status in (PurchaseOrder.Status.CLOSED, PurchaseOrder.Status.CANCELLED):
        raise _conflict(
            f"Purchase order {number} is {po.status}; it cannot change any more.",
            "status",
            po.status,
        )
    currency_changed = po.currency != currency
    po.currency = currency
    changed = _lines_apply(po, lines)
    if po.status == PurchaseOrder.Status.DRAFT:
        po.save()
        return po
    if changed or currency_changed:
        if revision is not None and revision == po.revision:
            raise _conflict(
                f"Purchase order {number} revision {revision} was sent with other terms; "
                "a change to quantities, dates, items, units or prices needs a new revision.",
                "revision",
                revision,
            )
        _new_revision(po, changed, po.revision + 1 if revision is None else revision)
    else:
        purchase_order_status_refresh(po)
    return po


@transaction.atomic
def purchase_order_cancel(
    *, po: PurchaseOrder, reason: str = "", acting_user=None, writer: str = WEFT
) -> PurchaseOrder:
    """Cancel a PO with nothing received yet; an issued one tells the supplier (quantity 0)."""
    ownership_check(object_type="purchase_order", writer=writer)
    with actor_scope(acting_user=acting_user):
        po = _locked(po)
        if po.status not in (
            PurchaseOrder.Status.DRAFT,
            PurchaseOrder.Status.ISSUED,
            PurchaseOrder.Status.ACKNOWLEDGED,
        ):
            raise _conflict(
                f"Purchase order {po.number} is {po.status}; only a draft, issued or "
                "acknowledged PO is cancelled (close a received one).",
                "status",
                po.status,
            )
        lines = list(po.lines.select_for_update())
        if any(line.received_quantity > 0 or line.shipped_quantity > 0 for line in lines):
            raise _conflict(
                f"Purchase order {po.number} has goods shipped or received; close it instead.",
                "status",
                po.status,
            )
        was_draft = po.status == PurchaseOrder.Status.DRAFT
        for line in lines:
            if line.status != Line.Status.CANCELLED:
                line.status = Line.Status.CANCELLED
                line.save()
        if was_draft:
            po.status = PurchaseOrder.Status.CANCELLED
            po.save()
        else:
            _new_revision(po, lines, po.revision + 1)
    return po


@transaction.atomic
def purchase_order_close(
    *, po: PurchaseOrder, acting_user=None, writer: str = WEFT
) -> PurchaseOrder:
    """Close a PO that is received, or short-close one partly received: nothing more is expected."""
    ownership_check(object_type="purchase_order", writer=writer)
    with actor_scope(acting_user=acting_user):
        po = _locked(po)
        if po.status not in (
            PurchaseOrder.Status.PARTIALLY_RECEIVED,
            PurchaseOrder.Status.RECEIVED,
        ):
            raise _conflict(
                f"Purchase order {po.number} is {po.status}; only a received or partly "
                "received PO is closed (cancel one with nothing received).",
                "status",
                po.status,
            )
        lines = list(po.lines.select_for_update())
        for line in lines:
            if line.status in Line.Status.receivable():
                line.status = Line.Status.CLOSED
                line.save()
        _supersede_pending(lines)
        po.status = PurchaseOrder.Status.CLOSED
        po.save()
    return po


def _lines_apply(po: PurchaseOrder, specs: list[dict]) -> list[Line]:
    """Create or change the listed lines; return those whose supplier-facing terms changed."""
    existing = {
        line.line_number: line
        for line in po.lines.select_for_update(of=("self",)).select_related("item__base_uom", "uom")
    }
    items = {}
    for index, spec in enumerate(specs):
        if spec.get("item"):
            items[index] = resolve(Item, spec["item"], f"lines[{index}].item")
    converter = UnitConverter.load(
        item_ids={item.pk for item in items.values()} | {line.item_id for line in existing.values()}
    )
    prices = _sourcing_prices(po, items.values())
    seen: set[int] = set()
    changed: list[Line] = []
    for index, spec in enumerate(specs):
        field = f"lines[{index}]"
        number = spec["line"]
        if number in seen:
            raise ApplicationError(
                f"Line {number} is listed twice.", {"field": f"{field}.line", "value": number}
            )
        seen.add(number)
        current = existing.get(number)
        values = _line_values(current, spec, items.get(index), field, converter, prices)
        if current is None:
            changed.append(Line.objects.create(po=po, line_number=number, **values))
            continue
        terms_changed = any(getattr(current, name) != values[name] for name in SUPPLIER_TERMS)
        status_changed = values["status"] != current.status and Line.Status.CANCELLED in (
            values["status"],
            current.status,
        )
        if (terms_changed or status_changed) and current.status in (
            Line.Status.RECEIVED,
            Line.Status.CLOSED,
        ):
            raise _conflict(
                f"Line {number} of {po.number} is {current.status}; it cannot change any more.",
                f"{field}.line",
                number,
            )
        if values["quantity"] < current.received_quantity:
            raise _conflict(
                f"Line {number} has {current.received_quantity.normalize():f} received already; "
                "its quantity cannot go below that.",
                f"{field}.quantity",
                str(values["quantity"]),
            )
        if any(getattr(current, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(current, name, value)
            current.save()
        if terms_changed or status_changed:
            changed.append(current)
    return changed


def _sourcing_prices(po: PurchaseOrder, items) -> dict[int, Decimal]:
    return dict(
        SourcingRule.objects.filter(
            supplier_id=po.supplier_id, plant_id=po.plant_id, item__in=list(items)
        ).values_list("item_id", "unit_price")
    )


def _line_values(
    current: Line | None,
    spec: dict,
    item: Item | None,
    field: str,
    converter: UnitConverter,
    prices: dict,
) -> dict:
    item = item or (current.item if current else None)
    if item is None:
        raise ApplicationError(
            f"{field}.item is required for a new line.", {"field": f"{field}.item"}
        )
    same_item = current is not None and current.item_id == item.pk
    uom_code = spec.get("uom") or (current.uom.code if same_item else item.base_uom.code)
    uom = resolve(UnitOfMeasure, uom_code, f"{field}.uom")
    if spec.get("quantity") is not None:
        quantity = positive_decimal(spec["quantity"], f"{field}.quantity")
    elif current is not None:
        quantity = current.quantity
    else:
        raise ApplicationError(
            f"{field}.quantity is required for a new line.", {"field": f"{field}.quantity"}
        )
    try:
        base_quantity = converter.convert(
            quantity,
            item_id=item.pk,
            item_code=item.code,
            from_uom=uom.code,
            to_uom=item.base_uom.code,
        ).quantize(Decimal("0.000001"))
    except ApplicationError as error:
        raise ApplicationError(error.message, {**error.extra, "field": f"{field}.uom"}) from None
    requested_date = spec.get("requested_date") or (current.requested_date if current else None)
    if requested_date is None:
        raise ApplicationError(
            f"{field}.requested_date is required for a new line.",
            {"field": f"{field}.requested_date"},
        )
    if isinstance(requested_date, str):
        requested_date = date.fromisoformat(requested_date)
    return {
        "item": item,
        "uom": uom,
        "quantity": quantity,
        "base_quantity": base_quantity,
        "unit_price": _price(spec, current, prices.get(item.pk), field),
        "requested_date": requested_date,
        "status": _status(spec.get("status"), current),
    }


def _price(spec: dict, current: Line | None, sourcing_price, field: str) -> Decimal:
    if spec.get("unit_price") is not None:
        try:
            price = Decimal(str(spec["unit_price"]))
        except InvalidOperation:
            price = Decimal("-1")
        if not price.is_finite() or price < 0:
            raise ApplicationError(
                f"{field}.unit_price must be a number, 0 or more.",
                {"field": f"{field}.unit_price", "value": str(spec["unit_price"])},
            )
        return price
    if current is not None:
        return current.unit_price
    return sourcing_price if sourcing_price is not None else Decimal("0")


def _status(wanted: str | None, current: Line | None) -> str:
    if wanted is None:
        return current.status if current else Line.Status.OPEN
    status = STATUS_BY_MESSAGE[wanted]
    if (
        status == Line.Status.OPEN
        and current is not None
        and current.status != Line.Status.CANCELLED
    ):
        # "open" from the ERP does not undo receiving progress Weft recorded.
        return current.status if current.status in Line.Status.receivable() else Line.Status.OPEN
    return status
