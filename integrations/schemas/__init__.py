"""The message contracts of MESSAGES.md as JSON Schemas (draft 2020-12), and their validation.

`envelope.json` describes the envelope, `<type>/v<N>.json` the `data` of one type and version,
and `defs.json` the value types they share (referenced with relative `$ref`). Schemas are read
once, on first use; one validator per schema is built and cached.

Every error is a dict `{"field": "data.lines.0.quantity", "value": ..., "message": "..."}`;
`value` is left out when there is none (a missing field, the whole body).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from integrations.schemas.fast import is_valid

__all__ = [
    "INBOUND_TYPES",
    "OUTBOUND_TYPES",
    "SCHEMA_DIR",
    "UnknownMessageType",
    "UnknownVersion",
    "data_errors",
    "envelope_errors",
    "known_types",
    "message_errors",
]

SCHEMA_DIR = Path(__file__).resolve().parent

#: The types partners send to Weft (MESSAGES.md, "Inbound types").
INBOUND_TYPES = frozenset(
    {
        "item.upserted",
        "supplier.upserted",
        "sourcing_rule.upserted",
        "bom.upserted",
        "forecast.published",
        "demand_order.upserted",
        "purchase_order.upserted",
        "purchase_order.acknowledged",
        "asn.created",
        "shipment.updated",
        "receipt.posted",
        "inventory.snapshot",
        "inventory.adjusted",
        "work_order.upserted",
        "production.consumed",
        "production.completed",
        "production.scrapped",
        "quality.hold_placed",
        "quality.hold_released",
    }
)

#: The types Weft sends (MESSAGES.md, "Outbound types").
OUTBOUND_TYPES = frozenset(
    {
        "forecast.approved",
        "planned_order.released",
        "purchase_order.issued",
        "purchase_order.change_requested",
        "purchase_order.confirmed",
        "inventory.mismatch_detected",
        "exception.raised",
        "exception.resolved",
        "mrp.completed",
    }
)

_VERSION_FILE = re.compile(r"^v([1-9][0-9]*)\.json$")
_MISSING = object()


class UnknownMessageType(ValueError):
    """No schema exists for this message type."""

    def __init__(self, type_: object, known: Collection[str]):
        self.type = type_
        self.known = sorted(known)
        super().__init__(
            f"Unknown message type {type_!r}; known types: {', '.join(self.known) or 'none'}."
        )


class UnknownVersion(ValueError):
    """The message type exists, but not in this version."""

    def __init__(self, type_: str, version: object, known: Collection[int]):
        self.type = type_
        self.version = version
        self.known = sorted(known)
        super().__init__(
            f"Unknown version {version!r} of message type {type_!r}; "
            f"known versions: {', '.join(str(v) for v in self.known)}."
        )


# ---------------------------------------------------------------- loading


def _is_instant(instance: object) -> bool:
    """`date-time` without the optional rfc3339-validator: parseable and with an offset."""
    if not isinstance(instance, str):
        return True
    return datetime.fromisoformat(instance).tzinfo is not None


def _format_checker() -> FormatChecker:
    checker = FormatChecker()
    checker.checks("date-time", raises=ValueError)(_is_instant)
    return checker


_FORMAT_CHECKER = _format_checker()


@cache
def _catalogue() -> tuple[Registry, dict[str, dict[int, str]]]:
    """Every schema file in a registry under its file URI, and the URI of each type's versions."""
    resources = []
    types: dict[str, dict[int, str]] = {}
    for path in sorted(SCHEMA_DIR.rglob("*.json")):
        uri = path.as_uri()
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((uri, DRAFT202012.create_resource(contents)))
        relative = path.relative_to(SCHEMA_DIR).parts
        if len(relative) == 2 and (match := _VERSION_FILE.match(relative[1])):
            types.setdefault(relative[0], {})[int(match[1])] = uri
    return Registry().with_resources(resources).crawl(), types


@cache
def _validator(uri: str) -> Draft202012Validator:
    registry, _ = _catalogue()
    # Referencing the schema by its URI makes its relative `$ref`s resolve against that URI.
    return Draft202012Validator({"$ref": uri}, registry=registry, format_checker=_FORMAT_CHECKER)


def known_types() -> dict[str, list[int]]:
    """Each message type with a schema, and the versions it has (ascending)."""
    _, types = _catalogue()
    return {name: sorted(versions) for name, versions in sorted(types.items())}


# ---------------------------------------------------------------- validation


def envelope_errors(envelope: object) -> list[dict]:
    """Every way `envelope` breaks the envelope schema (not its `data`: see `data_errors`)."""
    path = SCHEMA_DIR / "envelope.json"
    if is_valid(path, envelope):
        return []
    return _errors(_validator(path.as_uri()), envelope, prefix=())


def data_errors(type: str, version: int, data: object) -> list[dict]:
    """Every way `data` breaks the schema of `type` in `version`; fields start with `data.`.

    Raises `UnknownMessageType` or `UnknownVersion` when there is no such schema.
    """
    _, types = _catalogue()
    if not isinstance(type, str) or type not in types:
        raise UnknownMessageType(type, types)
    versions = types[type]
    if isinstance(version, bool) or version not in versions:
        raise UnknownVersion(type, version, versions)
    if is_valid(Path(url2pathname(urlparse(versions[version]).path)), data):
        return []
    return _errors(_validator(versions[version]), data, prefix=("data",))


def message_errors(envelope: object, *, types: Collection[str] | None = None) -> list[dict]:
    """The envelope's errors, then (when its type and version are usable) those of its `data`.

    An unknown type or version is reported as an error on `type` or `version`; `types`, when
    given, narrows the accepted types (e.g. `INBOUND_TYPES` for the inbound endpoint).
    """
    errors = envelope_errors(envelope)
    if any(e["field"] in (None, "type", "version", "data") for e in errors):
        return errors
    type_, version, data = envelope["type"], envelope["version"], envelope["data"]
    if types is not None and type_ not in types:
        accepted = ", ".join(sorted(set(types) & set(known_types()))) or "none"
        message = f"Message type {type_!r} is not accepted here; accepted types: {accepted}."
        errors.append(_entry(("type",), type_, message))
        return _sorted(errors)
    try:
        errors.extend(data_errors(type_, version, data))
    except UnknownMessageType as exc:
        errors.append(_entry(("type",), type_, str(exc)))
    except UnknownVersion as exc:
        errors.append(_entry(("version",), version, str(exc)))
    return _sorted(errors)


# ---------------------------------------------------------------- error messages

_KINDS = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "a list",
    "null": "null",
}
_SCALAR_KEYWORDS = {"type", "pattern", "format", "minLength", "maxLength", "minimum", "maximum"}


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _entry(path: tuple, value: object, message: str) -> dict:
    field = ".".join(str(part) for part in path) or None
    entry: dict[str, Any] = {"field": field}
    if field is not None and value is not _MISSING:
        entry["value"] = value
    entry["message"] = message
    return entry


def _describe(error: ValidationError) -> Iterator[tuple[tuple, object, str]]:
    """(path, offending value, message) for one validation error; some name several fields."""
    path = tuple(error.absolute_path)
    keyword, schema, instance = error.validator, error.schema, error.instance
    schema = schema if isinstance(schema, dict) else {}

    if keyword == "required":
        for name in error.validator_value:
            if isinstance(instance, dict) and name not in instance:
                yield (*path, name), _MISSING, "This field is required."
        return
    if keyword == "additionalProperties" and isinstance(instance, dict):
        known = schema.get("properties", {})
        patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
        for name, value in instance.items():
            if name not in known and not any(p.search(name) for p in patterns):
                yield (*path, name), value, "Unknown field: it is not part of this contract."
        return
    if keyword == "enum":
        choices = ", ".join(str(choice) for choice in error.validator_value)
        yield path, instance, f"Must be one of: {choices}."
        return

    description = schema.get("description")
    scalar = schema.get("type") in ("string", "integer", "number", "boolean")
    if keyword in _SCALAR_KEYWORDS and description and scalar:
        not_kind = f", not {_kind(instance)}" if keyword == "type" else ""
        yield path, instance, f"Must be {description}{not_kind}."
        return
    if keyword == "type":
        expected = error.validator_value
        expected = [expected] if isinstance(expected, str) else expected
        wanted = " or ".join(_KINDS.get(kind, kind) for kind in expected)
        yield path, instance, f"Must be {wanted}, not {_kind(instance)}."
        return
    if keyword == "minItems":
        count = error.validator_value
        message = (
            "Must not be empty: give at least one entry."
            if count == 1
            else f"Must have at least {count} entries."
        )
        yield path, instance, message
        return
    if keyword == "maxItems":
        yield path, instance, f"Must have at most {error.validator_value} entries."
        return
    yield path, instance, error.message


def _sort_key(entry: dict) -> tuple:
    field = entry["field"]
    parts = (
        ()
        if field is None
        else tuple(
            # isdigit() holds for '²' too, which int() refuses: only ASCII digits are list indexes.
            (0, int(part), "") if part.isascii() and part.isdigit() else (1, 0, part)
            for part in field.split(".")
        )
    )
    return (field is not None, parts, entry["message"])


def _sorted(errors: list[dict]) -> list[dict]:
    return sorted(errors, key=_sort_key)


def _errors(validator: Draft202012Validator, instance: object, prefix: tuple) -> list[dict]:
    entries: dict[tuple, dict] = {}
    for error in validator.iter_errors(instance):
        for path, value, message in _describe(error):
            full = (*prefix, *path)
            # A bad date fails both `pattern` and `format` with the same message: keep one.
            entries.setdefault((full, message), _entry(full, value, message))
    return _sorted(list(entries.values()))
