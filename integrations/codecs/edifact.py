"""EDIFACT reading and writing: ORDRSP and DESADV in, ORDERS out; pydifact tokenizes.

pydifact honours the UNA service string advice and the release character ("?"); we add the
byte order mark, leading whitespace and truncation checks and validate the envelope ourselves.
Segments are the same `Segment` as for X12: element n is 1-based ("BGM03").

Mapping decisions:

- ORDRSP: BGM03 message function 29 (accepted without amendment) accepts, 4 (change)
  changes, 27 (not accepted) rejects the lines that carry no action code of their own.
  LIN02 action code (1229): 5 accepted and 4 no action accept; 3 changed and 6 accepted with
  amendment change; 7 not accepted, 2 deleted and 10 not found reject.
- The purchase order is the header RFF+ON; its revision is RFF+PP (purchase order change
  number, which our ORDERS sends), else "0".
- A line is identified by RFF+ON component 3 (1156, line of the original order), else
  RFF+LI, else LIN01 (our ORDERS numbers LIN01 with the PO line, which suppliers echo).
- Confirmed quantity: QTY+113 (to be delivered), else QTY+21 (ordered); several add up.
  Confirmed date: DTM+69 (promised for), else DTM+2, the latest of several, else the header's.
  Decimal comma and point are both read. A rejected line confirms "0".
- Reason: the line's FTX text; a line that is not simply accepted falls back to the header's.
- DESADV: BGM02 number, DTM+11 ship date, DTM+17 else DTM+132 expected date, TDT05 carrier
  id (else its name), RFF+CN else RFF+BM tracking, and per LIN: QTY+12 with its unit, the
  PO from the line's RFF+ON else the header's.
- Functional groups (UNG/UNE) are refused: no partner sends them and UNZ01 would count them.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from pydifact.control.characters import Characters
from pydifact.exceptions import EDISyntaxError
from pydifact.parser import Parser
from pydifact.segments import Segment as PydifactSegment
from pydifact.serializer import Serializer
from pydifact.tokenizer import Tokenizer

from integrations.codecs.errors import EdiError
from integrations.codecs.x12 import ACCEPTED, CHANGED, REJECTED, Segment, decode


@dataclass(frozen=True)
class Message:
    """UNH..UNT; `segments` holds the body between them."""

    reference: str
    message_type: str
    version: str
    release: str
    segments: list[Segment]
    position: int


@dataclass(frozen=True)
class Interchange:
    sender_id: str
    sender_qualifier: str
    receiver_id: str
    receiver_qualifier: str
    control_reference: str
    prepared_at: datetime | None
    test: bool
    messages: list[Message]


def parse_interchange(raw: bytes | str) -> Interchange:
    """Read one interchange and check UNB/UNZ and every UNH/UNT."""
    return _read_interchange(_segments(decode(raw)))


def _segments(text: str) -> list[Segment]:
    if text.startswith("UNA"):
        if len(text) < 9:
            raise EdiError("UNA service string advice is truncated", segment="UNA")
        characters = Characters.from_str(text[:9])
        text = text[9:].lstrip(" \t\r\n")
    else:
        characters = Characters()
    if not text.startswith("UNB"):
        raise EdiError(
            f"an EDIFACT interchange starts with UNA or UNB, this one with {text[:3]!r}",
            segment="UNB",
            position=1,
        )
    _check_terminated(text, characters)
    segments: list[Segment] = []
    tokens = Tokenizer().get_tokens(text, characters)
    try:
        for tag, *elements in Parser().convert_tokens_to_raw_segments(tokens):
            position = len(segments) + 1
            if not (isinstance(tag, str) and len(tag) == 3 and tag.isalnum() and tag.isupper()):
                raise EdiError(
                    f"{str(tag)[:20]!r} is not a segment tag",
                    segment=str(tag)[:3],
                    position=position,
                )
            segments.append(Segment(tag, elements, position))
    except EDISyntaxError as error:
        after = segments[-1].tag if segments else "UNB"
        raise EdiError(
            f"segment {len(segments) + 1} (after {after}) cannot be read: {error}",
            segment=after,
            position=len(segments) + 1,
        ) from None
    return segments


def _check_terminated(text: str, characters: Characters) -> None:
    """pydifact fails on a missing last terminator without saying where; we name UNZ."""
    body = text.rstrip(" \t\r\n")
    releases = len(body[:-1]) - len(body[:-1].rstrip(characters.escape_character))
    if not body.endswith(characters.segment_terminator) or releases % 2:
        raise EdiError(
            "the interchange ends inside a segment: the input looks truncated (no UNZ)",
            segment="UNZ",
        )


def _read_interchange(segments: list[Segment]) -> Interchange:
    unb = segments[0]
    reference = unb.text(5)
    messages: list[Message] = []
    cursor = 1
    while cursor < len(segments) and segments[cursor].tag == "UNH":
        message, cursor = _read_message(segments, cursor)
        messages.append(message)
    if cursor == len(segments):
        raise EdiError(
            f"interchange {reference} has no UNZ trailer: the input looks truncated",
            segment="UNZ",
            position=cursor + 1,
        )
    unz = segments[cursor]
    if unz.tag == "UNG":
        raise unz.fail("functional groups (UNG/UNE) are not supported: send messages directly")
    if unz.tag != "UNZ":
        raise unz.fail(f"expected UNH or UNZ in interchange {reference}, found {unz.tag}")
    _check_trailer(unz, len(messages), "messages", f"interchange {reference}", reference, "UNB05")
    if cursor + 1 < len(segments):
        extra = segments[cursor + 1]
        raise extra.fail(f"{extra.tag} after UNZ: send one interchange per body")
    return Interchange(
        sender_id=unb.text(2, 1),
        sender_qualifier=unb.text(2, 2),
        receiver_id=unb.text(3, 1),
        receiver_qualifier=unb.text(3, 2),
        control_reference=reference,
        prepared_at=_prepared_at(unb),
        test=unb.text(11) == "1",
        messages=messages,
    )


def _prepared_at(unb: Segment) -> datetime | None:
    day, time = unb.text(4, 1), unb.text(4, 2)
    if not day:
        return None
    try:
        prepared = datetime.strptime(day + time, ("%y%m%d" if len(day) == 6 else "%Y%m%d") + "%H%M")
    except ValueError:
        raise unb.fail(f"UNB04 {day}:{time} is not a date and time") from None
    return prepared.replace(tzinfo=UTC)


def _read_message(segments: list[Segment], cursor: int) -> tuple[Message, int]:
    unh = segments[cursor]
    reference = unh.text(1)
    end = cursor + 1
    while end < len(segments) and segments[end].tag not in ("UNT", "UNH", "UNZ"):
        end += 1
    if end == len(segments) or segments[end].tag != "UNT":
        raise EdiError(f"message {reference} has no UNT trailer", segment="UNT", position=end + 1)
    unt = segments[end]
    _check_trailer(unt, end - cursor + 1, "segments", f"message {reference}", reference, "UNH01")
    message = Message(
        reference=reference,
        message_type=unh.text(2, 1),
        version=unh.text(2, 2),
        release=unh.text(2, 3),
        segments=segments[cursor + 1 : end],
        position=unh.position or cursor + 1,
    )
    return message, end + 1


def _check_trailer(
    trailer: Segment, actual: int, noun: str, owner: str, reference: str, reference_name: str
) -> None:
    declared = trailer.integer(1)
    if declared is None:
        raise trailer.fail(f"{trailer.name(1)} is missing: it counts the {noun} of {owner}")
    if declared != actual:
        raise trailer.fail(f"{trailer.name(1)} says {declared} {noun}, {owner} has {actual}")
    if trailer.text(2) != reference:
        raise trailer.fail(
            f"{trailer.name(2)} {trailer.text(2)!r} does not match {reference_name} {reference!r}"
        )


def _split_loops(
    segments: list[Segment], start_tag: str, closing_tags: tuple[str, ...] = ()
) -> tuple[list[Segment], list[list[Segment]]]:
    """The header before the first `start_tag` or closing tag, then one list per loop.

    A closing tag (CPS, UNS) ends a loop: package and summary segments belong to no line.
    """
    header: list[Segment] = []
    loops: list[list[Segment]] = []
    current: list[Segment] | None = None
    in_detail = False
    for segment in segments:
        if segment.tag == start_tag:
            current = [segment]
            loops.append(current)
            in_detail = True
        elif segment.tag in closing_tags:
            current = None
            in_detail = True
        elif current is not None:
            current.append(segment)
        elif not in_detail:
            header.append(segment)
    return header, loops


def _qualified(segments: list[Segment], tag: str, qualifier: str) -> list[Segment]:
    return [s for s in segments if s.tag == tag and s.text(1, 1) == qualifier]


def _reference(segments: list[Segment], qualifier: str, component: int = 2) -> str | None:
    for rff in _qualified(segments, "RFF", qualifier):
        if rff.text(1, component):
            return rff.text(1, component)
    return None


def _date(segments: list[Segment], *qualifiers: str) -> list[str]:
    """Every DTM date of the first qualifier present, as YYYY-MM-DD."""
    patterns = {"102": "%Y%m%d", "": "%Y%m%d", "203": "%Y%m%d%H%M", "204": "%Y%m%d%H%M%S"}
    for qualifier in qualifiers:
        dates = []
        for dtm in _qualified(segments, "DTM", qualifier):
            if dtm.text(1, 3) not in patterns:
                raise dtm.fail(f"DTM+{qualifier} format {dtm.text(1, 3)!r} is not 102, 203 or 204")
            dates.append(dtm.date(1, 2, pattern=patterns[dtm.text(1, 3)]))
        if found := [d for d in dates if d]:
            return found
    return []


def _free_text(segments: list[Segment]) -> str | None:
    texts = [
        " ".join(c.strip() for c in s.components(4) if c.strip())
        for s in segments
        if s.tag == "FTX"
    ]
    return " ".join(t for t in texts if t) or None


def _sum_quantities(qtys: list[Segment]) -> str | None:
    quantities = [
        q for q in (qty.decimal(1, 2, decimal_comma=True) for qty in qtys) if q is not None
    ]
    if len(quantities) > 1:
        return format(sum(map(Decimal, quantities)), "f")
    return quantities[0] if quantities else None


def _line_number(loop: list[Segment]) -> int:
    for rff in _qualified(loop, "RFF", "ON"):
        if rff.text(1, 3):
            return rff.integer(1, 3)
    for rff in _qualified(loop, "RFF", "LI"):
        if rff.text(1, 2):
            return rff.integer(1, 2)
    lin = loop[0]
    line = lin.integer(1)
    if line is None:
        raise lin.fail("the PO line is missing: send RFF+ON:<po>:<line>, RFF+LI or LIN01")
    return line


def _required(segments: list[Segment], tag: str, message: Message) -> Segment:
    for segment in segments:
        if segment.tag == tag:
            return segment
    raise EdiError(
        f"{message.message_type} {message.reference} has no {tag} segment",
        segment=tag,
        position=message.position,
    )


LINE_STATUS_BY_BGM03 = {"29": ACCEPTED, "4": CHANGED, "27": REJECTED}
LINE_STATUS_BY_ACTION = {
    **dict.fromkeys(["5", "4"], ACCEPTED),
    **dict.fromkeys(["3", "6"], CHANGED),
    **dict.fromkeys(["7", "2", "10"], REJECTED),
}


def acknowledgement_from_ordrsp(message: Message) -> dict:
    """Canonical `purchase_order.acknowledged` data of an ORDRSP."""
    header, lin_loops = _split_loops(message.segments, "LIN", ("UNS",))
    bgm = _required(header, "BGM", message)
    header_status = LINE_STATUS_BY_BGM03.get(bgm.text(3))
    if header_status is None:
        raise bgm.fail(f"BGM03 message function {bgm.text(3)!r} is not 29, 4 or 27")
    po = _reference(header, "ON")
    if po is None:
        raise EdiError(
            f"ORDRSP {message.reference} has no RFF+ON purchase order number",
            segment="RFF",
            position=message.position,
        )
    if not lin_loops:
        raise EdiError(
            f"ORDRSP for PO {po} has no LIN lines: Weft needs a status per line",
            segment="LIN",
            position=message.position,
        )
    return {
        "po": po,
        "revision": _reference(header, "PP") or "0",
        "lines": [_acknowledged_line(loop, header_status, header) for loop in lin_loops],
    }


def _acknowledged_line(loop: list[Segment], header_status: str, header: list[Segment]) -> dict:
    lin = loop[0]
    status = header_status
    if lin.text(2):
        if lin.text(2) not in LINE_STATUS_BY_ACTION:
            raise lin.fail(f"LIN02 action code {lin.text(2)!r} is not one Weft reads")
        status = LINE_STATUS_BY_ACTION[lin.text(2)]
    reason = _free_text(loop) or (None if status == ACCEPTED else _free_text(header))
    line = _line_number(loop)
    if status == REJECTED:
        return {
            "line": line,
            "status": status,
            "confirmed_quantity": "0",
            "confirmed_date": None,
            "reason": reason,
        }
    dates = _date(loop, "69", "2") or _date(header, "69", "2")
    return {
        "line": line,
        "status": status,
        "confirmed_quantity": _sum_quantities(
            _qualified(loop, "QTY", "113") or _qualified(loop, "QTY", "21")
        ),
        "confirmed_date": max(dates) if dates else None,
        "reason": reason,
    }


def asn_from_desadv(message: Message, *, supplier: str | None = None) -> dict:
    """Canonical `asn.created` data of a DESADV; the supplier comes from who sent it."""
    header, lin_loops = _split_loops(message.segments, "LIN", ("CPS", "UNS"))
    bgm = _required(header, "BGM", message)
    number = bgm.text(2, 1)
    if not number:
        raise bgm.fail("BGM02 despatch advice number is missing")
    if not lin_loops:
        raise EdiError(
            f"DESADV {number} has no LIN lines", segment="LIN", position=message.position
        )
    tdt = next((s for s in header if s.tag == "TDT"), None)
    shipped, expected = _date(header, "11"), _date(header, "17", "132")
    return {
        "number": number,
        "supplier": supplier,
        "ship_date": shipped[0] if shipped else None,
        "expected_date": expected[0] if expected else None,
        "carrier": (tdt.text(5, 1) or tdt.text(5, 4) or None) if tdt else None,
        "tracking": _reference(header, "CN") or _reference(header, "BM"),
        "lines": [_despatched_line(loop, header) for loop in lin_loops],
    }


def _despatched_line(loop: list[Segment], header: list[Segment]) -> dict:
    lin = loop[0]
    qty = next(iter(_qualified(loop, "QTY", "12")), None)
    if qty is None or qty.decimal(1, 2, decimal_comma=True) is None or not qty.text(1, 3):
        raise (qty or lin).fail(f"line {lin.text(1)} needs QTY+12 with quantity and unit")
    po = _reference(loop, "ON") or _reference(header, "ON")
    if po is None:
        raise lin.fail(f"line {lin.text(1)} has no RFF+ON purchase order, nor has the header")
    return {
        "po": po,
        "line": _line_number(loop),
        "quantity": qty.decimal(1, 2, decimal_comma=True),
        "uom": qty.text(1, 3),
    }


ORDER_FUNCTION_BY_MESSAGE_TYPE = {
    "purchase_order.issued": "9",
    "purchase_order.change_requested": "5",
}
WRITER_CHARACTERS = Characters(decimal_point=".")


def write_orders(
    data: dict,
    *,
    sender_id: str,
    receiver_id: str,
    control_reference: str,
    message_type: str = "purchase_order.issued",
    sender_qualifier: str = "ZZZ",
    receiver_qualifier: str = "ZZZ",
    prepared_at: datetime | None = None,
    test: bool = False,
    line_breaks: bool = True,
) -> str:
    """One interchange with one ORDERS D96A for `purchase_order.issued` or `.change_requested`."""
    if message_type not in ORDER_FUNCTION_BY_MESSAGE_TYPE:
        raise EdiError(
            f"ORDERS carries purchase_order.issued or .change_requested, not {message_type}"
        )
    if not control_reference or len(control_reference) > 14:
        raise EdiError(
            f"UNB05 control reference {control_reference!r} must have 1 to 14 characters",
            segment="UNB",
        )
    prepared_at = prepared_at or datetime.now(UTC)
    body = _order_segments(data, ORDER_FUNCTION_BY_MESSAGE_TYPE[message_type], prepared_at)
    unb = ["UNB", ["UNOC", "3"], [sender_id, sender_qualifier], [receiver_id, receiver_qualifier]]
    unb += [[prepared_at.strftime("%y%m%d"), prepared_at.strftime("%H%M")], control_reference]
    if test:
        unb += ["", "", "", "", "", "1"]
    segments = [
        unb,
        ["UNH", "1", ["ORDERS", "D", "96A", "UN"]],
        *body,
        ["UNT", str(len(body) + 2), "1"],
        ["UNZ", "1", control_reference],
    ]
    serializer = Serializer(WRITER_CHARACTERS)
    return serializer.serialize(
        [PydifactSegment(*segment) for segment in segments],
        with_una_header=True,
        break_lines=line_breaks,
    )


def _order_segments(data: dict, function: str, prepared_at: datetime) -> list[list]:
    segments: list[list] = [
        ["BGM", "220", data["po"], function],
        ["DTM", ["137", prepared_at.strftime("%Y%m%d"), "102"]],
        ["RFF", ["PP", str(data["revision"])]],
        ["NAD", "ST", [data["plant"], "", "92"]],
        ["NAD", "SU", [data["supplier"], "", "92"]],
        ["CUX", ["2", data["currency"], "9"]],
    ]
    for line in data["lines"]:
        segments.append(["LIN", str(line["line"]), "", [line["item"], "BP"]])
        if line.get("supplier_item_code"):
            segments.append(["PIA", "1", [line["supplier_item_code"], "SA"]])
        segments.append(["QTY", ["21", str(line["quantity"]), line["uom"]]])
        if line.get("requested_date"):
            requested = datetime.strptime(str(line["requested_date"]), "%Y-%m-%d")
            segments.append(["DTM", ["2", requested.strftime("%Y%m%d"), "102"]])
        if line.get("unit_price") is not None:
            segments.append(["PRI", ["AAA", str(line["unit_price"])]])
    segments += [["UNS", "S"], ["CNT", ["2", str(len(data["lines"]))]]]
    return segments
