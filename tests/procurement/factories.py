"""Procurement test data, made through the services so every row is in a state Weft can reach."""

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from integrations.models import ExternalSystem
from masterdata.models import SourcingRule, UomConversion
from procurement import services
from procurement.models import PurchaseOrder, SupplierTolerance
from tests.factories import (
    ExternalSystemFactory,
    ItemFactory,
    PlantFactory,
    SourcingRuleFactory,
    SupplierFactory,
    UnitFactory,
)


class SupplierSystemFactory(ExternalSystemFactory):
    kind = ExternalSystem.Kind.SUPPLIER


class SupplierToleranceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupplierTolerance

    supplier = None
    days_late = 2
    days_early = 3
    quantity_percent = Decimal("5")
    over_delivery_percent = Decimal("5")


def supplier_with_system(code: str, system_code: str, **kwargs):
    system = SupplierSystemFactory(code=system_code)
    return SupplierFactory(code=code, external_system=system, **kwargs)


def sourced_item(code: str, supplier, plant=None, *, price="3.10", supplier_item_code=None):
    """An item bought in EA (and BOX of 10) from the supplier at the plant."""
    each = UnitFactory(code="EA")
    box = UnitFactory(code="BOX", name="Box")
    item = ItemFactory(code=code, base_uom=each)
    UomConversion.objects.get_or_create(
        item=item, from_uom=box, to_uom=each, defaults={"factor": Decimal("10")}
    )
    plant = plant or PlantFactory(code="P100")
    if not SourcingRule.objects.filter(item=item, supplier=supplier, plant=plant).exists():
        SourcingRuleFactory(
            item=item,
            supplier=supplier,
            plant=plant,
            unit_price=Decimal(price),
            supplier_item_code=supplier_item_code or f"{supplier.code}-{code}",
        )
    return item


def in_days(days: int) -> date:
    return timezone.localdate() + timedelta(days=days)


_numbers = iter(range(4500000001, 4600000000))


def draft_po(supplier, *, lines=None, plant="P100", number=None, acting_user=None):
    """A draft PO; `lines` defaults to 40 EA of BRK-1001 due in 20 days, 10 EA of PAD-2002 in 30."""
    PlantFactory(code=plant)
    if lines is None:
        sourced_item("BRK-1001", supplier)
        sourced_item("PAD-2002", supplier, price="9.00")
        lines = [
            {
                "line": 10,
                "item": "BRK-1001",
                "quantity": "40",
                "uom": "EA",
                "requested_date": in_days(20),
            },
            {
                "line": 20,
                "item": "PAD-2002",
                "quantity": "10",
                "uom": "EA",
                "requested_date": in_days(30),
            },
        ]
    return services.purchase_order_create(
        number=number or str(next(_numbers)),
        supplier=supplier.code,
        plant=plant,
        lines=lines,
        acting_user=acting_user,
    )


def issued_po(supplier, **kwargs) -> PurchaseOrder:
    po = draft_po(supplier, **kwargs)
    services.purchase_order_issue(po=po)
    po.refresh_from_db()
    return po


def line_of(po: PurchaseOrder, number: int):
    return po.lines.get(line_number=number)
