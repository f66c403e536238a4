"""Where a receipt meets the inventory ledger: one function, so one place to wire."""

from execution.services import inventory_receive
from procurement.models import Receipt


def post_receipt_to_inventory(*, receipt: Receipt) -> None:
    """Book each receipt line into the plant's stock, once per receipt line.

    It runs inside the receipt's transaction, so the ledger rows commit or roll back with it.
    The key (receipt number and line) makes a repeated receipt a no-op in the ledger as well.
    """
    for line in receipt.lines.select_related("item__base_uom", "po_line__po").order_by("pk"):
        inventory_receive(
            item=line.item,
            plant=receipt.plant,
            quantity=line.base_quantity,
            uom=line.item.base_uom.code,
            transaction_key=f"receipt:{receipt.number}:{line.po_line}",
            reference=f"PO {line.po_line}",
            received_at=receipt.received_at,
            source_system=receipt.source,
        )
