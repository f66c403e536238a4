"""Net change: the events of the other apps that alter an item's plan ask for it to be replanned.

Stock and work-order events come by the thousand from an MES, so their subscribers take a
fan-out's whole batch (`batch=True`) and ask once per plant for all its items, not once per
event. The requests carry the oldest event's correlation id, the one a net-change run picks
from the requests it merges anyway.
"""

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


def _listed(names: list[str]) -> str:
    shown = ", ".join(names[:3])
    return shown if len(names) <= 3 else f"{shown} and {len(names) - 3} more"


def _request_per_plant(events, *, subject: str, named_by: str) -> None:
    """One request per plant for the items of all its events, e.g. "stock of A, B changed"."""
    by_plant: dict[str, list] = {}
    for event in events:
        by_plant.setdefault(event.data["plant"], []).append(event)
    for plant, plant_events in by_plant.items():
        items = {event.data["item"] for event in plant_events}
        names = sorted({str(event.data[named_by]) for event in plant_events})
        _request(plant, items, f"{subject} {_listed(names)} changed", plant_events[0])


@subscriber("inventory.changed", batch=True)
def replan_after_inventory_change(events) -> None:
    _request_per_plant(events, subject="stock of", named_by="item")


@subscriber("work_order.changed", batch=True)
def replan_after_work_order_change(events) -> None:
    _request_per_plant(events, subject="work order", named_by="number")


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
