"""A small plant to plan: a bike (make, 1 week) of 2 wheels (buy, 2 weeks, approved supplier)."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from execution.models import InventoryBalance
from masterdata.models import Bom, BomLine, Item
from planning.models import DemandOrder, DemandOrderLine
from tests.factories import (
    ItemFactory,
    ItemPlantFactory,
    PlantFactory,
    SourcingRuleFactory,
    SupplierFactory,
    UnitFactory,
)


def week(n: int) -> date:
    """Monday of the n-th week from this one (the horizon's bucket n)."""
    today = timezone.localdate()
    return today - timedelta(days=today.weekday()) + timedelta(weeks=n)


@dataclass
class Bike:
    plant: object
    bike: Item
    wheel: Item
    supplier: object


def bike_plant(*, wheel_on_hand: str = "5") -> Bike:
    plant = PlantFactory(code="P100")
    each = UnitFactory(code="EA")
    bike = ItemFactory(code="BIKE", base_uom=each, item_type=Item.ItemType.MAKE, low_level_code=0)
    wheel = ItemFactory(code="WHEEL", base_uom=each, item_type=Item.ItemType.BUY, low_level_code=1)
    ItemPlantFactory(item=bike, plant=plant, lead_time_days=7)
    ItemPlantFactory(item=wheel, plant=plant, lead_time_days=14)
    supplier = SupplierFactory(code="RIMS")
    SourcingRuleFactory(item=wheel, supplier=supplier, plant=plant, lead_time_days=14)
    bom = Bom.objects.create(parent=bike, plant=plant, revision="A")
    BomLine.objects.create(bom=bom, component=wheel, quantity=Decimal("2"), uom=each)
    InventoryBalance.objects.create(item=wheel, plant=plant, on_hand=Decimal(wheel_on_hand))
    return Bike(plant, bike, wheel, supplier)


def order(number: str, item: Item, plant, quantity: str, due: date) -> DemandOrderLine:
    header, _ = DemandOrder.objects.get_or_create(
        number=number, defaults={"customer": "Velo AG", "source_system": "ERP"}
    )
    return DemandOrderLine.objects.create(
        order=header,
        line=1,
        item=item,
        plant=plant,
        quantity=Decimal(quantity),
        entered_quantity=Decimal(quantity),
        entered_uom="EA",
        due_date=due,
    )
