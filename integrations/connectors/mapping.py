"""Declarative mappings: a JMESPath expression per version, tested on a sample before it is used.

A mapping turns one partner record into the `data` of a canonical message (inbound) or the
`data` of a canonical event into a partner's request body (outbound). The expression is
JMESPath (https://jmespath.org), usually a multiselect hash:

    {code: material, description: text, base_uom: unit,
     item_type: procurement_type == 'E' && 'make' || 'buy',
     plants: plants[].{plant: plant, lead_time_days: lead_time_days}}

Keys whose value comes out null are left out, so a field the partner does not send is absent
rather than null. A version is tested on its sample payload (inbound: the result must be valid
data of the message type's schema; outbound: it must be an object) and only a version whose
current expression and sample passed can be activated. An activated version is never edited:
a change is a new version, and every version keeps its history.
"""

from functools import lru_cache

import jmespath
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from jmespath.exceptions import JMESPathError

from integrations.errors import ApplicationError
from integrations.models import Mapping, MappingVersion
from integrations.schemas import INBOUND_TYPES, OUTBOUND_TYPES, data_errors


class MappingFailed(Exception):
    """The expression could not be applied to this payload."""


@lru_cache(maxsize=256)
def compiled(expression: str):
    try:
        return jmespath.compile(expression)
    except JMESPathError as error:
        raise ApplicationError(
            f"The expression is not valid JMESPath: {error}",
            {"field": "expression", "value": expression[:200]},
        ) from error


def without_nulls(value):
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def apply_expression(expression: str, payload) -> dict:
    """The mapped object; MappingFailed when the expression fails or does not give an object."""
    try:
        result = compiled(expression).search(payload)
    except JMESPathError as error:
        raise MappingFailed(f"The mapping failed on this record: {error}") from error
    except ApplicationError as error:
        raise MappingFailed(error.message) from error
    if not isinstance(result, dict):
        raise MappingFailed(
            f"The mapping gave {type(result).__name__ if result is not None else 'null'}, "
            "not an object."
        )
    return without_nulls(result)


def search(path: str, payload):
    """A JMESPath lookup for configuration paths (record id, next cursor); None when absent."""
    try:
        return compiled(path).search(payload)
    except JMESPathError:
        return None


def _check_type(direction: str, message_type: str) -> None:
    known = INBOUND_TYPES if direction == Mapping.Direction.INBOUND else OUTBOUND_TYPES
    if message_type not in known:
        raise ApplicationError(
            f"message_type '{message_type}' is not a canonical {direction} type.",
            {"field": "message_type", "value": message_type},
        )


@transaction.atomic
def mapping_create(*, name: str, direction: str, message_type: str) -> Mapping:
    """Make a mapping; it maps nothing until a tested version is activated."""
    if direction not in Mapping.Direction.values:
        raise ApplicationError(
            f"direction '{direction}' is not one of {', '.join(Mapping.Direction.values)}.",
            {"field": "direction", "value": direction},
        )
    _check_type(direction, message_type)
    return Mapping.objects.create(name=name, direction=direction, message_type=message_type)


@transaction.atomic
def mapping_version_create(*, mapping: Mapping, expression: str, sample_payload) -> MappingVersion:
    """Add the next version of a mapping (not active until tested and activated)."""
    compiled(expression)
    number = (mapping.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    return MappingVersion.objects.create(
        mapping=mapping, number=number, expression=expression, sample_payload=sample_payload
    )


def sample_errors(version: MappingVersion) -> tuple[dict | None, list[dict]]:
    """What the version makes of its sample, and what is wrong with that."""
    try:
        compiled(version.expression)
    except ApplicationError as error:
        return None, [{"field": "expression", "message": error.message}]
    try:
        output = apply_expression(version.expression, version.sample_payload)
    except MappingFailed as error:
        return None, [{"field": "expression", "message": str(error)}]
    mapping = version.mapping
    if mapping.direction == Mapping.Direction.INBOUND:
        errors = data_errors(mapping.message_type, 1, output)
        return output, errors
    return output, []


@transaction.atomic
def mapping_version_test(*, version: MappingVersion) -> MappingVersion:
    """Run the version on its sample and record the outcome; only a pass makes it activatable."""
    version = MappingVersion.objects.select_for_update().get(pk=version.pk)
    output, errors = sample_errors(version)
    version.tested_output = output
    version.test_errors = errors
    version.tested_at = timezone.now()
    version.tested_digest = "" if errors else version.digest()
    version.save(update_fields=["tested_output", "test_errors", "tested_at", "tested_digest"])
    return version


@transaction.atomic
def mapping_version_activate(*, version: MappingVersion) -> Mapping:
    """Make a tested version the one in use; refuse one whose sample did not pass (or was edited)."""
    version = (
        MappingVersion.objects.select_for_update().select_related("mapping").get(pk=version.pk)
    )
    if not version.passed_test():
        first = version.test_errors[0] if version.test_errors else {}
        where = f"{first['field']}: " if first.get("field") else ""
        detail = (
            f"its test failed: {where}{first['message'].rstrip('.')}"
            if first
            else "it was not tested since its last change"
        )
        raise ApplicationError(
            f"{version} cannot be activated: {detail}.",
            {"field": "version", "value": version.number},
        )
    mapping = Mapping.objects.select_for_update().get(pk=version.mapping_id)
    mapping.active_version = version
    mapping.save(update_fields=["active_version", "updated_at"])
    if version.activated_at is None:
        version.activated_at = timezone.now()
        version.save(update_fields=["activated_at"])
    return mapping


def mapping_version_edit_check(*, version: MappingVersion) -> None:
    """An activated version is what past messages were made with: it is never edited."""
    if version.was_activated():
        raise ApplicationError(
            f"{version} was activated; make a new version instead of editing it.",
            {"field": "expression", "value": version.number},
        )
