"""What the procurement services share: who may act for a supplier, tolerances, PO status."""

from contextlib import nullcontext
from decimal import Decimal, InvalidOperation

from django.db.models import Q

from integrations.errors import ApplicationError, NotFoundError, OwnershipError
from integrations.history import acting_as, current_actor
from integrations.roles import is_console_user, supplier_of
from masterdata.models import Supplier
from masterdata.units import UnitConverter
from procurement.models import PurchaseOrder, PurchaseOrderLine, SupplierTolerance

Line = PurchaseOrderLine


def supplier_actor_check(*, supplier: Supplier, acting_user=None, acting_system=None) -> None:
    """Refuse anyone but the supplier's own system, its portal users, or a buyer inside Weft."""
    if acting_system is not None:
        if acting_system.pk != supplier.external_system_id:
            raise OwnershipError(
                f"{acting_system.code} is not {supplier.code}'s system; only the supplier's own "
                "system or its portal users may answer for it.",
                {"field": "supplier", "value": supplier.code, "writer": acting_system.code},
            )
        return
    if acting_user is not None and acting_user.is_authenticated:
        acts_for = supplier_of(acting_user)
        if acts_for is not None:
            if acts_for.pk != supplier.pk:
                # A portal user never learns that another supplier's document exists.
                raise NotFoundError("Not found.", {"field": "supplier", "value": supplier.code})
            return
        if is_console_user(acting_user):
            return
    raise OwnershipError(
        f"Only {supplier.code}'s own system, its portal users or a buyer may do this.",
        {"field": "supplier", "value": supplier.code},
    )


def tolerance_for(supplier: Supplier) -> SupplierTolerance:
    """The supplier's tolerances, else the global row, else the built-in defaults."""
    rows = {
        row.supplier_id: row
        for row in SupplierTolerance.objects.filter(Q(supplier=supplier) | Q(supplier__isnull=True))
    }
    return rows.get(supplier.pk) or rows.get(None) or SupplierTolerance()


def positive_decimal(value, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ApplicationError(
            f"{field} must be a number.", {"field": field, "value": str(value)}
        ) from None
    if not number.is_finite() or number <= 0:
        raise ApplicationError(
            f"{field} must be above zero.", {"field": field, "value": str(value)}
        )
    return number


def to_line_unit(
    converter: UnitConverter, line: Line, quantity: Decimal, uom_code: str
) -> tuple[Decimal, Decimal]:
    """A quantity of the line's item in `uom_code`, as (in the line's unit, in the base unit)."""
    item = line.item
    in_line = converter.convert(
        quantity, item_id=item.pk, item_code=item.code, from_uom=uom_code, to_uom=line.uom.code
    ).quantize(Decimal("0.000001"))
    in_base = converter.convert(
        quantity, item_id=item.pk, item_code=item.code, from_uom=uom_code, to_uom=item.base_uom.code
    ).quantize(Decimal("0.000001"))
    return in_line, in_base


def purchase_order_status_refresh(po: PurchaseOrder, *, lines: list[Line] | None = None) -> None:
    """Derive an issued PO's status from its lines: answered, receiving, received or all cancelled.

    `lines`: all of the PO's lines as the caller holds them (saves reading them again).
    """
    if po.status in (PurchaseOrder.Status.DRAFT, PurchaseOrder.Status.CLOSED):
        return
    if po.status == PurchaseOrder.Status.CANCELLED:
        return
    lines = po.lines.all() if lines is None else lines
    live = [line for line in lines if line.status != Line.Status.CANCELLED]
    if not live:
        wanted = PurchaseOrder.Status.CANCELLED
    elif all(line.status in (Line.Status.RECEIVED, Line.Status.CLOSED) for line in live):
        wanted = PurchaseOrder.Status.RECEIVED
    elif any(line.received_quantity > 0 for line in live):
        wanted = PurchaseOrder.Status.PARTIALLY_RECEIVED
    elif all(line.ack_status in (Line.AckStatus.ACCEPTED, Line.AckStatus.CHANGED) for line in live):
        wanted = PurchaseOrder.Status.ACKNOWLEDGED
    else:
        wanted = PurchaseOrder.Status.ISSUED
    if wanted != po.status:
        po.status = wanted
        po.save()


def actor_scope(*, acting_user=None, acting_system=None):
    """Name the actor on the history rows a service writes, unless a caller named one already."""
    if current_actor() is not None or (acting_user is None and acting_system is None):
        return nullcontext()
    if acting_system is not None:
        return acting_as(system_code=acting_system.code)
    return acting_as(user=acting_user)


def convert_for_line(
    converter: UnitConverter, line: Line, quantity: Decimal, uom_code: str, field: str
) -> tuple[Decimal, Decimal]:
    """`to_line_unit`, with a unit it cannot convert named at `field`."""
    try:
        return to_line_unit(converter, line, quantity, uom_code)
    except ApplicationError as error:
        raise ApplicationError(error.message, {**error.extra, "field": field}) from None


def buyer_check(acting_user) -> None:
    """Refuse anyone but a planner, buyer or administrator signed in to Weft."""
    if acting_user is None or not is_console_user(acting_user):
        raise OwnershipError("Only a buyer may do this.", {"field": "user"})
