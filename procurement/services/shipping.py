"""Advance ship notices from suppliers, and the carrier's updates that move their arrival."""

from datetime import date

from django.db import transaction
from django.db.models import Q

from integrations.errors import ApplicationError
from masterdata.models import Supplier, UnitOfMeasure
from masterdata.services import resolve
from masterdata.units import UnitConverter
from procurement import events
from procurement.models import AdvanceShipNotice, AsnLine, PurchaseOrder, PurchaseOrderLine
from procurement.services.common import (
    actor_scope,
    convert_for_line,
    positive_decimal,
    supplier_actor_check,
    tolerance_for,
)

Line = PurchaseOrderLine


@transaction.atomic
def asn_create(
    *,
    supplier: Supplier,
    number: str,
    lines: list[dict],
    ship_date: date | None = None,
    expected_date: date | None = None,
    carrier: str = "",
    tracking: str = "",
    acting_user=None,
    acting_system=None,
) -> AdvanceShipNotice:
    """Record what a supplier shipped against its PO lines, within each line's open quantity.

    `lines` holds `{po, line, quantity, uom}`. A line may ship more than it has open only up to
    the supplier's over-delivery tolerance; beyond that the ASN is refused naming the line. The
    same ASN sent again is answered with the one recorded; the number reused for other lines
    is refused.
    """
    supplier_actor_check(supplier=supplier, acting_user=acting_user, acting_system=acting_system)
    if ship_date and expected_date and expected_date < ship_date:
        raise ApplicationError(
            f"expected_date {expected_date} is before ship_date {ship_date}.",
            {"field": "expected_date", "value": expected_date.isoformat()},
        )
    if not lines:
        raise ApplicationError("An ASN needs at least one line.", {"field": "lines"})
    with actor_scope(acting_user=acting_user, acting_system=acting_system):
        po_lines = _po_lines_of(supplier, lines)
        existing = AdvanceShipNotice.objects.filter(supplier=supplier, number=number).first()
        if existing is not None:
            return _same_or_refused(existing, lines, po_lines)
        converter = UnitConverter.load(item_ids={line.item_id for line in po_lines})
        tolerance = tolerance_for(supplier)
        asn = AdvanceShipNotice.objects.create(
            supplier=supplier,
            number=number,
            ship_date=ship_date,
            expected_date=expected_date,
            carrier=carrier or "",
            tracking=tracking or "",
        )
        for index, (given, line) in enumerate(zip(lines, po_lines, strict=True)):
            where = f"lines[{index}]"
            quantity = positive_decimal(given["quantity"], f"{where}.quantity")
            uom = resolve(UnitOfMeasure, given["uom"], f"{where}.uom")
            in_line, in_base = convert_for_line(converter, line, quantity, uom.code, f"{where}.uom")
            _refuse_overshipment(line, in_line, tolerance, where, quantity, uom.code)
            line.shipped_quantity += in_line
            line.save()
            AsnLine.objects.create(
                asn=asn,
                po_line=line,
                quantity=quantity,
                uom=uom,
                line_quantity=in_line,
                base_quantity=in_base,
                expected_date=expected_date or ship_date,
            )
    return asn


def _po_lines_of(supplier: Supplier, lines: list[dict]) -> list[Line]:
    numbers = {given["po"] for given in lines}
    orders = {
        po.number: po
        for po in PurchaseOrder.objects.select_for_update().filter(
            supplier=supplier, number__in=numbers
        )
    }
    found = {
        (line.po.number, line.line_number): line
        for line in Line.objects.select_for_update(of=("self",))
        .filter(po__in=orders.values())
        .select_related("po", "item__base_uom", "uom")
    }
    result = []
    for index, given in enumerate(lines):
        where = f"lines[{index}]"
        po = orders.get(given["po"])
        if po is None:
            # Another supplier's PO is as unknown to this one as a PO that does not exist.
            raise ApplicationError(
                f"{supplier.code} has no purchase order {given['po']}.",
                {"field": f"{where}.po", "value": given["po"]},
            )
        if not po.is_with_supplier():
            raise ApplicationError(
                f"Purchase order {po.number} is {po.status}; nothing ships against it.",
                {"field": f"{where}.po", "value": po.number},
                status_code=409,
            )
        line = found.get((po.number, given["line"]))
        if line is None:
            raise ApplicationError(
                f"Purchase order {po.number} has no line {given['line']}.",
                {"field": f"{where}.line", "value": given["line"]},
            )
        if line.status not in Line.Status.receivable():
            raise ApplicationError(
                f"Line {line.line_number} of {po.number} is {line.status}; nothing ships on it.",
                {"field": f"{where}.line", "value": line.line_number},
                status_code=409,
            )
        result.append(line)
    return result


def _refuse_overshipment(line: Line, in_line, tolerance, where: str, quantity, uom: str) -> None:
    ordered = line.expected_quantity
    already = max(line.shipped_quantity, line.received_quantity)
    allowed = tolerance.shippable(ordered)
    if already + in_line > allowed:
        open_quantity = max(ordered - already, 0)
        raise ApplicationError(
            f"{where}: {events.decimal_text(quantity)} {uom} on {line.po.number} line "
            f"{line.line_number} is more than its open {events.decimal_text(open_quantity)} "
            f"{line.uom.code} (over-delivery tolerance "
            f"{events.decimal_text(tolerance.over_delivery_percent)}%).",
            {"field": f"{where}.quantity", "value": events.decimal_text(quantity)},
        )


def _same_or_refused(asn: AdvanceShipNotice, lines: list[dict], po_lines: list[Line]):
    recorded = sorted(
        (row.po_line_id, row.quantity, row.uom.code) for row in asn.lines.select_related("uom")
    )
    wanted = sorted(
        (line.pk, positive_decimal(given["quantity"], "quantity"), given["uom"])
        for given, line in zip(lines, po_lines, strict=True)
    )
    if recorded != wanted:
        raise ApplicationError(
            f"ASN {asn.number} of {asn.supplier.code} was recorded with other lines.",
            {"field": "number", "value": asn.number},
            status_code=409,
        )
    return asn


@transaction.atomic
def shipment_update(
    *,
    asn: AdvanceShipNotice,
    status: str,
    expected_date: date | None = None,
    tracking: str = "",
    location: str = "",
    reason: str = "",
) -> AdvanceShipNotice:
    """Record where a shipment is; a new expected date moves the expected receipt of its lines."""
    asn = AdvanceShipNotice.objects.select_for_update().get(pk=asn.pk)
    if expected_date and asn.ship_date and expected_date < asn.ship_date:
        raise ApplicationError(
            f"expected_date {expected_date} is before the ship date {asn.ship_date}.",
            {"field": "expected_date", "value": expected_date.isoformat()},
        )
    values = {"status": status, "location": location or "", "status_reason": reason or ""}
    if tracking:
        values["tracking"] = tracking
    if expected_date:
        values["expected_date"] = expected_date
    if any(getattr(asn, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(asn, name, value)
        asn.save()
    if expected_date:
        for row in asn.lines.select_for_update():
            if row.expected_date != expected_date:
                row.expected_date = expected_date
                row.save()
    return asn


def asn_for_update(*, system, number: str, tracking: str = "") -> AdvanceShipNotice:
    """The ASN a `shipment.updated` from `system` names: one of its suppliers', or one it carries."""
    candidates = AdvanceShipNotice.objects.filter(number=number).filter(
        Q(supplier__external_system=system) | Q(carrier=system.code)
    )
    if tracking:
        narrowed = candidates.filter(Q(tracking=tracking) | Q(tracking=""))
        if narrowed.exists():
            candidates = narrowed
    found = list(candidates[:2])
    if not found:
        raise ApplicationError(
            f"{system.code} has no ASN {number} (neither as its supplier nor as its carrier).",
            {"field": "data.asn", "value": number},
        )
    if len(found) > 1:
        raise ApplicationError(
            f"ASN {number} is ambiguous for {system.code}; send its tracking number.",
            {"field": "data.tracking", "value": tracking},
        )
    return found[0]
