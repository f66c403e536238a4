"""A compiled yes/no check of the same schema files, so that valid messages (nearly all of them)
skip the slower validator whose only extra is explaining errors.

The schema files stay the one source: their `$ref`s are inlined and the result compiled with
fastjsonschema, with the same `date-time` rule as the explaining validator. Only "valid" is
trusted from here; an invalid message is always explained by the full validator.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path

import fastjsonschema


def _is_instant(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


@cache
def _document(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _resolve(reference: str, base: Path) -> tuple[dict, Path]:
    file_part, _, pointer = reference.partition("#")
    path = (base.parent / file_part).resolve() if file_part else base
    node = _document(path)
    for step in [s for s in pointer.split("/") if s]:
        node = node[step]
    return node, path


def _inline(node, base: Path):
    if isinstance(node, list):
        return [_inline(element, base) for element in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target, target_base = _resolve(node["$ref"], base)
        resolved = _inline(target, target_base)
        siblings = {
            k: _inline(v, base)
            for k, v in node.items()
            if k not in ("$ref", "description", "title")
        }
        return {"allOf": [resolved, siblings]} if siblings else resolved
    return {k: _inline(v, base) for k, v in node.items() if k not in ("$schema", "$defs", "$id")}


@cache
def fast_validator(path: Path) -> Callable[[object], object] | None:
    """The compiled check for one schema file, or None when it cannot be compiled."""
    schema = _inline(_document(path), path)
    try:
        return fastjsonschema.compile(
            {"$schema": "http://json-schema.org/draft-07/schema#", **schema},
            formats={"date-time": _is_instant},
        )
    except fastjsonschema.JsonSchemaDefinitionException:
        return None


def is_valid(path: Path, instance: object) -> bool:
    check = fast_validator(path)
    if check is None:
        return False
    try:
        check(instance)
    except fastjsonschema.JsonSchemaException:
        return False
    return True
