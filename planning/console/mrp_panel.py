"""The MRP sections of an exception's panel: the item's record, the demand the supply serves,
and the planned order to firm."""

from masterdata.models import Item
from planning.models import MrpRecord, PlannedOrder, PlanningException
from planning.pegging import end_demands

WEEKS_SHOWN = 12
ROW_LABELS = (
    "Gross requirements",
    "Scheduled receipts",
    "Projected on hand",
    "Net requirements",
    "Planned receipts",
    "Planned releases",
)


def _supply(exception: PlanningException, planned: PlannedOrder | None) -> tuple[str, str] | None:
    """The supply an advice is about, as pegging names it."""
    if exception.po_line_id:
        line = exception.po_line
        return "purchase_order", f"{line.po.number}/{line.line_number}"
    if exception.work_order_id:
        return "work_order", exception.work_order.number
    if planned is not None:
        return "planned_order", planned.number
    return None


def _planned_order(exception: PlanningException) -> PlannedOrder | None:
    """The planned order an expedite advice is about: the item's, due that week, not yet firm."""
    due = (exception.detail or {}).get("date")
    if exception.kind != PlanningException.Kind.EXPEDITE or not due:
        return None
    return PlannedOrder.objects.filter(
        plant=exception.plant_id,
        item=exception.item_id,
        due_date=due,
        status=PlannedOrder.Status.PLANNED,
    ).first()


def mrp_panel_context(exception: PlanningException) -> dict:
    if not (exception.item_id and exception.plant_id):
        return {}
    record = MrpRecord.objects.filter(item=exception.item_id, plant=exception.plant_id).first()
    grid = None
    if record is not None:
        rows = record.rows
        grid = {
            "weeks": record.bucket_starts[:WEEKS_SHOWN],
            "rows": [
                (label, [round(value, 2) for value in rows[index][:WEEKS_SHOWN]])
                for index, label in enumerate(ROW_LABELS)
            ],
            "safety_stock": record.safety_stock,
            "planned_at": record.planned_at,
        }
    planned = _planned_order(exception)
    supply = _supply(exception, planned)
    pegged = []
    if supply is not None:
        pegged = end_demands(
            plant=exception.plant,
            item_id=exception.item_id,
            supply_kind=supply[0],
            supply_ref=supply[1],
        )
    codes = dict(Item.objects.filter(pk__in={d.item_id for d in pegged}).values_list("id", "code"))
    rows = [{**demand.__dict__, "item_code": codes.get(demand.item_id, "")} for demand in pegged]
    return {"mrp_grid": grid, "mrp_planned_order": planned, "mrp_pegged": rows}
