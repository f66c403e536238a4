"""Every write to master data. Callers pass canonical codes; writers are system codes or `weft`."""

from datetime import date
from decimal import Decimal

from django.db import transaction

from integrations.errors import ApplicationError
from integrations.outbox import emit
from integrations.ownership import WEFT, ownership_check
from masterdata.boms import find_cycle, low_level_codes
from masterdata.models import (
    Bom,
    BomLine,
    Item,
    ItemPlant,
    Plant,
    SourcingRule,
    Supplier,
    UnitOfMeasure,
    UomConversion,
)


def resolve(model, code: str, field: str):
    """The row with this canonical code, or an error naming the field and the unknown code."""
    row = model.objects.filter(code=code).first()
    if row is None:
        label = model._meta.verbose_name
        raise ApplicationError(f"Unknown {label} '{code}'.", {"field": field, "value": code})
    return row


def _assign(instance, values: dict) -> bool:
    """Set changed attributes; True when anything differs (so no-op upserts write no history)."""
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


def _upsert(model, lookup: dict, values: dict):
    """Create or change the row; returns it and whether anything was written."""
    instance = model.objects.select_for_update().filter(**lookup).first()
    if instance is None:
        return model.objects.create(**lookup, **values), True
    if _assign(instance, values):
        instance.save()
        return instance, True
    return instance, False


def _planning_changed(event_type: str, item: Item, plants: list[str]) -> None:
    """Tell planning that an item's plan at these plants depends on changed master data."""
    if plants:
        emit(
            event_type,
            {"item": item.code, "plants": sorted(set(plants))},
            key=f"item:{item.code}",
        )


@transaction.atomic
def plant_upsert(*, code: str, name: str, time_zone: str = "UTC") -> Plant:
    """Create or rename a plant; plants are Weft's own master."""
    plant, _ = _upsert(Plant, {"code": code}, {"name": name, "time_zone": time_zone})
    return plant


@transaction.atomic
def unit_upsert(*, code: str, name: str, dimension: str) -> UnitOfMeasure:
    """Create or change a unit of measure."""
    unit, _ = _upsert(UnitOfMeasure, {"code": code}, {"name": name, "dimension": dimension})
    return unit


@transaction.atomic
def conversion_upsert(
    *, from_uom: str, to_uom: str, factor: Decimal, item: Item | None = None
) -> UomConversion:
    """Record `1 from_uom = factor × to_uom`, for one item or globally."""
    if factor <= 0:
        raise ApplicationError(
            "A conversion factor must be positive.", {"field": "factor", "value": str(factor)}
        )
    if from_uom == to_uom:
        raise ApplicationError(
            "A conversion needs two different units.", {"field": "to_uom", "value": to_uom}
        )
    source = resolve(UnitOfMeasure, from_uom, "from_uom")
    target = resolve(UnitOfMeasure, to_uom, "to_uom")
    conversion, _ = _upsert(
        UomConversion, {"item": item, "from_uom": source, "to_uom": target}, {"factor": factor}
    )
    return conversion


@transaction.atomic
def item_upsert(
    *,
    code: str,
    description: str,
    base_uom: str,
    item_type: str,
    lifecycle: str = Item.Lifecycle.ACTIVE,
    conversions: list[dict] | None = None,
    plants: list[dict] | None = None,
    writer: str = WEFT,
) -> Item:
    """Create or change an item; `conversions` replaces its own, `plants` upserts the listed plants.

    Only the item's system of record may write it.
    """
    ownership_check(object_type="item", writer=writer)
    unit = resolve(UnitOfMeasure, base_uom, "base_uom")
    item, item_changed = _upsert(
        Item,
        {"code": code},
        {
            "description": description,
            "base_uom": unit,
            "item_type": item_type,
            "lifecycle": lifecycle,
        },
    )
    if conversions is not None:
        _replace_item_conversions(item, conversions)
    changed_plants = []
    for index, params in enumerate(plants or []):
        row, changed = _item_plant_upsert(item, params, f"plants[{index}]")
        if changed:
            changed_plants.append(row.plant.code)
    if item_changed:
        changed_plants += list(item.plants.values_list("plant__code", flat=True))
    _planning_changed("item.changed", item, changed_plants)
    return item


def _replace_item_conversions(item: Item, conversions: list[dict]) -> None:
    kept = set()
    for index, row in enumerate(conversions):
        unit = resolve(UnitOfMeasure, row["uom"], f"conversions[{index}].uom")
        if unit.pk == item.base_uom_id:
            raise ApplicationError(
                f"conversions[{index}] converts the base unit {unit.code} to itself.",
                {"field": f"conversions[{index}].uom", "value": unit.code},
            )
        factor = Decimal(row["factor"])
        if factor <= 0:
            raise ApplicationError(
                "A conversion factor must be positive.",
                {"field": f"conversions[{index}].factor", "value": str(row["factor"])},
            )
        conversion, _ = _upsert(
            UomConversion,
            {"item": item, "from_uom": unit, "to_uom": item.base_uom},
            {"factor": factor},
        )
        kept.add(conversion.pk)
    for stale in item.conversions.exclude(pk__in=kept):
        stale.delete()


def _item_plant_upsert(item: Item, params: dict, field: str) -> tuple[ItemPlant, bool]:
    plant = resolve(Plant, params["plant"], f"{field}.plant")
    rule = params.get("lot_size_rule", ItemPlant.LotSizeRule.LOT_FOR_LOT)
    values = {
        "lead_time_days": params.get("lead_time_days", 0),
        "safety_stock": Decimal(params.get("safety_stock", 0)),
        "lot_size_rule": rule,
        "lot_size_quantity": _optional_decimal(params.get("lot_size_quantity")),
        "lot_size_periods": params.get("lot_size_periods"),
        "min_order_quantity": Decimal(params.get("min_order_quantity", 0)),
        "order_multiple": Decimal(params.get("order_multiple", 0)),
    }
    if rule == ItemPlant.LotSizeRule.FIXED and not values["lot_size_quantity"]:
        raise ApplicationError(
            "A fixed lot size needs lot_size_quantity above zero.",
            {"field": f"{field}.lot_size_quantity", "value": params.get("lot_size_quantity")},
        )
    if rule == ItemPlant.LotSizeRule.PERIOD and not values["lot_size_periods"]:
        raise ApplicationError(
            "A period lot size needs lot_size_periods above zero.",
            {"field": f"{field}.lot_size_periods", "value": params.get("lot_size_periods")},
        )
    return _upsert(ItemPlant, {"item": item, "plant": plant}, values)


def _optional_decimal(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(value)


@transaction.atomic
def supplier_upsert(
    *,
    code: str,
    name: str,
    status: str = Supplier.Status.PENDING,
    contact_emails: list[str] | None = None,
    ack_sla_hours: int = 48,
    writer: str = WEFT,
) -> Supplier:
    """Create or change a supplier; only the supplier master's system of record may."""
    ownership_check(object_type="supplier", writer=writer)
    supplier, _ = _upsert(
        Supplier,
        {"code": code},
        {
            "name": name,
            "status": status,
            "contact_emails": list(contact_emails or []),
            "ack_sla_hours": ack_sla_hours,
        },
    )
    return supplier


@transaction.atomic
def sourcing_rule_upsert(
    *,
    item: str,
    supplier: str,
    plant: str,
    supplier_item_code: str = "",
    lead_time_days: int = 0,
    min_order_quantity: Decimal = Decimal("0"),
    order_multiple: Decimal = Decimal("0"),
    unit_price: Decimal = Decimal("0"),
    currency: str = "EUR",
    priority: int = 1,
    valid_from: date | None = None,
    valid_to: date | None = None,
    writer: str = WEFT,
) -> SourcingRule:
    """Approve a supplier for an item at a plant with its terms; one rule per item, supplier, plant."""
    ownership_check(object_type="sourcing_rule", writer=writer)
    if valid_from and valid_to and valid_to < valid_from:
        raise ApplicationError(
            f"valid_to {valid_to} is before valid_from {valid_from}.",
            {"field": "valid_to", "value": valid_to.isoformat()},
        )
    rule, changed = _upsert(
        SourcingRule,
        {
            "item": resolve(Item, item, "item"),
            "supplier": resolve(Supplier, supplier, "supplier"),
            "plant": resolve(Plant, plant, "plant"),
        },
        {
            "supplier_item_code": supplier_item_code,
            "lead_time_days": lead_time_days,
            "min_order_quantity": Decimal(min_order_quantity),
            "order_multiple": Decimal(order_multiple),
            "unit_price": Decimal(unit_price),
            "currency": currency,
            "priority": priority,
            "valid_from": valid_from,
            "valid_to": valid_to,
        },
    )
    if changed:
        _planning_changed("sourcing_rule.changed", rule.item, [rule.plant.code])
    return rule


@transaction.atomic
def bom_upsert(
    *,
    parent: str,
    plant: str,
    revision: str,
    components: list[dict],
    effective_from: date | None = None,
    effective_to: date | None = None,
    writer: str = WEFT,
) -> Bom:
    """Create or replace a BOM revision; refuse a cycle, naming its path; recompute low-level codes."""
    ownership_check(object_type="bom", writer=writer)
    parent_item = resolve(Item, parent, "parent")
    plant_row = resolve(Plant, plant, "plant")
    if effective_from and effective_to and effective_to < effective_from:
        raise ApplicationError(
            f"effective_to {effective_to} is before effective_from {effective_from}.",
            {"field": "effective_to", "value": effective_to.isoformat()},
        )
    if not components:
        raise ApplicationError(
            "A BOM needs at least one component.", {"field": "components", "value": []}
        )
    lines = []
    seen: dict[int, int] = {}
    for index, row in enumerate(components):
        component = resolve(Item, row["item"], f"components[{index}].item")
        if component.pk in seen:
            raise ApplicationError(
                f"Component {component.code} is listed twice (components[{seen[component.pk]}] and [{index}]).",
                {"field": f"components[{index}].item", "value": component.code},
            )
        seen[component.pk] = index
        quantity = Decimal(row["quantity"])
        if quantity <= 0:
            raise ApplicationError(
                "A component quantity must be above zero.",
                {"field": f"components[{index}].quantity", "value": str(row["quantity"])},
            )
        scrap = Decimal(row.get("scrap_percent") or 0)
        if not 0 <= scrap < 100:
            raise ApplicationError(
                "scrap_percent must be at least 0 and below 100.",
                {
                    "field": f"components[{index}].scrap_percent",
                    "value": str(row.get("scrap_percent")),
                },
            )
        unit = resolve(
            UnitOfMeasure, row.get("uom") or component.base_uom.code, f"components[{index}].uom"
        )
        lines.append(BomLine(component=component, quantity=quantity, uom=unit, scrap_percent=scrap))

    _refuse_cycle(parent_item, [line.component_id for line in lines])
    bom, _ = _upsert(
        Bom,
        {"parent": parent_item, "plant": plant_row, "revision": revision},
        {"effective_from": effective_from, "effective_to": effective_to},
    )
    _replace_bom_lines(bom, lines)
    low_level_codes_recompute()
    _planning_changed("bom.changed", parent_item, [plant_row.code])
    return bom


def _refuse_cycle(parent: Item, component_ids: list[int]) -> None:
    edges = BomLine.objects.values_list("bom__parent_id", "component_id")
    path = find_cycle(edges, parent.pk, component_ids)
    if path:
        codes = dict(Item.objects.filter(pk__in=set(path)).values_list("pk", "code"))
        named = " → ".join(codes[pk] for pk in path)
        raise ApplicationError(
            f"This BOM would create a cycle: {named}.",
            {"field": "components", "value": [codes[pk] for pk in path]},
        )


def _replace_bom_lines(bom: Bom, lines: list[BomLine]) -> None:
    existing = {line.component_id: line for line in bom.lines.all()}
    wanted = {line.component_id for line in lines}
    for component_id, line in existing.items():
        if component_id not in wanted:
            line.delete()
    for line in lines:
        current = existing.get(line.component_id)
        if current is None:
            line.bom = bom
            line.save()
        elif _assign(
            current,
            {"quantity": line.quantity, "uom_id": line.uom_id, "scrap_percent": line.scrap_percent},
        ):
            current.save()


def low_level_codes_recompute() -> int:
    """Set every item's low-level code from the whole BOM graph; return how many changed."""
    levels = low_level_codes(BomLine.objects.values_list("bom__parent_id", "component_id"))
    changed = []
    for item_id, current in Item.objects.values_list("pk", "low_level_code"):
        wanted = levels.get(item_id, 0)
        if wanted != current:
            changed.append(Item(pk=item_id, low_level_code=wanted))
    # low_level_code is derived and excluded from item history, so a plain bulk update is right.
    Item.objects.bulk_update(changed, ["low_level_code"], batch_size=1000)
    return len(changed)
