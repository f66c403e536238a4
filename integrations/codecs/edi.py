"""One entry point for an EDI body: X12 or EDIFACT in, canonical messages out.

The caller checks that `sender_id` is the authenticated system, and identifies a message by
(sender, interchange control number, group control number, reference): X12 partners restart
ST02 in each functional group.
"""

from dataclasses import dataclass

from integrations.codecs import edifact, x12
from integrations.codecs.errors import EdiError

X12_CONTENT_TYPE = "application/edi-x12"
EDIFACT_CONTENT_TYPE = "application/edifact"
GENERIC_CONTENT_TYPES = {"", "application/octet-stream", "text/plain", "application/edi"}


@dataclass(frozen=True)
class ParsedMessage:
    message_type: str
    data: dict
    reference: str
    group_control_number: str | None = None


@dataclass(frozen=True)
class ParsedInterchange:
    sender_id: str
    receiver_id: str
    control_number: str
    messages: list[ParsedMessage]
    test: bool = False


def parse_edi(
    raw: bytes | str, content_type: str, *, supplier: str | None = None
) -> ParsedInterchange:
    """Read an X12 or EDIFACT interchange; `supplier` fills the ASN's supplier."""
    media_type = content_type.split(";")[0].strip().lower()
    if media_type == X12_CONTENT_TYPE:
        return _from_x12(raw, supplier)
    if media_type == EDIFACT_CONTENT_TYPE:
        return _from_edifact(raw, supplier)
    if media_type not in GENERIC_CONTENT_TYPES:
        raise EdiError(
            f"content type {content_type!r} is not EDI: send {X12_CONTENT_TYPE} or {EDIFACT_CONTENT_TYPE}"
        )
    start = x12.decode(raw[:64])[:3]
    if start == "ISA":
        return _from_x12(raw, supplier)
    if start in ("UNA", "UNB"):
        return _from_edifact(raw, supplier)
    raise EdiError(
        f"the body starts with {start!r}: neither an X12 interchange (ISA) nor EDIFACT (UNA/UNB)",
        segment="ISA",
        position=1,
    )


def _from_x12(raw: bytes | str, supplier: str | None) -> ParsedInterchange:
    interchange = x12.parse_interchange(raw)
    messages = []
    for group in interchange.groups:
        for transaction_set in group.transaction_sets:
            if transaction_set.code == "855":
                parsed = (
                    "purchase_order.acknowledged",
                    x12.acknowledgement_from_855(transaction_set),
                )
            elif transaction_set.code == "856":
                parsed = ("asn.created", x12.asn_from_856(transaction_set, supplier=supplier))
            else:
                raise EdiError(
                    f"transaction set {transaction_set.code} is not supported: Weft reads 855 and 856",
                    segment="ST",
                    position=transaction_set.position,
                )
            messages.append(
                ParsedMessage(*parsed, transaction_set.control_number, group.control_number)
            )
    return ParsedInterchange(
        sender_id=interchange.sender_id,
        receiver_id=interchange.receiver_id,
        control_number=interchange.control_number,
        messages=messages,
        test=interchange.test,
    )


def _from_edifact(raw: bytes | str, supplier: str | None) -> ParsedInterchange:
    interchange = edifact.parse_interchange(raw)
    messages = []
    for message in interchange.messages:
        if message.message_type == "ORDRSP":
            parsed = ("purchase_order.acknowledged", edifact.acknowledgement_from_ordrsp(message))
        elif message.message_type == "DESADV":
            parsed = ("asn.created", edifact.asn_from_desadv(message, supplier=supplier))
        else:
            raise EdiError(
                f"message {message.message_type} is not supported: Weft reads ORDRSP and DESADV",
                segment="UNH",
                position=message.position,
            )
        messages.append(ParsedMessage(*parsed, message.reference))
    return ParsedInterchange(
        sender_id=interchange.sender_id,
        receiver_id=interchange.receiver_id,
        control_number=interchange.control_reference,
        messages=messages,
        test=interchange.test,
    )
