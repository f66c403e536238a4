"""Goods received against PO lines: the quantity closes, and the receipt goes to the ledger."""

from datetime import datetime

from django.db import transaction

from integrations.errors import ApplicationError
from integrations.ownership import WEFT, ownership_check
from masterdata.models import Plant, UnitOfMeasure
from masterdata.services import resolve
from masterdata.units import UnitConverter
from procurement.inventory_link import post_receipt_to_inventory
from procurement.models import PurchaseOrder, PurchaseOrderLine, Receipt, ReceiptLine
from procurement.services.common import (
    actor_scope,
    convert_for_line,
    positive_decimal,
    purchase_order_status_refresh,
)

Line = PurchaseOrderLine


@transaction.atomic
def receipt_post(
    *,
    number: str,
    plant: str,
    received_at: datetime,
    lines: list[dict],
    writer: str = WEFT,
    acting_user=None,
) -> Receipt:
    """Post goods received against PO lines: received quantities and statuses move, stock follows.

    `lines` holds `{po, line, item, quantity, uom}`. Only the system of record of receipts may
    post one. A receipt is a fact, so receiving more than ordered is kept (the line is then
    received in full). The same receipt number again with the same lines changes nothing;
    with other lines it is refused.
    """
    ownership_check(object_type="receipt", writer=writer)
    plant_row = resolve(Plant, plant, "plant")
    if not lines:
        raise ApplicationError("A receipt needs at least one line.", {"field": "lines"})
    with actor_scope(acting_user=acting_user):
        po_lines = _receivable_lines(plant_row, lines)
        existing = Receipt.objects.filter(number=number).first()
        if existing is not None:
            return _same_or_refused(existing, plant_row, lines, po_lines)
        receipt = Receipt.objects.create(
            number=number,
            plant=plant_row,
            received_at=received_at,
            source=writer,
            posted_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
        )
        converter = UnitConverter.load(item_ids={line.item_id for line in po_lines})
        touched: dict[int, PurchaseOrder] = {}
        for index, (given, line) in enumerate(zip(lines, po_lines, strict=True)):
            where = f"lines[{index}]"
            quantity = positive_decimal(given["quantity"], f"{where}.quantity")
            uom = resolve(UnitOfMeasure, given["uom"], f"{where}.uom")
            in_line, in_base = convert_for_line(converter, line, quantity, uom.code, f"{where}.uom")
            ReceiptLine.objects.create(
                receipt=receipt,
                po_line=line,
                item=line.item,
                quantity=quantity,
                uom=uom,
                line_quantity=in_line,
                base_quantity=in_base,
            )
            line.received_quantity += in_line
            line.status = (
                Line.Status.RECEIVED
                if line.received_quantity >= line.expected_quantity
                else Line.Status.PARTIALLY_RECEIVED
            )
            line.save()
            touched[line.po_id] = line.po
        for po in touched.values():
            purchase_order_status_refresh(po)
        post_receipt_to_inventory(receipt=receipt)
    return receipt


def _receivable_lines(plant: Plant, lines: list[dict]) -> list[Line]:
    orders = {
        po.number: po
        for po in PurchaseOrder.objects.select_for_update().filter(
            number__in={given["po"] for given in lines}
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
            raise ApplicationError(
                f"Unknown purchase order '{given['po']}'.",
                {"field": f"{where}.po", "value": given["po"]},
            )
        if po.plant_id != plant.pk:
            raise ApplicationError(
                f"Purchase order {po.number} is for plant {po.plant.code}, not {plant.code}.",
                {"field": f"{where}.po", "value": po.number},
            )
        if not po.is_with_supplier():
            raise ApplicationError(
                f"Purchase order {po.number} is {po.status}; nothing is received against it.",
                {"field": f"{where}.po", "value": po.number},
                status_code=409,
            )
        line = found.get((po.number, given["line"]))
        if line is None:
            raise ApplicationError(
                f"Purchase order {po.number} has no line {given['line']}.",
                {"field": f"{where}.line", "value": given["line"]},
            )
        if line.item.code != given["item"]:
            raise ApplicationError(
                f"Line {line.line_number} of {po.number} orders {line.item.code}, not {given['item']}.",
                {"field": f"{where}.item", "value": given["item"]},
            )
        if line.status not in Line.Status.receivable():
            raise ApplicationError(
                f"Line {line.line_number} of {po.number} is {line.status}; nothing is received on it.",
                {"field": f"{where}.line", "value": line.line_number},
                status_code=409,
            )
        result.append(line)
    return result


def _same_or_refused(receipt: Receipt, plant: Plant, lines: list[dict], po_lines: list[Line]):
    recorded = sorted(
        (row.po_line_id, row.quantity, row.uom.code) for row in receipt.lines.select_related("uom")
    )
    wanted = sorted(
        (line.pk, positive_decimal(given["quantity"], "quantity"), given["uom"])
        for given, line in zip(lines, po_lines, strict=True)
    )
    if receipt.plant_id != plant.pk or recorded != wanted:
        raise ApplicationError(
            f"Receipt {receipt.number} was posted with other lines.",
            {"field": "number", "value": receipt.number},
            status_code=409,
        )
    return receipt
