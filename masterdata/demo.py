"""A believable manufacturer for demos and benchmarks: deterministic, idempotent, bulk-written.

Items are laid out in BOM levels: finished goods at level 0, assemblies below them, purchased
parts at the bottom. Every make item has a BOM in each plant whose components come from the
levels below it, so low-level codes run from 0 to `levels - 1`.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from integrations.history import acting_as, actor_history_attrs
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
from masterdata.services import low_level_codes_recompute

PLANTS = [
    ("P100", "Rotterdam assembly", "Europe/Amsterdam"),
    ("P200", "Brno components", "Europe/Prague"),
]
UNITS = [
    ("EA", "Each", "count"),
    ("BOX", "Box", "count"),
    ("PAL", "Pallet", "count"),
    ("KG", "Kilogram", "mass"),
    ("G", "Gram", "mass"),
    ("M", "Metre", "length"),
    ("MM", "Millimetre", "length"),
    ("L", "Litre", "volume"),
]
GLOBAL_CONVERSIONS = [("KG", "G", "1000"), ("M", "MM", "1000"), ("PAL", "BOX", "40")]
SUPPLIERS = [
    ("S001", "Acme Fasteners GmbH"),
    ("S002", "Baltic Bearings AB"),
    ("S003", "Castell Castings S.A."),
    ("S004", "Delta Electronics Components Ltd"),
    ("S005", "Elbe Steel Service Center"),
    ("S006", "Fjord Plastics AS"),
    ("S007", "Gdansk Wire & Cable"),
    ("S008", "Helvetic Precision AG"),
    ("S009", "Iberia Rubber Industries"),
    ("S010", "Jura Springs SARL"),
    ("S011", "Kraków Machining Sp. z o.o."),
    ("S012", "Lombardy Motors S.p.A."),
    ("S013", "Moravia Packaging s.r.o."),
    ("S014", "Nordic Batteries Oy"),
    ("S015", "Oder Paints GmbH"),
]
FINISHED = ["E-bike Trekking", "E-bike City", "Cargo bike", "Mountain e-bike", "Folding e-bike"]
VARIANTS = ["S", "M", "L", "XL"]
ASSEMBLIES = [
    "Frame",
    "Drive unit",
    "Wheel",
    "Battery pack",
    "Brake set",
    "Handlebar",
    "Fork",
    "Controller",
]
PARTS = [
    ("Hex bolt M8x30 zinc", "EA"),
    ("Bearing 6202-2RS", "EA"),
    ("Aluminium tube 6061 38mm", "M"),
    ("Cell 21700 5Ah", "EA"),
    ("Brake pad resin", "EA"),
    ("Spoke 2.0mm stainless", "EA"),
    ("Cable housing 5mm", "M"),
    ("Powder coat RAL9005", "KG"),
    ("Rim 29in double wall", "EA"),
    ("Tyre 29x2.2", "EA"),
    ("Chain 11-speed", "EA"),
    ("PCB controller v4", "EA"),
    ("Grip ergonomic", "EA"),
    ("Carton 1600x900", "EA"),
    ("Hydraulic oil", "L"),
]


@dataclass
class SeedReport:
    plants: int = 0
    items: int = 0
    boms: int = 0
    suppliers: int = 0
    sourcing_rules: int = 0


def level_sizes(total: int, levels: int) -> list[int]:
    """How many items per level: few finished goods, more assemblies, most purchased parts."""
    if levels < 2:
        raise ValueError("A demo needs at least two BOM levels.")
    finished = max(1, round(total * 0.08))
    purchased = max(1, round(total * 0.55))
    middle = max(levels - 2, 0)
    rest = max(total - finished - purchased, middle)
    sizes = (
        [finished] + [rest // middle + (1 if i < rest % middle else 0) for i in range(middle)]
        if middle
        else [finished]
    )
    return [*sizes, total - sum(sizes)] if total - sum(sizes) > 0 else [*sizes, 1]


def item_code(level: int, index: int, levels: int) -> str:
    if level == 0:
        return f"FG-{index + 1:05d}"
    if level == levels - 1:
        return f"PRT-{index + 1:05d}"
    return f"ASM{level}-{index + 1:05d}"


def item_description(rng: random.Random, level: int, index: int, levels: int) -> tuple[str, str]:
    if level == 0:
        name = FINISHED[index % len(FINISHED)]
        return f"{name} {400 + 100 * (index % 4)} Wh, size {VARIANTS[index % len(VARIANTS)]}", "EA"
    if level == levels - 1:
        name, uom = PARTS[index % len(PARTS)]
        return f"{name} (spec {index // len(PARTS) + 1})", uom
    return f"{ASSEMBLIES[index % len(ASSEMBLIES)]} assembly L{level} #{index + 1}", "EA"


def seed_masterdata(
    *,
    items: int = 200,
    levels: int = 4,
    seed: int = 2026,
    progress: Callable[[str, int], None] | None = None,
) -> SeedReport:
    """Create the demo masters that are missing; a second run adds nothing."""
    progress = progress or (lambda step, n: None)
    rng = random.Random(seed)
    report = SeedReport()
    with acting_as(system_code="seed_demo"), transaction.atomic():
        plants = _seed_plants(report)
        units = _seed_units()
        progress("plants and units", len(plants) + len(units))
        suppliers = _seed_suppliers(report)
        progress("suppliers", len(suppliers))
        layers = _seed_items(rng, items, levels, units, report)
        progress("items", report.items)
        _seed_item_plants(rng, layers, plants, levels)
        progress("plant parameters", report.items * len(plants))
        _seed_boms(rng, layers, plants, units, report)
        progress("BOMs", report.boms)
        _seed_sourcing(rng, layers[-1], plants, suppliers, report)
        progress("sourcing rules", report.sourcing_rules)
        low_level_codes_recompute()
        progress("low-level codes", 1)
    return report


def _seed_plants(report: SeedReport) -> list[Plant]:
    plants = []
    for code, name, zone in PLANTS:
        plant, created = Plant.objects.get_or_create(
            code=code, defaults={"name": name, "time_zone": zone}
        )
        report.plants += created
        plants.append(plant)
    return plants


def _seed_units() -> dict[str, UnitOfMeasure]:
    units = {}
    for code, name, dimension in UNITS:
        units[code], _ = UnitOfMeasure.objects.get_or_create(
            code=code, defaults={"name": name, "dimension": dimension}
        )
    for source, target, factor in GLOBAL_CONVERSIONS:
        UomConversion.objects.get_or_create(
            item=None,
            from_uom=units[source],
            to_uom=units[target],
            defaults={"factor": Decimal(factor)},
        )
    return units


def _seed_suppliers(report: SeedReport) -> list[Supplier]:
    suppliers = []
    for index, (code, name) in enumerate(SUPPLIERS):
        domain = name.split()[0].lower()
        supplier, created = Supplier.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "status": Supplier.Status.PENDING if index == 13 else Supplier.Status.APPROVED,
                "contact_emails": [f"orders@{domain}.example.com"],
                "ack_sla_hours": 24 if index % 3 == 0 else 48,
            },
        )
        report.suppliers += created
        suppliers.append(supplier)
    return suppliers


def _seed_items(rng, total: int, levels: int, units, report: SeedReport) -> list[list[Item]]:
    existing = set(Item.objects.values_list("code", flat=True))
    wanted: list[list[str]] = []
    new: list[Item] = []
    for level, size in enumerate(level_sizes(total, levels)):
        codes = []
        for index in range(size):
            code = item_code(level, index, levels)
            codes.append(code)
            if code not in existing:
                description, uom = item_description(rng, level, index, levels)
                new.append(
                    Item(
                        code=code,
                        description=description,
                        base_uom=units[uom],
                        item_type=Item.ItemType.BUY if level == levels - 1 else Item.ItemType.MAKE,
                        lifecycle=Item.Lifecycle.ACTIVE,
                    )
                )
        wanted.append(codes)
    bulk_create_with_history(
        new, Item, batch_size=2000, custom_historical_attrs=actor_history_attrs()
    )
    report.items = len(new)
    by_code = {
        item.code: item
        for item in Item.objects.filter(code__in=[c for codes in wanted for c in codes])
    }
    return [[by_code[code] for code in codes] for codes in wanted]


def _seed_item_plants(rng, layers, plants, levels) -> None:
    existing = set(ItemPlant.objects.values_list("item_id", "plant_id"))
    new = []
    for level, layer in enumerate(layers):
        for item in layer:
            for plant in plants:
                if (item.pk, plant.pk) in existing:
                    continue
                rule = (
                    rng.choice(["lot_for_lot", "lot_for_lot", "fixed", "period"])
                    if level
                    else "lot_for_lot"
                )
                new.append(
                    ItemPlant(
                        item=item,
                        plant=plant,
                        lead_time_days=rng.choice([2, 5, 7, 10, 14, 21])
                        if level == levels - 1
                        else rng.choice([1, 3, 5]),
                        safety_stock=Decimal(rng.choice([0, 0, 10, 25, 50, 100])),
                        lot_size_rule=rule,
                        lot_size_quantity=Decimal(rng.choice([50, 100, 250, 500]))
                        if rule == "fixed"
                        else None,
                        lot_size_periods=rng.choice([2, 3, 4]) if rule == "period" else None,
                        min_order_quantity=Decimal(rng.choice([0, 0, 10, 50])),
                        order_multiple=Decimal(rng.choice([0, 0, 5, 10])),
                    )
                )
    bulk_create_with_history(
        new, ItemPlant, batch_size=2000, custom_historical_attrs=actor_history_attrs()
    )


def _seed_boms(rng, layers, plants, units, report: SeedReport) -> None:
    with_bom = set(Bom.objects.values_list("parent_id", "plant_id"))
    boms, pending_lines = [], []
    for level, layer in enumerate(layers[:-1]):
        below = [item for deeper in layers[level + 1 :] for item in deeper]
        next_level = layers[level + 1]
        # Deal the next level out first so every item there feeds some parent, then add extras.
        unused = rng.sample(next_level, len(next_level))
        share = -(-len(next_level) // len(layer))
        for item in layer:
            components = {}
            for pick in unused[:share]:
                components[pick.pk] = pick
            del unused[:share]
            target = min(len(below), max(len(components), rng.randint(2, 5)))
            while len(components) < target:
                pick = rng.choice(next_level if rng.random() < 0.7 else below)
                components[pick.pk] = pick
            for plant in plants:
                if (item.pk, plant.pk) in with_bom:
                    continue
                bom = Bom(parent=item, plant=plant, revision="A")
                boms.append(bom)
                pending_lines.append((bom, list(components.values())))
    bulk_create_with_history(
        boms, Bom, batch_size=2000, custom_historical_attrs=actor_history_attrs()
    )
    lines = []
    for bom, components in pending_lines:
        for component in components:
            lines.append(
                BomLine(
                    bom=bom,
                    component=component,
                    quantity=Decimal(rng.choice([1, 1, 1, 2, 2, 4, 8])),
                    uom_id=component.base_uom_id,
                    scrap_percent=Decimal(rng.choice([0, 0, 0, 1, 2.5])),
                )
            )
    bulk_create_with_history(
        lines, BomLine, batch_size=5000, custom_historical_attrs=actor_history_attrs()
    )
    report.boms = len(boms)


def _seed_sourcing(rng, purchased, plants, suppliers, report: SeedReport) -> None:
    existing = set(SourcingRule.objects.values_list("item_id", "supplier_id", "plant_id"))
    new = []
    for index, item in enumerate(purchased):
        primary = suppliers[index % len(suppliers)]
        sources = [primary]
        if index % 3 == 0:
            sources.append(suppliers[(index + 5) % len(suppliers)])
        for plant in plants:
            for priority, supplier in enumerate(sources, start=1):
                if (item.pk, supplier.pk, plant.pk) in existing:
                    continue
                new.append(
                    SourcingRule(
                        item=item,
                        supplier=supplier,
                        plant=plant,
                        supplier_item_code=f"{supplier.code}-{rng.randint(10000, 99999)}",
                        lead_time_days=rng.choice([5, 7, 10, 14, 21, 28]),
                        min_order_quantity=Decimal(rng.choice([0, 10, 50, 100])),
                        order_multiple=Decimal(rng.choice([0, 5, 10, 25])),
                        unit_price=Decimal(rng.randint(5, 50000)) / 100,
                        currency="EUR",
                        priority=priority,
                    )
                )
    bulk_create_with_history(
        new, SourcingRule, batch_size=2000, custom_historical_attrs=actor_history_attrs()
    )
    report.sourcing_rules = len(new)
