"""Net change: the events of the other apps that alter an item's plan ask for it to be replanned."""

from integrations.outbox import subscriber
from masterdata.models import Item, Plant
from planning.models import ForecastLine, ForecastVersion
from planning.runs import net_change_request
from procurement.models import PurchaseOrder


def _request(plant_code: str, item_codes, reason: str, event) -> int:
    plant = Plant.objects.filter(code=plant_code).first()
    if plant is None:
        return 0
    item_ids = Item.objects.filter(code__in=set(item_codes)).values_list("id", flat=True)
    return net_change_request(
        plant=plant, item_ids=list(item_ids), reason=reason, correlation_id=event.correlation_id
    )


@subscriber("inventory.changed")
def replan_after_inventory_change(event) -> None:
    data = event.data
    _request(data["plant"], [data["item"]], f"stock of {data['item']} changed", event)


@subscriber("work_order.changed")
def replan_after_work_order_change(event) -> None:
    data = event.data
    _request(data["plant"], [data["item"]], f"work order {data['number']} changed", event)


@subscriber("purchase_order.confirmed", "purchase_order.issued", "purchase_order.change_requested")
def replan_after_purchase_order_change(event) -> None:
    po = PurchaseOrder.objects.select_related("plant").filter(number=event.data["po"]).first()
    if po is None:
        return
    items = po.lines.values_list("item__code", flat=True)
    _request(po.plant.code, items, f"PO {po.number} {event.event_type.split('.')[1]}", event)


@subscriber("demand_order.changed")
def replan_after_demand_order_change(event) -> None:
    by_plant: dict[str, set[str]] = {}
    for line in event.data.get("lines", []):
        by_plant.setdefault(line["plant"], set()).add(line["item"])
    for plant, items in by_plant.items():
        _request(plant, items, f"demand order {event.data['number']} changed", event)


@subscriber("forecast.approved")
def replan_after_forecast_activation(event) -> None:
    """The new version's items, and those only the version it superseded forecast."""
    data = event.data
    items = {line["item"] for line in data.get("lines", [])}
    superseded = (
        ForecastVersion.objects.filter(
            plan=data["plan"], plant__code=data["plant"], status=ForecastVersion.Status.SUPERSEDED
        )
        .order_by("-superseded_at")
        .first()
    )
    if superseded is not None:
        items |= set(
            ForecastLine.objects.filter(version=superseded).values_list("item__code", flat=True)
        )
    _request(data["plant"], items, f"forecast {data['plan']} {data['version']} active", event)


@subscriber("item.changed", "bom.changed", "sourcing_rule.changed")
def replan_after_master_change(event) -> None:
    data = event.data
    for plant in data.get("plants", []):
        _request(
            plant, [data["item"]], f"{event.event_type.split('.')[0]} {data['item']} changed", event
        )
