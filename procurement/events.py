"""The data of the events procurement emits, exactly as MESSAGES.md writes them."""

from decimal import Decimal

from masterdata.models import SourcingRule
from procurement.models import PurchaseOrder, PurchaseOrderLine

ISSUED = "purchase_order.issued"
CHANGE_REQUESTED = "purchase_order.change_requested"
CONFIRMED = "purchase_order.confirmed"


def decimal_text(value: Decimal) -> str:
    """A decimal as the contract writes it: plain digits, no exponent, no trailing zeros."""
    text = format(Decimal(value), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def aggregate_key(po: PurchaseOrder) -> str:
    return f"po:{po.number}"


def supplier_item_codes(po: PurchaseOrder, lines: list[PurchaseOrderLine]) -> dict[int, str]:
    """The supplier's code for each item of the PO, from the sourcing rule of item, supplier, plant."""
    rows = SourcingRule.objects.filter(
        supplier_id=po.supplier_id,
        plant_id=po.plant_id,
        item_id__in=[line.item_id for line in lines],
    )
    return {
        item_id: code
        for item_id, code in rows.values_list("item_id", "supplier_item_code")
        if code.strip()
    }


def purchase_order_data(po: PurchaseOrder, *, event_type: str) -> dict:
    """`purchase_order.issued` / `.change_requested` data; a cancelled line goes out at quantity 0."""
    rows = list(po.lines.select_related("item", "uom").order_by("line_number"))
    codes = supplier_item_codes(po, rows)
    lines = []
    for line in rows:
        cancelled = line.status == PurchaseOrderLine.Status.CANCELLED
        if cancelled and event_type == ISSUED:
            continue
        entry = {"line": line.line_number, "item": line.item.code}
        if line.item_id in codes:
            entry["supplier_item_code"] = codes[line.item_id]
        entry |= {
            "quantity": "0" if cancelled else decimal_text(line.quantity),
            "uom": line.uom.code,
            "unit_price": decimal_text(line.unit_price),
            "requested_date": line.requested_date.isoformat(),
        }
        lines.append(entry)
    return {
        "po": po.number,
        "revision": po.revision,
        "supplier": po.supplier.code,
        "plant": po.plant.code,
        "currency": po.currency,
        "lines": lines,
    }


def confirmed_data(po: PurchaseOrder, lines: list[PurchaseOrderLine]) -> dict:
    """`purchase_order.confirmed` data for the lines whose confirmation just applied."""
    entries = []
    for line in sorted(lines, key=lambda row: row.line_number):
        entry = {
            "line": line.line_number,
            "confirmed_quantity": decimal_text(line.confirmed_quantity or Decimal("0")),
        }
        if line.confirmed_date:
            entry["confirmed_date"] = line.confirmed_date.isoformat()
        entry["status"] = line.ack_status
        entries.append(entry)
    return {"po": po.number, "revision": po.revision, "lines": entries}
