"""MRP's advice in the workbench: each run's action messages raised, refreshed or closed.

The key names the condition so it survives replanning: the PO line, work order or firmed
planned order an advice is about, the item's shortage at a plant, or the week an unfirmed
planned order is due (planned order numbers change from run to run). Only rows whose summary
changed go through the services again, so a run that changes little costs little.
"""

from collections.abc import Collection

from planning.exceptions.services import Condition, exception_close, exception_raise_or_refresh
from planning.models import MrpMessage, PlanningException

Kind = MrpMessage.Kind
Severity = PlanningException.Severity
MRP_KINDS = tuple(Kind.values)
SEVERITY = {
    Kind.SHORTAGE: Severity.HIGH,
    Kind.EXPEDITE: Severity.HIGH,
    Kind.LATE_CONFIRMATION: Severity.HIGH,
    Kind.RESCHEDULE_IN: Severity.MEDIUM,
    Kind.RESCHEDULE_OUT: Severity.LOW,
    Kind.CANCEL: Severity.LOW,
}


def condition_key(message: MrpMessage) -> str:
    if message.po_line_id:
        return f"{message.kind}:po_line:{message.po_line_id}"
    if message.work_order_id:
        return f"{message.kind}:work_order:{message.work_order_id}"
    if message.kind == Kind.SHORTAGE:
        return f"shortage:{message.plant_id}:{message.item_id}"
    if message.kind == Kind.EXPEDITE:
        return f"expedite:{message.plant_id}:{message.item_id}:{message.date.isoformat()}"
    # Advice on a firmed planned order (it is supply, like an open order).
    return f"{message.kind}:planned_order:{message.planned_order_id}"


def _condition(message: MrpMessage) -> Condition:
    po_line = message.po_line
    return Condition(
        key=condition_key(message),
        kind=message.kind,
        severity=SEVERITY[message.kind],
        summary=f"{message.item.code} at {message.plant.code}: {message.reason}",
        item=message.item,
        plant=message.plant,
        supplier=po_line.po.supplier if po_line is not None else None,
        po_line=po_line,
        work_order=message.work_order,
        detail={
            "mrp_message": message.pk,
            "run": message.run_id,
            "date": message.date.isoformat(),
            "to_date": message.to_date.isoformat() if message.to_date else None,
            "quantity": str(message.quantity),
            "planned_order": message.planned_order.number if message.planned_order_id else None,
        },
    )


def mrp_exceptions_sync(*, plant, item_ids: Collection[int] | None = None, run_id=None) -> dict:
    """Bring the workbench in line with the stored plan of the items (all of the plant's)."""
    messages = MrpMessage.objects.filter(plant=plant).select_related(
        "item__planner", "plant", "po_line__po__supplier", "work_order", "planned_order"
    )
    open_rows = PlanningException.objects.open().filter(plant=plant, kind__in=MRP_KINDS)
    if item_ids is not None:
        messages = messages.filter(item_id__in=item_ids)
        open_rows = open_rows.filter(item_id__in=item_ids)
    conditions: dict[str, Condition] = {}
    for message in messages.order_by("date", "id"):
        conditions.setdefault(condition_key(message), _condition(message))
    current = {key: (summary, severity) for key, summary, severity in open_rows.values_list(
        "key", "summary", "severity"
    )}  # fmt: skip
    counts = {"raised": 0, "refreshed": 0, "closed": 0, "unchanged": 0}
    for key, condition in conditions.items():
        if current.get(key) == (condition.summary[:300], int(condition.severity)):
            counts["unchanged"] += 1
            continue
        _, outcome = exception_raise_or_refresh(condition)
        counts["refreshed" if outcome == "refreshed" else "raised"] += 1
    reason = f"auto-closed: MRP run {run_id} no longer advises it" if run_id else "auto-closed"
    for key in current.keys() - conditions.keys():
        exception_close(key=key, reason=reason)
        counts["closed"] += 1
    return counts
