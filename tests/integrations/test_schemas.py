"""The JSON Schemas accept exactly what MESSAGES.md promises, and name every error they find."""

import copy
import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from integrations.schemas import (
    INBOUND_TYPES,
    OUTBOUND_TYPES,
    SCHEMA_DIR,
    UnknownMessageType,
    UnknownVersion,
    data_errors,
    envelope_errors,
    known_types,
    message_errors,
)

MESSAGES_MD = Path(__file__).resolve().parents[2].parent / "shared" / "MESSAGES.md"

# The envelope example of MESSAGES.md, copied as written (its `data` is `{...}` there).
ENVELOPE_EXAMPLE = {
    "type": "...",
    "version": 1,
    "id": "...",
    "source": "ERP-EU",
    "occurred_at": "2026-05-13T10:00:00+00:00",
    "correlation_id": "4b6c...",
    "data": {},
}

PO_OUT = {
    "po": "PO-4500012345",
    "revision": 2,
    "supplier": "SUP-ACME",
    "plant": "P100",
    "currency": "EUR",
    "lines": [
        {
            "line": 1,
            "item": "BRK-1001",
            "supplier_item_code": "AC-77-1001",
            "quantity": "500",
            "uom": "EA",
            "unit_price": "3.75",
            "requested_date": "2026-06-15",
        }
    ],
}
HOLD = {
    "hold_id": "QH-2026-0042",
    "plant": "P100",
    "item": "BRK-1001",
    "quantity": "120",
    "uom": "EA",
    "reason": "Burr on mounting face",
}
EXCEPTION = {
    "key": "late_po:PO-4500012345:1",
    "kind": "late_po",
    "severity": "high",
    "item": "BRK-1001",
    "plant": "P100",
    "supplier": "SUP-ACME",
    "po": "PO-4500012345",
    "summary": "PO-4500012345 line 1 confirmed 9 days after need date",
}
FORECAST = {
    "plan": "SOP-2026-05",
    "version": 3,
    "plant": "P100",
    "bucket": "week",
    "lines": [
        {"item": "BRK-1001", "period_start": "2026-06-01", "quantity": "1200", "uom": "EA"},
        {"item": "BRK-1001", "period_start": "2026-06-08", "quantity": "1150.5", "uom": "EA"},
    ],
}

# One valid `data` per type, every field of MESSAGES.md filled in.
EXAMPLES = {
    "item.upserted": {
        "code": "BRK-1001",
        "description": "Brake caliper bracket, zinc plated",
        "base_uom": "EA",
        "item_type": "make",
        "lifecycle": "active",
        "conversions": [{"uom": "BOX", "factor": "50"}],
        "plants": [
            {
                "plant": "P100",
                "lead_time_days": 5,
                "safety_stock": "200",
                "lot_size_rule": "fixed",
                "lot_size_quantity": "1000",
                "lot_size_periods": 2,
                "min_order_quantity": "100",
                "order_multiple": "50",
            }
        ],
    },
    "supplier.upserted": {
        "code": "SUP-ACME",
        "name": "Acme Castings GmbH",
        "status": "approved",
        "contact_emails": ["orders@acme-castings.example", "asn@acme-castings.example"],
        "ack_sla_hours": 48,
    },
    "sourcing_rule.upserted": {
        "item": "BRK-1001",
        "supplier": "SUP-ACME",
        "plant": "P100",
        "supplier_item_code": "AC-77-1001",
        "lead_time_days": 21,
        "min_order_quantity": "500",
        "order_multiple": "100",
        "unit_price": "3.75",
        "currency": "EUR",
        "priority": 1,
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
    },
    "bom.upserted": {
        "parent": "BRK-1001",
        "plant": "P100",
        "revision": "B",
        "effective_from": "2026-05-01",
        "effective_to": "2027-04-30",
        "components": [
            {"item": "CST-2001", "quantity": "1", "uom": "EA", "scrap_percent": "2.5"},
            {"item": "ZNC-0100", "quantity": "0.035", "uom": "KG"},
        ],
    },
    "forecast.published": FORECAST,
    "demand_order.upserted": {
        "number": "SO-100234",
        "customer": "CUST-OEM-01",
        "lines": [
            {
                "line": 1,
                "item": "BRK-1001",
                "plant": "P100",
                "quantity": "400",
                "uom": "EA",
                "due_date": "2026-06-20",
                "status": "open",
            }
        ],
    },
    "purchase_order.upserted": {
        "number": "PO-4500012345",
        "supplier": "SUP-ACME",
        "plant": "P100",
        "currency": "EUR",
        "revision": 0,
        "lines": [
            {
                "line": 1,
                "item": "CST-2001",
                "quantity": "500",
                "uom": "EA",
                "unit_price": "3.75",
                "requested_date": "2026-06-15",
                "status": "open",
            }
        ],
    },
    "purchase_order.acknowledged": {
        "po": "PO-4500012345",
        "revision": 0,
        "lines": [
            {
                "line": 1,
                "status": "changed",
                "confirmed_quantity": "450",
                "confirmed_date": "2026-06-18",
                "reason": "Capacity on casting line 2",
            }
        ],
    },
    "asn.created": {
        "number": "ASN-880021",
        "supplier": "SUP-ACME",
        "ship_date": "2026-06-12",
        "expected_date": "2026-06-15",
        "carrier": "DHL-FREIGHT",
        "tracking": "JD014600006281234567",
        "lines": [{"po": "PO-4500012345", "line": 1, "quantity": "450", "uom": "EA"}],
    },
    "shipment.updated": {
        "asn": "ASN-880021",
        "tracking": "JD014600006281234567",
        "status": "delayed",
        "expected_date": "2026-06-17",
        "location": "Hub Leipzig",
        "reason": "Customs inspection",
    },
    "receipt.posted": {
        "number": "GR-5000078",
        "plant": "P100",
        "received_at": "2026-06-17T08:42:10+02:00",
        "lines": [
            {"po": "PO-4500012345", "line": 1, "item": "CST-2001", "quantity": "450", "uom": "EA"}
        ],
    },
    "inventory.snapshot": {
        "plant": "P100",
        "as_of": "2026-06-17T00:00:00Z",
        "balances": [
            {"item": "BRK-1001", "on_hand": "1320", "uom": "EA"},
            {"item": "ZNC-0100", "on_hand": "12.75", "uom": "KG"},
        ],
    },
    "inventory.adjusted": {
        "transaction_id": "WMS-ADJ-77812",
        "plant": "P100",
        "item": "BRK-1001",
        "quantity": "-12",
        "uom": "EA",
        "reason": "Cycle count",
    },
    "work_order.upserted": {
        "number": "WO-300551",
        "item": "BRK-1001",
        "plant": "P100",
        "quantity": "1000",
        "uom": "EA",
        "due_date": "2026-06-25",
        "status": "released",
    },
    "production.consumed": {
        "transaction_id": "MES-C-991201",
        "work_order": "WO-300551",
        "item": "CST-2001",
        "quantity": "1020",
        "uom": "EA",
    },
    "production.completed": {
        "transaction_id": "MES-P-991202",
        "work_order": "WO-300551",
        "quantity": "980",
        "uom": "EA",
        "completed_at": "2026-06-24T16:05:00+02:00",
    },
    "production.scrapped": {
        "transaction_id": "MES-S-991203",
        "work_order": "WO-300551",
        "item": "BRK-1001",
        "quantity": "20",
        "uom": "EA",
        "reason": "Porosity",
    },
    "quality.hold_placed": HOLD,
    "quality.hold_released": HOLD,
    "forecast.approved": FORECAST,
    "planned_order.released": {
        "number": "PLN-000731",
        "kind": "buy",
        "item": "CST-2001",
        "plant": "P100",
        "quantity": "500",
        "uom": "EA",
        "release_date": "2026-05-25",
        "due_date": "2026-06-15",
        "supplier": "SUP-ACME",
    },
    "purchase_order.issued": PO_OUT,
    "purchase_order.change_requested": PO_OUT,
    "purchase_order.confirmed": {
        "po": "PO-4500012345",
        "revision": 2,
        "lines": [
            {
                "line": 1,
                "confirmed_quantity": "450",
                "confirmed_date": "2026-06-18",
                "status": "changed",
            }
        ],
    },
    "inventory.mismatch_detected": {
        "plant": "P100",
        "item": "BRK-1001",
        "weft_on_hand": "1320",
        "external_on_hand": "1308",
        "source": "WMS-P100",
        "as_of": "2026-06-17T00:00:00Z",
    },
    "exception.raised": EXCEPTION,
    "exception.resolved": EXCEPTION,
    "mrp.completed": {
        "run": "MRP-20260517-0200",
        "mode": "net_change",
        "items": 1843,
        "planned_orders": 212,
        "exceptions": 17,
        "duration_ms": 48210,
    },
}


def example(type_: str) -> dict:
    return copy.deepcopy(EXAMPLES[type_])


def fields(errors: list[dict]) -> list[str]:
    return [error["field"] for error in errors]


def schema_of(type_: str, version: int = 1) -> dict:
    return json.loads((SCHEMA_DIR / type_ / f"v{version}.json").read_text())


def only_required(instance, schema: dict):
    """The instance cut down to the fields its schema requires, recursively."""
    if isinstance(instance, dict) and "properties" in schema:
        return {
            name: only_required(value, schema["properties"][name])
            for name, value in instance.items()
            if name in schema.get("required", [])
        }
    if isinstance(instance, list) and "items" in schema:
        return [only_required(value, schema["items"]) for value in instance]
    return instance


# ---------------------------------------------------------------- MESSAGES.md, parsed


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        if char in "[{(":
            depth += 1
        elif char in "]})":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current.strip())
    return parts


def _parse_fields(text: str) -> dict:
    """`a, b (x/y), c: [{d, e}]` → {"a": {}, "b": {"enum": [x, y]}, "c": {"items": {...}}}."""
    result = {}
    for part in _split_top_level(text):
        if match := re.fullmatch(r"(\w+): \[\{(.*)\}\]", part):
            result[match[1]] = {"items": _parse_fields(match[2])}
        elif match := re.fullmatch(r"(\w+) \(([^)]*)\)", part):
            note = match[2]
            result[match[1]] = {"signed": True} if note == "signed" else {"enum": note.split("/")}
        else:
            assert re.fullmatch(r"\w+", part), f"cannot read {part!r} in MESSAGES.md"
            result[part] = {}
    return result


def messages_md_types() -> dict[str, tuple[str, dict]]:
    """Each type of the inbound and outbound tables: (direction, its fields as documented)."""
    if not MESSAGES_MD.exists():
        pytest.skip(f"{MESSAGES_MD} is not here")
    types, direction = {}, None
    for line in MESSAGES_MD.read_text().splitlines():
        if line.startswith("## "):
            direction = {"## Inbound types": "in", "## Outbound types": "out"}.get(line.strip())
            continue
        if direction is None or not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        data = re.match(r"`([^`]*)`", cells[2])
        for name in re.findall(r"`([\w.]+)`", cells[0]):
            types[name] = (direction, _parse_fields(data[1]))
    return types


# ---------------------------------------------------------------- the schemas themselves


def test_every_schema_file_is_a_valid_draft_2020_12_schema():
    # Given every schema file
    paths = sorted(SCHEMA_DIR.rglob("*.json"))
    assert len(paths) > 2

    for path in paths:
        # When it is checked against the draft 2020-12 meta-schema
        schema = json.loads(path.read_text())

        # Then it is valid and declares its draft
        Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema", path


def test_every_type_in_messages_md_has_a_v1_schema():
    # Given the inbound and outbound tables of MESSAGES.md
    documented = messages_md_types()

    # When the known schemas are listed
    known = known_types()

    # Then each documented type has version 1, and there is no schema the page does not promise
    assert len(documented) == 28
    assert {name for name, versions in known.items() if 1 in versions} == set(documented)
    assert set(known) == set(documented)


def test_inbound_and_outbound_type_lists_follow_messages_md():
    # Given the types MESSAGES.md documents, by direction
    documented = messages_md_types()

    # When they are compared to the exported lists
    inbound = {name for name, (direction, _) in documented.items() if direction == "in"}
    outbound = {name for name, (direction, _) in documented.items() if direction == "out"}

    # Then they are the same
    assert inbound == INBOUND_TYPES
    assert outbound == OUTBOUND_TYPES


def _compare(type_: str, doc: dict, schema: dict, where: str, problems: list[str]) -> None:
    properties = schema["properties"]
    if set(doc) != set(properties):
        problems.append(f"{type_} {where}: doc {sorted(doc)} != schema {sorted(properties)}")
    for name, spec in doc.items():
        prop = properties.get(name, {})
        if "enum" in spec and prop.get("enum") != spec["enum"]:
            problems.append(f"{type_} {where}{name}: enum {prop.get('enum')} != {spec['enum']}")
        if spec.get("signed") and prop.get("$ref") != "../defs.json#/$defs/signed_decimal":
            problems.append(f"{type_} {where}{name}: should be a signed decimal")
        if "items" in spec:
            _compare(type_, spec["items"], prop["items"], f"{where}{name}[].", problems)


def test_schema_fields_and_enums_are_those_of_messages_md():
    # Given the field lists of MESSAGES.md
    documented = messages_md_types()
    problems: list[str] = []

    # When each schema's properties (and those of its lines) are compared to them
    for type_, (_, doc) in documented.items():
        _compare(type_, doc, schema_of(type_), "", problems)

    # Then the names, enums and signedness agree
    assert problems == []


def test_only_inventory_adjusted_quantity_is_signed():
    # Given every schema file's text
    signed = [
        path.parent.name
        for path in SCHEMA_DIR.glob("*/v*.json")
        if "signed_decimal" in path.read_text()
    ]

    # Then only the one quantity the page calls signed may be negative
    assert signed == ["inventory.adjusted"]


# ---------------------------------------------------------------- valid messages


def test_envelope_example_from_messages_md_validates():
    # Given the envelope example exactly as MESSAGES.md shows it
    envelope = copy.deepcopy(ENVELOPE_EXAMPLE)

    # When it is validated
    errors = envelope_errors(envelope)

    # Then it is accepted
    assert errors == []


def test_examples_cover_every_known_type():
    # Given the known types; Then each has an example in this file
    assert set(EXAMPLES) == set(known_types())


@pytest.mark.parametrize("type_", sorted(EXAMPLES))
def test_full_example_is_accepted(type_):
    # Given an example with every documented field, in a canonical envelope
    envelope = {**ENVELOPE_EXAMPLE, "type": type_, "id": f"{type_}-1", "data": example(type_)}

    # When the envelope and its data are validated
    errors = message_errors(envelope)

    # Then nothing is wrong
    assert errors == []


@pytest.mark.parametrize("type_", sorted(EXAMPLES))
def test_example_with_only_required_fields_is_accepted(type_):
    # Given the example cut down to the fields its schema requires
    data = only_required(example(type_), schema_of(type_))

    # When it is validated
    errors = data_errors(type_, 1, data)

    # Then the optional fields were indeed optional
    assert errors == []


def test_item_upserted_requires_only_code_base_uom_and_item_type():
    # Given an item with only its identifying fields
    data = {"code": "BRK-1001", "base_uom": "EA", "item_type": "buy"}

    # When it is validated; Then it is accepted
    assert data_errors("item.upserted", 1, data) == []

    # And a plant entry needs only its plant
    data["plants"] = [{"plant": "P100"}]
    assert data_errors("item.upserted", 1, data) == []


def test_empty_inventory_snapshot_is_accepted():
    # Given a snapshot of a plant that holds nothing
    data = {"plant": "P100", "as_of": "2026-06-17T00:00:00Z", "balances": []}

    # When it is validated; Then it is accepted
    assert data_errors("inventory.snapshot", 1, data) == []


def test_instants_with_z_fractions_and_offsets_are_accepted():
    # Given instants in each accepted spelling
    for instant in (
        "2026-05-13T10:00:00Z",
        "2026-05-13T10:00:00.125+02:00",
        "2026-05-13T10:00:00-05:00",
    ):
        envelope = {**ENVELOPE_EXAMPLE, "occurred_at": instant}

        # When validated; Then accepted
        assert envelope_errors(envelope) == [], instant


def test_signed_quantity_is_accepted_on_inventory_adjusted():
    # Given a negative adjustment, which the page calls signed
    data = example("inventory.adjusted") | {"quantity": "-3.5"}

    # When validated; Then accepted
    assert data_errors("inventory.adjusted", 1, data) == []


# ---------------------------------------------------------------- errors


def test_float_quantity_is_rejected_naming_the_field():
    # Given a PO whose line quantity is a JSON number, not a decimal string
    data = example("purchase_order.upserted")
    data["lines"][0]["quantity"] = 12.5

    # When it is validated
    errors = data_errors("purchase_order.upserted", 1, data)

    # Then the one error names the field, the value and what was expected
    assert errors == [
        {
            "field": "data.lines.0.quantity",
            "value": 12.5,
            "message": 'Must be a non-negative decimal string such as "12.5", not a number.',
        }
    ]


@pytest.mark.parametrize("quantity", ["-5", "1,5", "1e3", ".5", "5.", " 5", ""])
def test_malformed_or_negative_quantity_is_rejected(quantity):
    # Given a work order with a quantity that is not a non-negative decimal string
    data = example("work_order.upserted") | {"quantity": quantity}

    # When it is validated
    errors = data_errors("work_order.upserted", 1, data)

    # Then the quantity is named
    assert fields(errors) == ["data.quantity"]
    assert errors[0]["value"] == quantity


@pytest.mark.parametrize(
    "day", ["2026-02-30", "13/05/2026", "2026-5-13", "2026-05-13T00:00:00Z", 20260513]
)
def test_bad_date_is_rejected(day):
    # Given a demand line whose due date is not a real YYYY-MM-DD date
    data = example("demand_order.upserted")
    data["lines"][0]["due_date"] = day

    # When it is validated
    errors = data_errors("demand_order.upserted", 1, data)

    # Then the date is named once (pattern and format failures are not repeated)
    assert fields(errors) == ["data.lines.0.due_date"]
    assert errors[0]["value"] == day
    assert "YYYY-MM-DD" in errors[0]["message"]


@pytest.mark.parametrize(
    "instant",
    ["2026-05-13T10:00:00", "2026-05-13 10:00:00+00:00", "2026-05-13", "2026-13-13T10:00:00Z"],
)
def test_instant_without_offset_or_malformed_is_rejected(instant):
    # Given an envelope and a receipt whose instants lack an offset or are not real
    envelope = {**ENVELOPE_EXAMPLE, "occurred_at": instant}
    receipt = example("receipt.posted") | {"received_at": instant}

    # When both are validated
    envelope_result = envelope_errors(envelope)
    receipt_result = data_errors("receipt.posted", 1, receipt)

    # Then each names its instant field, asking for an offset
    assert fields(envelope_result) == ["occurred_at"]
    assert fields(receipt_result) == ["data.received_at"]
    assert "offset" in receipt_result[0]["message"]


def test_missing_required_field_is_named():
    # Given a PO line without its unit of measure
    data = example("purchase_order.upserted")
    del data["lines"][0]["uom"]

    # When it is validated
    errors = data_errors("purchase_order.upserted", 1, data)

    # Then the missing field's own path is named, without a value
    assert errors == [{"field": "data.lines.0.uom", "message": "This field is required."}]


def test_unknown_enum_value_is_named():
    # Given an item of a type that is neither make nor buy
    data = example("item.upserted") | {"item_type": "phantom"}

    # When it is validated
    errors = data_errors("item.upserted", 1, data)

    # Then the field, the value and the allowed values are given
    assert errors == [
        {"field": "data.item_type", "value": "phantom", "message": "Must be one of: make, buy."}
    ]


def test_every_error_is_listed():
    # Given a BOM with two mistakes: no plant, and a component quantity as a number
    data = example("bom.upserted")
    del data["plant"]
    data["bom_components_typo"] = []
    data["components"][1]["quantity"] = 0.035

    # When it is validated
    errors = data_errors("bom.upserted", 1, data)

    # Then each mistake has its own entry, sorted by field
    assert fields(errors) == [
        "data.bom_components_typo",
        "data.components.1.quantity",
        "data.plant",
    ]


def test_two_errors_give_two_entries():
    # Given an ASN missing its supplier and with an unknown-format ship date
    data = example("asn.created")
    del data["supplier"]
    data["ship_date"] = "12.06.2026"

    # When it is validated
    errors = data_errors("asn.created", 1, data)

    # Then both are listed
    assert fields(errors) == ["data.ship_date", "data.supplier"]


def test_errors_across_lines_are_sorted_by_line_number():
    # Given a forecast with a bad quantity on lines 10 and 2
    data = example("forecast.published")
    line = data["lines"][0]
    data["lines"] = [copy.deepcopy(line) for _ in range(11)]
    data["lines"][10]["quantity"] = "x"
    data["lines"][2]["quantity"] = "y"

    # When it is validated
    errors = data_errors("forecast.published", 1, data)

    # Then line 2 comes before line 10
    assert fields(errors) == ["data.lines.2.quantity", "data.lines.10.quantity"]


def test_unknown_field_is_refused():
    # Given a supplier with a field the contract does not have
    data = example("supplier.upserted") | {"vat_id": "DE123456789"}

    # When it is validated
    errors = data_errors("supplier.upserted", 1, data)

    # Then that field is named with its value
    assert fields(errors) == ["data.vat_id"]
    assert errors[0]["value"] == "DE123456789"


@pytest.mark.parametrize(
    ("type_", "lines"),
    [
        ("purchase_order.upserted", "lines"),
        ("purchase_order.acknowledged", "lines"),
        ("asn.created", "lines"),
        ("receipt.posted", "lines"),
        ("forecast.published", "lines"),
        ("bom.upserted", "components"),
    ],
)
def test_empty_lines_are_rejected(type_, lines):
    # Given a message whose lines are an empty list
    data = example(type_) | {lines: []}

    # When it is validated
    errors = data_errors(type_, 1, data)

    # Then the list is named as needing an entry
    assert fields(errors) == [f"data.{lines}"]
    assert "at least one" in errors[0]["message"]


def test_null_and_empty_codes_are_rejected():
    # Given a consumption with an empty work order and a null item
    data = example("production.consumed") | {"work_order": "", "item": None}

    # When it is validated
    errors = data_errors("production.consumed", 1, data)

    # Then both are named
    assert fields(errors) == ["data.item", "data.work_order"]


def test_data_that_is_not_an_object_is_rejected():
    # Given data that is a list
    # When it is validated
    errors = data_errors("mrp.completed", 1, [])

    # Then the data itself is named
    assert errors == [{"field": "data", "value": [], "message": "Must be an object, not a list."}]


def test_envelope_errors_are_all_listed():
    # Given an envelope with no source, an unknown field, a 201-character id,
    # a 65-character correlation id and version 0
    envelope = copy.deepcopy(ENVELOPE_EXAMPLE)
    del envelope["source"]
    envelope |= {"id": "x" * 201, "correlation_id": "c" * 65, "version": 0, "sender": "me"}

    # When it is validated
    errors = envelope_errors(envelope)

    # Then each is named
    assert fields(errors) == ["correlation_id", "id", "sender", "source", "version"]


def test_envelope_that_is_not_an_object_is_rejected():
    # Given a JSON list as the envelope
    # When it is validated
    errors = envelope_errors([ENVELOPE_EXAMPLE])

    # Then the whole body is the problem (no field, no value echoed)
    assert errors == [{"field": None, "message": "Must be an object, not a list."}]


def test_message_errors_check_envelope_and_data_together():
    # Given an envelope missing its id, carrying a work order with a bad status
    envelope = {
        **ENVELOPE_EXAMPLE,
        "type": "work_order.upserted",
        "data": example("work_order.upserted") | {"status": "done"},
    }
    del envelope["id"]

    # When the whole message is validated
    errors = message_errors(envelope)

    # Then both are listed
    assert fields(errors) == ["data.status", "id"]


def test_message_errors_report_unknown_type_version_and_refused_direction():
    # Given envelopes of an unknown type, an unknown version, and an outbound type sent inbound
    unknown_type = {**ENVELOPE_EXAMPLE, "type": "invoice.posted"}
    unknown_version = {**ENVELOPE_EXAMPLE, "type": "asn.created", "version": 7}
    outbound = {**ENVELOPE_EXAMPLE, "type": "mrp.completed", "data": example("mrp.completed")}

    # When they are validated (the last for the inbound endpoint)
    type_errors = message_errors(unknown_type)
    version_errors = message_errors(unknown_version)
    direction_errors = message_errors(outbound, types=INBOUND_TYPES)

    # Then each names the field at fault
    assert fields(type_errors) == ["type"]
    assert "invoice.posted" in type_errors[0]["message"]
    assert fields(version_errors) == ["version"]
    assert fields(direction_errors) == ["type"]
    assert "not accepted here" in direction_errors[0]["message"]
    assert message_errors(outbound, types=OUTBOUND_TYPES) == []


def test_unknown_type_raises_naming_it_and_the_known_ones():
    # Given a type with no schema
    # When its data is validated
    with pytest.raises(UnknownMessageType) as caught:
        data_errors("invoice.posted", 1, {})

    # Then the error is a ValueError naming the type and listing the known ones
    assert isinstance(caught.value, ValueError)
    assert "'invoice.posted'" in str(caught.value)
    assert "item.upserted" in str(caught.value)


@pytest.mark.parametrize("version", [2, 0, "1", True])
def test_unknown_version_raises_naming_it_and_the_known_ones(version):
    # Given a known type in a version that does not exist
    # When its data is validated
    with pytest.raises(UnknownVersion) as caught:
        data_errors("item.upserted", version, example("item.upserted"))

    # Then the error is a ValueError naming the version and the known versions
    assert isinstance(caught.value, ValueError)
    assert repr(version) in str(caught.value)
    assert "known versions: 1" in str(caught.value)


def test_known_types_lists_versions_and_is_a_copy():
    # Given the known types
    known = known_types()

    # When the caller changes what it got
    known["item.upserted"].append(99)

    # Then the next answer is unchanged
    assert known_types()["item.upserted"] == [1]
