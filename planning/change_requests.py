"""MRP's advice on issued purchase orders, sent to the supplier as a change request.

A planner sends one from the console; for suppliers set to automatic change requests, every run
sends its own. Both go through procurement's revise service, which makes the new revision and
emits `purchase_order.change_requested`.
"""

from collections import defaultdict
from collections.abc import Collection

from integrations.errors import ApplicationError
from integrations.ownership import WEFT, owner_of
from planning.models import MrpMessage, MrpRun, SupplierPlanningSettings
from procurement.models import PurchaseOrder, PurchaseOrderLine
from procurement.services import purchase_order_revise

# Advice that moves an issued PO line's date: in, out, or earlier than the supplier confirmed.
DATE_ADVICE = (
    MrpMessage.Kind.RESCHEDULE_IN,
    MrpMessage.Kind.RESCHEDULE_OUT,
    MrpMessage.Kind.LATE_CONFIRMATION,
)


def change_request_send(*, messages: Collection[MrpMessage], acting_user=None) -> list[str]:
    """Ask the suppliers for the dates the messages advise, one revision per PO; returns POs."""
    by_po: dict[int, dict[int, MrpMessage]] = defaultdict(dict)
    for message in messages:
        if message.kind not in DATE_ADVICE or message.po_line_id is None or not message.to_date:
            raise ApplicationError(
                f"MRP message {message.pk} ({message.kind}) does not move a purchase order line.",
                {"field": "message", "value": message.pk},
            )
        by_po[message.po_line.po_id][message.po_line_id] = message
    revised = []
    for po_id, advice in by_po.items():
        po = PurchaseOrder.objects.get(pk=po_id)
        lines = [
            {"line": line.line_number, "requested_date": advice[line.pk].to_date.isoformat()}
            for line in PurchaseOrderLine.objects.filter(pk__in=advice)
            if line.requested_date != advice[line.pk].to_date
        ]
        if lines:
            purchase_order_revise(po=po, lines=lines, acting_user=acting_user)
            revised.append(po.number)
    return revised


def automatic_change_requests(run: MrpRun, *, item_ids: Collection[int] | None) -> list[str]:
    """Send the run's date advice on issued POs of suppliers set to automatic change requests."""
    if owner_of("purchase_order") != WEFT:
        return []
    automatic = SupplierPlanningSettings.objects.filter(automatic_change_requests=True)
    if not automatic.exists():
        return []
    messages = MrpMessage.objects.filter(
        plant=run.plant,
        kind__in=DATE_ADVICE,
        po_line__isnull=False,
        to_date__isnull=False,
        po_line__status=PurchaseOrderLine.Status.OPEN,
        po_line__po__status__in=PurchaseOrder.Status.with_supplier(),
        po_line__po__supplier_id__in=automatic.values("supplier_id"),
    ).select_related("po_line")
    if item_ids is not None:
        messages = messages.filter(item_id__in_ids=item_ids)
    pending = [m for m in messages if m.po_line.requested_date != m.to_date]
    return change_request_send(messages=pending) if pending else []
