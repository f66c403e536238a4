"""The open lines a supplier downloads: one row per line it still delivers on."""

import csv

from django.db.models import QuerySet

from procurement.events import decimal_text
from procurement.models import PurchaseOrder, PurchaseOrderLine
from procurement.portal.queries import open_quantity_to_ship

HEADER = [
    "po",
    "revision",
    "your_reference",
    "plant",
    "line",
    "item",
    "description",
    "quantity",
    "uom",
    "unit_price",
    "currency",
    "requested_date",
    "answer",
    "confirmed_quantity",
    "confirmed_date",
    "shipped_quantity",
    "received_quantity",
    "open_to_ship",
]


def _cell(value) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def open_lines_csv(stream, orders: QuerySet) -> None:
    writer = csv.writer(stream)
    writer.writerow(HEADER)
    lines = (
        PurchaseOrderLine.objects.filter(
            po__in=orders.filter(status__in=PurchaseOrder.Status.with_supplier()).values("pk"),
            status__in=PurchaseOrderLine.Status.receivable(),
        )
        .select_related("po__plant", "item", "uom")
        .order_by("po__number", "line_number")
    )
    for line in lines.iterator(chunk_size=2000):
        po = line.po
        writer.writerow(
            _cell(value)
            for value in [
                po.number,
                po.revision,
                po.supplier_reference,
                po.plant.code,
                line.line_number,
                line.item.code,
                line.item.description,
                decimal_text(line.quantity),
                line.uom.code,
                decimal_text(line.unit_price),
                po.currency,
                line.requested_date.isoformat(),
                line.get_ack_status_display(),
                decimal_text(line.confirmed_quantity)
                if line.confirmed_quantity is not None
                else "",
                line.confirmed_date.isoformat() if line.confirmed_date else "",
                decimal_text(line.shipped_quantity),
                decimal_text(line.received_quantity),
                decimal_text(open_quantity_to_ship(line))
                if line.ack_status != PurchaseOrderLine.AckStatus.REJECTED
                else 0,
            ]
        )
