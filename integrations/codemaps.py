"""External codes → canonical codes, per sending system and domain, before a handler sees data.

A code with no map row passes through unchanged (MESSAGES.md: identity when no map row exists);
the domain handler then resolves it and rejects an unknown code, naming domain and code.
"""

from datetime import date

from integrations.models import CodeMap, ExternalSystem

# Where each inbound type carries codes of each domain; `[]` steps into every element of a list.
CODE_FIELDS: dict[str, list[tuple[str, str]]] = {
    "item.upserted": [
        ("code", "item"),
        ("base_uom", "uom"),
        ("conversions[].uom", "uom"),
        ("plants[].plant", "plant"),
    ],
    "supplier.upserted": [("code", "supplier")],
    "sourcing_rule.upserted": [("item", "item"), ("supplier", "supplier"), ("plant", "plant")],
    "bom.upserted": [
        ("parent", "item"),
        ("plant", "plant"),
        ("components[].item", "item"),
        ("components[].uom", "uom"),
    ],
    "forecast.published": [("plant", "plant"), ("lines[].item", "item"), ("lines[].uom", "uom")],
    "demand_order.upserted": [
        ("lines[].item", "item"),
        ("lines[].plant", "plant"),
        ("lines[].uom", "uom"),
    ],
    "purchase_order.upserted": [
        ("supplier", "supplier"),
        ("plant", "plant"),
        ("lines[].item", "item"),
        ("lines[].uom", "uom"),
    ],
    "asn.created": [("supplier", "supplier"), ("lines[].uom", "uom")],
    "receipt.posted": [("plant", "plant"), ("lines[].item", "item"), ("lines[].uom", "uom")],
    "inventory.snapshot": [
        ("plant", "plant"),
        ("balances[].item", "item"),
        ("balances[].uom", "uom"),
    ],
    "inventory.adjusted": [("plant", "plant"), ("item", "item"), ("uom", "uom")],
    "work_order.upserted": [("item", "item"), ("plant", "plant"), ("uom", "uom")],
    "production.consumed": [("item", "item"), ("uom", "uom")],
    "production.completed": [("uom", "uom")],
    "production.scrapped": [("item", "item"), ("uom", "uom")],
    "quality.hold_placed": [("plant", "plant"), ("item", "item"), ("uom", "uom")],
    "quality.hold_released": [("plant", "plant"), ("item", "item"), ("uom", "uom")],
}


def code_map_table(system: ExternalSystem, on_day: date) -> dict[tuple[str, str], str]:
    rows = CodeMap.objects.filter(system=system).effective_on(on_day)
    return {
        (domain, external): canonical
        for domain, external, canonical in rows.values_list(
            "domain", "external_code", "canonical_code"
        )
    }


def apply_code_maps(message_type: str, data: dict, table: dict[tuple[str, str], str]) -> dict:
    """A copy of `data` with every mapped code replaced by its canonical code."""
    fields = CODE_FIELDS.get(message_type, [])
    if not fields or not table:
        return data
    mapped = _deep_copy(data)
    for path, domain in fields:
        _map_path(mapped, path.split("."), domain, table)
    return mapped


def _map_path(node, steps: list[str], domain: str, table) -> None:
    step, rest = steps[0], steps[1:]
    if step.endswith("[]"):
        for element in node.get(step[:-2]) or []:
            if isinstance(element, dict):
                _map_path(element, rest, domain, table)
        return
    if not isinstance(node, dict) or step not in node:
        return
    if rest:
        _map_path(node[step], rest, domain, table)
    elif isinstance(node[step], str):
        node[step] = table.get((domain, node[step]), node[step])


def _deep_copy(value):
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value
