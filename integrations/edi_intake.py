"""EDI interchanges in: each X12 transaction set or EDIFACT message becomes one canonical envelope.

An interchange is taken whole or refused whole, and a refused one is kept as one rejected
message: one that cannot be read (400 naming the segment), one whose sender (ISA06, UNB
sender) is not the calling system's `edi_sender_id` or, when that is blank, its code (403),
a test interchange (400), or one with a set that breaks the message contract (400 naming the
set). A taken interchange is stored as its envelopes, each keyed by sender, interchange
control number, group control number and set reference, so a resent interchange repeats the
first answers (and a control number reused for other content is answered 409 per set).

`asn.created` requires a supplier, and integrations may not look suppliers up (masterdata is a
higher layer): an ASN names the sending system's code, which the system's supplier code map
(identity when it has no row) turns into the supplier; the procurement handler checks that the
supplier belongs to the sending system.
"""

import logging
from dataclasses import dataclass

from django.db import transaction

from integrations.codecs import EdiError, ParsedInterchange, ParsedMessage, parse_edi
from integrations.errors import ApplicationError
from integrations.inbox import Intake, first_occurred_at, inbound_receive_envelope, inbound_refuse
from integrations.models import ExternalSystem, InboundMessage
from integrations.schemas import message_errors

log = logging.getLogger(__name__)


@dataclass
class EdiIntake:
    """What the partner is told about one interchange."""

    http_status: int
    body: dict


def edi_interchange_receive(
    *,
    system: ExternalSystem,
    raw: bytes,
    content_type: str,
    correlation_id: str | None = None,
) -> EdiIntake:
    """Store every set of a partner's interchange as a canonical message, or keep it refused."""
    try:
        interchange = _interchange_from(system, raw, content_type)
        messages = [
            (parsed, _envelope(system, interchange, parsed)) for parsed in interchange.messages
        ]
        _check_contract(messages)
    except ApplicationError as refusal:
        return _refused(system, raw, refusal)
    intakes = _store(system, [envelope for _, envelope in messages], correlation_id)
    answers = [
        intake.answer() | {"http_status": intake.http_status, "reference": parsed.reference}
        for intake, (parsed, _) in zip(intakes, messages, strict=True)
    ]
    return EdiIntake(
        _overall_status(intakes), {"interchange": interchange.control_number, "messages": answers}
    )


def edi_sender_id(system: ExternalSystem) -> str:
    return system.edi_sender_id or system.code


def _interchange_from(system: ExternalSystem, raw: bytes, content_type: str) -> ParsedInterchange:
    if b"\x00" in raw:
        # PostgreSQL cannot store a NUL in a message, and no EDI syntax uses one.
        raise ApplicationError(f"the interchange contains a NUL byte at byte {raw.index(0)}")
    try:
        interchange = parse_edi(raw, content_type, supplier=system.code)
    except EdiError as error:
        raise ApplicationError(
            str(error), {"segment": error.segment, "position": error.position}
        ) from None
    except ValueError as error:
        # The codecs report unreadable input as ValueError (EdiError is one); a plain one means
        # a check the codec lacks: the partner is still told, and we hear of it.
        log.warning("EDI codec raised a plain ValueError for %s: %s", system.code, error)
        raise ApplicationError(f"the interchange cannot be read: {error}") from None
    if interchange.sender_id != edi_sender_id(system):
        raise ApplicationError(
            f"the interchange sender {interchange.sender_id!r} is not {system.code}'s EDI "
            f"sender id {edi_sender_id(system)!r}",
            status_code=403,
        )
    if interchange.test:
        raise ApplicationError(
            f"interchange {interchange.control_number} is a test interchange; Weft applies production ones"
        )
    if not interchange.messages:
        raise ApplicationError(
            f"interchange {interchange.control_number} carries no transaction set"
        )
    return interchange


def _envelope(
    system: ExternalSystem, interchange: ParsedInterchange, parsed: ParsedMessage
) -> dict:
    key = ":".join(
        [
            "edi",
            interchange.sender_id,
            interchange.control_number,
            parsed.group_control_number or "-",
            parsed.reference,
        ]
    )
    data = _without_blanks(parsed.data)
    revision = data.get("revision")
    if isinstance(revision, str) and revision.isascii() and revision.isdigit():
        # BAK05 and RFF+PP carry the revision as text; the contract counts revisions.
        data["revision"] = int(revision)
    return {
        "type": parsed.message_type,
        "version": 1,
        "id": key,
        "source": system.code,
        "occurred_at": first_occurred_at(system, key),
        "data": data,
    }


def _without_blanks(value):
    """The codecs mark what an interchange left out with None; the contract leaves it out."""
    if isinstance(value, dict):
        return {name: _without_blanks(entry) for name, entry in value.items() if entry is not None}
    if isinstance(value, list):
        return [_without_blanks(entry) for entry in value]
    return value


def _check_contract(messages: list[tuple[ParsedMessage, dict]]) -> None:
    for parsed, envelope in messages:
        errors = message_errors(envelope, types={parsed.message_type})
        if errors:
            # Only X12 has functional groups: a set there opens with ST, an EDIFACT message with UNH.
            segment = "ST" if parsed.group_control_number is not None else "UNH"
            raise ApplicationError(
                f"{segment} {parsed.reference} ({parsed.message_type}) breaks the contract: "
                f"{errors[0]['field']}: {errors[0]['message']}",
                {"segment": segment, "errors": errors},
            )


def _refused(system: ExternalSystem, raw: bytes, refusal: ApplicationError) -> EdiIntake:
    intake = inbound_refuse(
        system=system, raw=raw, channel=InboundMessage.Channel.EDI, reason=refusal.message
    )
    answer = intake.answer()
    body = {
        "id": answer["id"],
        "status": answer["status"],
        "url": answer["url"],
        "detail": refusal.message,
        "segment": refusal.extra.get("segment"),
        "position": refusal.extra.get("position"),
    }
    if refusal.extra.get("errors"):
        body["errors"] = refusal.extra["errors"]
    return EdiIntake(refusal.status_code, body)


@transaction.atomic
def _store(
    system: ExternalSystem, envelopes: list[dict], correlation_id: str | None
) -> list[Intake]:
    return [
        inbound_receive_envelope(
            system=system,
            envelope=envelope,
            channel=InboundMessage.Channel.EDI,
            correlation_id=correlation_id,
        )
        for envelope in envelopes
    ]


def _overall_status(intakes: list[Intake]) -> int:
    statuses = {intake.http_status for intake in intakes}
    if statuses == {200}:
        return 200
    return 202 if max(statuses) < 400 else max(statuses)
