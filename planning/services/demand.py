"""Customer demand orders as the order system sends them: the whole order, upserted by number.

A line the message no longer carries is cancelled, not deleted, so its history stays. Every
upsert that changes demand emits `demand_order.changed` with the item/plant pairs it touched
(old and new ones, cancelled ones too), so net-change MRP replans exactly those.
"""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction

from integrations.errors import ApplicationError
from integrations.outbox import emit
from integrations.ownership import WEFT, ownership_check
from masterdata.models import Item, Plant
from masterdata.units import UnitConverter
from planning.models import DemandOrder, DemandOrderLine
from planning.services.forecasts import quantity_text

Line = DemandOrderLine
CHANGED_EVENT = "demand_order.changed"
SIX_PLACES = Decimal("0.000001")
LIMIT = Decimal(10) ** 12
# What makes a line's demand different for planning.
PLANNED_FIELDS = ("item_id", "plant_id", "quantity", "due_date", "status")


def _bad(field: str, value, message: str) -> ApplicationError:
    return ApplicationError(f"{field}: {message}", {"field": field, "value": value})


def _parsed_lines(lines: list[dict]) -> list[dict]:
    """Each line resolved to ids and base-unit quantities; the first fault refuses the whole order."""
    if not lines:
        raise ApplicationError("A demand order needs at least one line.", {"field": "lines"})
    items = {
        item.code: item
        for item in Item.objects.select_related("base_uom").filter(
            code__in={str(line["item"]) for line in lines}
        )
    }
    plants = {
        plant.code: plant
        for plant in Plant.objects.filter(code__in={str(line["plant"]) for line in lines})
    }
    converter = UnitConverter.load(item_ids=[item.pk for item in items.values()])
    numbers: set[int] = set()
    parsed = []
    for index, line in enumerate(lines):
        at = f"lines.{index}"
        number = line["line"]
        if number in numbers:
            raise _bad(f"{at}.line", number, f"line {number} appears twice in the order.")
        numbers.add(number)
        item = items.get(str(line["item"]))
        if item is None:
            raise _bad(f"{at}.item", line["item"], f"unknown item '{line['item']}'.")
        plant = plants.get(str(line["plant"]))
        if plant is None:
            raise _bad(f"{at}.plant", line["plant"], f"unknown plant '{line['plant']}'.")
        status = line.get("status") or Line.Status.OPEN
        if status not in Line.Status.values:
            raise _bad(
                f"{at}.status", status, f"'{status}' is not one of {', '.join(Line.Status.values)}."
            )
        try:
            entered = Decimal(str(line["quantity"]))
        except (InvalidOperation, ValueError) as error:
            raise _bad(
                f"{at}.quantity", str(line["quantity"]), "must be a decimal number."
            ) from error
        if not entered.is_finite() or entered <= 0:
            shown = quantity_text(entered) if entered.is_finite() else str(entered)
            raise _bad(f"{at}.quantity", shown, f"must be above zero; {shown} was given.")
        uom = str(line["uom"])
        try:
            amount = converter.convert(
                entered,
                item_id=item.pk,
                item_code=item.code,
                from_uom=uom,
                to_uom=item.base_uom.code,
            ).quantize(SIX_PLACES)
        except ApplicationError as error:
            raise _bad(f"{at}.uom", uom, error.message) from error
        if amount <= 0 or amount >= LIMIT:
            raise _bad(f"{at}.quantity", str(line["quantity"]), "is out of range in the base unit.")
        due = line["due_date"]
        if isinstance(due, str):
            try:
                due = date.fromisoformat(due)
            except ValueError as error:
                raise _bad(f"{at}.due_date", due, "must be a date as YYYY-MM-DD.") from error
        parsed.append(
            {
                "line": number,
                "item_id": item.pk,
                "plant_id": plant.pk,
                "quantity": amount,
                "entered_quantity": entered,
                "entered_uom": uom,
                "due_date": due,
                "status": status,
            }
        )
    return parsed


@transaction.atomic
def demand_order_upsert(
    *, number: str, lines: list[dict], customer: str | None = None, writer: str = WEFT
) -> DemandOrder:
    """Create or replace a customer order; lines it no longer carries are cancelled, not deleted."""
    ownership_check(object_type="demand_order", writer=writer)
    parsed = _parsed_lines(lines)
    order = DemandOrder.objects.select_for_update().filter(number=number).first()
    if order is None:
        order = DemandOrder.objects.create(
            number=number, customer=customer or "", source_system=writer
        )
    elif (customer is not None and order.customer != customer) or order.source_system != writer:
        order.customer = customer if customer is not None else order.customer
        order.source_system = writer
        order.save()
    existing = {line.line: line for line in order.lines.select_for_update()}
    touched: set[tuple[int, int]] = set()
    for values in parsed:
        current = existing.pop(values["line"], None)
        if current is None:
            Line.objects.create(order=order, **values)
            if values["status"] == Line.Status.OPEN:
                touched.add((values["item_id"], values["plant_id"]))
            continue
        before = tuple(getattr(current, name) for name in PLANNED_FIELDS)
        changed = [name for name, value in values.items() if getattr(current, name) != value]
        if not changed:
            continue
        for name in changed:
            setattr(current, name, values[name])
        current.save()
        if before != tuple(getattr(current, name) for name in PLANNED_FIELDS):
            touched.add((before[0], before[1]))
            touched.add((current.item_id, current.plant_id))
    for missing in existing.values():
        if missing.status != Line.Status.CANCELLED:
            was_open = missing.status == Line.Status.OPEN
            missing.status = Line.Status.CANCELLED
            missing.save()
            if was_open:
                touched.add((missing.item_id, missing.plant_id))
    if touched:
        _changed(order, touched)
    return order


def _changed(order: DemandOrder, touched: set[tuple[int, int]]) -> None:
    item_ids = {item_id for item_id, _ in touched}
    plant_ids = {plant_id for _, plant_id in touched}
    items = dict(Item.objects.filter(pk__in=item_ids).values_list("pk", "code"))
    plants = dict(Plant.objects.filter(pk__in=plant_ids).values_list("pk", "code"))
    pairs = sorted({(items[item_id], plants[plant_id]) for item_id, plant_id in touched})
    emit(
        CHANGED_EVENT,
        {"number": order.number, "lines": [{"item": i, "plant": p} for i, p in pairs]},
        key=f"demand_order:{order.number}",
    )
