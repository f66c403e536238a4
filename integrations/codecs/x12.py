"""Our own small X12 reader and writer: 855 and 856 in, 850 out.

Reading takes delimiters from the ISA header (element separator after "ISA", repetition
separator in ISA11 when it is not a letter or digit, as in 00401 where ISA11 is "U",
component separator in ISA16, segment terminator right after it) and tolerates a byte order
mark, leading whitespace, CR/LF after terminators and a newline used as the terminator.

Mapping decisions, for partners and for the planner reading a confirmation:

- Revision of an 855 is BAK05 (release number, which our 850 sends as BEG04), else REF*RV
  (a convention agreed with partners; RV is not a standard revision qualifier), else "0".
- ACK01 line status: IA, AC, AR, IE, SP are accepted; IC, IP, IQ, IB, IS, DR, BP are changed
  (the supplier confirmed something other than what we asked); IR, ID, R1-R4 are rejected.
  Several ACKs on one line (a split schedule) give "changed" unless all agree; their
  quantities add up and the latest date wins, since the line is complete only then.
- A PO1 line without ACK takes BAK02: AC, AD, AE, AK, AP, AT accept it; RD, RF, RJ reject it.
- The confirmed date is ACK05 when ACK04 is 068 (current schedule ship) or 067 (current
  schedule delivery), else the line's DTM*068 or DTM*067, else the header's.
- A rejected line confirms "0"; an accepted line without ACK02 confirms PO102, and None
  means the supplier did not restate a quantity.
- The reason is the line's NTE02, MSG01 and N903 text; a line that is not simply accepted
  falls back to the header's text.
- An 856 ships on DTM*011 when present, else BSN03 (the date the notice was made). Its line
  is the LIN "PL" (purchaser's order line) value, else LIN01, else SN101; its purchase order
  is the PRF01 of the item's own HL or the nearest ancestor HL (order level, under S or P).
- Line numbers are integers: partners pad them ("0010") and we match them to ours.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from integrations.codecs.errors import EdiError

Element = str | list[str]


@dataclass(frozen=True)
class Segment:
    """One segment; element n is 1-based as in "BAK03", a composite is a list of components."""

    tag: str
    elements: list[Element]
    position: int | None = None
    repeats: dict[int, list[Element]] = field(default_factory=dict)

    def element(self, n: int) -> str:
        """Element n as text; a composite gives its first component, a missing one ""."""
        value = self.elements[n - 1] if 0 < n <= len(self.elements) else ""
        return value[0] if isinstance(value, list) else value

    def components(self, n: int) -> list[str]:
        value = self.elements[n - 1] if 0 < n <= len(self.elements) else ""
        return list(value) if isinstance(value, list) else [value]

    def component(self, n: int, m: int) -> str:
        components = self.components(n)
        return components[m - 1] if 0 < m <= len(components) else ""

    def repetitions(self, n: int) -> list[Element]:
        """Every occurrence of a repeated element; element(n) is the first of them."""
        if n in self.repeats:
            return self.repeats[n]
        return [self.elements[n - 1]] if 0 < n <= len(self.elements) else []

    def name(self, n: int, m: int | None = None) -> str:
        return f"{self.tag}{n:02d}" + (f"-{m}" if m else "")

    def text(self, n: int, m: int | None = None) -> str:
        return (self.component(n, m) if m else self.element(n)).strip()

    def decimal(self, n: int, m: int | None = None, *, decimal_comma: bool = False) -> str | None:
        """A quantity as a decimal string ("12.5"), None when the element is empty."""
        value = self.text(n, m)
        if not value:
            return None
        try:
            number = Decimal(value.replace(",", ".") if decimal_comma else value)
        except InvalidOperation:
            raise self.fail(f"{self.name(n, m)} {value!r} is not a number") from None
        if not number.is_finite():
            raise self.fail(f"{self.name(n, m)} {value!r} is not a number")
        return format(number, "f")

    def date(self, n: int, m: int | None = None, *, pattern: str = "%Y%m%d") -> str | None:
        """A date as YYYY-MM-DD, None when the element is empty."""
        value = self.text(n, m)
        if not value:
            return None
        try:
            return datetime.strptime(value, pattern).date().isoformat()
        except ValueError:
            raise self.fail(f"{self.name(n, m)} {value!r} is not a {pattern} date") from None

    def integer(self, n: int, m: int | None = None) -> int | None:
        value = self.text(n, m)
        if not value:
            return None
        if not (value.isascii() and value.isdigit()):
            raise self.fail(f"{self.name(n, m)} {value!r} is not a whole number")
        return int(value)

    def fail(self, message: str) -> EdiError:
        return EdiError(message, segment=self.tag, position=self.position)


@dataclass(frozen=True)
class TransactionSet:
    """ST..SE; `segments` holds the body between them."""

    code: str
    control_number: str
    segments: list[Segment]
    position: int


@dataclass(frozen=True)
class FunctionalGroup:
    functional_id: str
    sender_code: str
    receiver_code: str
    control_number: str
    version: str
    transaction_sets: list[TransactionSet]


@dataclass(frozen=True)
class Interchange:
    sender_id: str
    sender_qualifier: str
    receiver_id: str
    receiver_qualifier: str
    control_number: str
    prepared_at: datetime
    usage_indicator: str
    groups: list[FunctionalGroup]

    @property
    def test(self) -> bool:
        return self.usage_indicator != "P"


@dataclass(frozen=True)
class Delimiters:
    element: str
    repetition: str | None
    component: str
    segment: str


def decode(raw: bytes | str) -> str:
    """Text of an interchange without byte order mark or leading whitespace."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raw = raw.decode("latin-1")
    return raw.lstrip("\ufeff \t\r\n")


def parse_interchange(raw: bytes | str) -> Interchange:
    """Read one interchange and check every envelope count and control number."""
    text = decode(raw)
    delimiters = read_delimiters(text)
    return _read_interchange(_segments(text, delimiters))


def read_delimiters(text: str) -> Delimiters:
    if not text.startswith("ISA"):
        raise EdiError(
            f"an X12 interchange starts with ISA, this one with {text[:3]!r}",
            segment="ISA",
            position=1,
        )
    element = text[3:4]
    if not element or element.isalnum() or element.isspace():
        raise EdiError(
            f"ISA element separator {element!r} is not usable", segment="ISA", position=1
        )
    before_isa16 = 3
    for _ in range(15):
        before_isa16 = text.find(element, before_isa16 + 1)
        if before_isa16 == -1:
            raise EdiError(
                "ISA header is truncated: it has fewer than 16 elements", segment="ISA", position=1
            )
    component, terminator = (
        text[before_isa16 + 1 : before_isa16 + 2],
        text[before_isa16 + 2 : before_isa16 + 3],
    )
    if (
        not terminator
        or terminator.isalnum()
        or terminator == " "
        or component in (element, terminator)
    ):
        raise EdiError(
            "ISA16 must be one component separator followed by the segment terminator",
            segment="ISA",
            position=1,
        )
    isa11 = text[:before_isa16].split(element)[11]
    repetition = isa11 if len(isa11) == 1 and not isa11.isalnum() and isa11 != " " else None
    return Delimiters(
        element=element, repetition=repetition, component=component, segment=terminator
    )


def _segments(text: str, delimiters: Delimiters) -> list[Segment]:
    pieces = text.split(delimiters.segment)
    # Editors drop the last newline of a file, so with a newline terminator the end terminates.
    line_terminated = delimiters.segment in "\r\n"
    if pieces[-1].strip("\r\n \t") and not line_terminated:
        last_tag = pieces[-1].strip().split(delimiters.element)[0][:3]
        raise EdiError(
            f"the last segment is not terminated by {delimiters.segment!r}: the input looks truncated",
            segment=last_tag,
            position=sum(1 for piece in pieces if piece.strip("\r\n \t")),
        )
    segments: list[Segment] = []
    for piece in pieces:
        piece = piece.strip("\r\n")
        if piece.strip():
            segments.append(_segment(piece, delimiters, len(segments) + 1))
    return segments


def _segment(piece: str, delimiters: Delimiters, position: int) -> Segment:
    tag, *raw_elements = piece.split(delimiters.element)
    if not (2 <= len(tag) <= 3 and tag.isalnum() and tag.isupper()):
        raise EdiError(
            f"{piece[:20]!r} does not start with a segment tag", segment=tag[:3], position=position
        )
    if tag == "ISA":
        return Segment(tag, list(raw_elements), position)

    def split(value: str) -> Element:
        return value.split(delimiters.component) if delimiters.component in value else value

    elements: list[Element] = []
    repeats: dict[int, list[Element]] = {}
    for n, value in enumerate(raw_elements, start=1):
        if delimiters.repetition and delimiters.repetition in value:
            repeats[n] = [split(occurrence) for occurrence in value.split(delimiters.repetition)]
            elements.append(repeats[n][0])
        else:
            elements.append(split(value))
    return Segment(tag, elements, position, repeats)


def _read_interchange(segments: list[Segment]) -> Interchange:
    isa = segments[0]
    if len(isa.elements) != 16:
        raise isa.fail(f"ISA has {len(isa.elements)} elements, it needs 16")
    control = isa.text(13)
    groups: list[FunctionalGroup] = []
    cursor = 1
    while cursor < len(segments) and segments[cursor].tag == "GS":
        group, cursor = _read_group(segments, cursor)
        groups.append(group)
    if cursor == len(segments):
        raise EdiError(
            f"interchange {control} has no IEA trailer: the input looks truncated",
            segment="IEA",
            position=cursor + 1,
        )
    iea = segments[cursor]
    if iea.tag != "IEA":
        raise iea.fail(f"expected GS or IEA in interchange {control}, found {iea.tag}")
    _check_count(iea, len(groups), "functional groups", f"interchange {control}")
    _check_control(iea, control, "ISA13")
    if cursor + 1 < len(segments):
        extra = segments[cursor + 1]
        raise extra.fail(f"{extra.tag} after IEA: send one interchange per body")
    return Interchange(
        sender_id=isa.text(6),
        sender_qualifier=isa.text(5),
        receiver_id=isa.text(8),
        receiver_qualifier=isa.text(7),
        control_number=control,
        prepared_at=_isa_prepared_at(isa),
        usage_indicator=isa.text(15),
        groups=groups,
    )


def _isa_prepared_at(isa: Segment) -> datetime:
    try:
        return datetime.strptime(isa.text(9) + isa.text(10), "%y%m%d%H%M").replace(tzinfo=UTC)
    except ValueError:
        raise isa.fail(f"ISA09/ISA10 {isa.text(9)!r} {isa.text(10)!r} is not YYMMDD HHMM") from None


def _read_group(segments: list[Segment], cursor: int) -> tuple[FunctionalGroup, int]:
    gs = segments[cursor]
    control = gs.text(6)
    transaction_sets: list[TransactionSet] = []
    cursor += 1
    while cursor < len(segments) and segments[cursor].tag == "ST":
        transaction_set, cursor = _read_transaction_set(segments, cursor)
        transaction_sets.append(transaction_set)
    if cursor == len(segments) or segments[cursor].tag in ("GS", "IEA"):
        raise EdiError(
            f"functional group {control} has no GE trailer", segment="GE", position=cursor + 1
        )
    ge = segments[cursor]
    if ge.tag != "GE":
        raise ge.fail(f"expected ST or GE in functional group {control}, found {ge.tag}")
    _check_count(ge, len(transaction_sets), "transaction sets", f"functional group {control}")
    _check_control(ge, control, "GS06")
    group = FunctionalGroup(
        functional_id=gs.text(1),
        sender_code=gs.text(2),
        receiver_code=gs.text(3),
        control_number=control,
        version=gs.text(8),
        transaction_sets=transaction_sets,
    )
    return group, cursor + 1


def _read_transaction_set(segments: list[Segment], cursor: int) -> tuple[TransactionSet, int]:
    st = segments[cursor]
    control = st.text(2)
    end = cursor + 1
    while end < len(segments) and segments[end].tag not in ("SE", "ST", "GE", "GS", "IEA"):
        end += 1
    if end == len(segments) or segments[end].tag != "SE":
        raise EdiError(
            f"transaction set {control} has no SE trailer", segment="SE", position=end + 1
        )
    se = segments[end]
    _check_count(se, end - cursor + 1, "segments", f"transaction set {control}")
    _check_control(se, control, "ST02")
    body = segments[cursor + 1 : end]
    return TransactionSet(st.text(1), control, body, st.position or cursor + 1), end + 1


def _check_count(trailer: Segment, actual: int, noun: str, owner: str) -> None:
    declared = trailer.integer(1)
    if declared is None:
        raise trailer.fail(f"{trailer.name(1)} is missing: it counts the {noun} of {owner}")
    if declared != actual:
        raise trailer.fail(f"{trailer.name(1)} says {declared} {noun}, {owner} has {actual}")


def _check_control(trailer: Segment, header_control: str, header_name: str) -> None:
    control = trailer.text(2)
    same = control == header_control or (
        control.isascii()
        and control.isdigit()
        and header_control.isascii()
        and header_control.isdigit()
        and int(control) == int(header_control)
    )
    if not same:
        raise trailer.fail(
            f"{trailer.name(2)} {control!r} does not match {header_name} {header_control!r}"
        )


def _split_loops(
    segments: list[Segment], start_tag: str
) -> tuple[list[Segment], list[list[Segment]]]:
    """Segments before the first `start_tag`, then one list per loop starting with it."""
    header: list[Segment] = []
    loops: list[list[Segment]] = []
    for segment in segments:
        if segment.tag == start_tag:
            loops.append([segment])
        elif loops:
            loops[-1].append(segment)
        else:
            header.append(segment)
    return header, loops


def _first(segments: list[Segment], tag: str, qualifier: str | None = None) -> Segment | None:
    for segment in segments:
        if segment.tag == tag and (qualifier is None or segment.text(1) == qualifier):
            return segment
    return None


def _required(segments: list[Segment], tag: str, transaction_set: TransactionSet) -> Segment:
    segment = _first(segments, tag)
    if segment is None:
        raise EdiError(
            f"transaction set {transaction_set.control_number} has no {tag} segment",
            segment=tag,
            position=transaction_set.position,
        )
    return segment


def _reference(segments: list[Segment], qualifier: str) -> str | None:
    ref = _first(segments, "REF", qualifier)
    return (ref.text(2) or None) if ref else None


def _free_text(segments: list[Segment]) -> str | None:
    texts = {"NTE": 2, "MSG": 1, "N9": 3}
    found = [s.text(texts[s.tag]) for s in segments if s.tag in texts and s.text(texts[s.tag])]
    return " ".join(found) or None


def _sum(quantities: list[str]) -> str:
    return quantities[0] if len(quantities) == 1 else format(sum(map(Decimal, quantities)), "f")


ACCEPTED, CHANGED, REJECTED = "accepted", "changed", "rejected"

LINE_STATUS_BY_ACK01 = {
    **dict.fromkeys(["IA", "AC", "AR", "IE", "SP"], ACCEPTED),
    **dict.fromkeys(["IC", "IP", "IQ", "IB", "IS", "DR", "BP"], CHANGED),
    **dict.fromkeys(["IR", "ID", "R1", "R2", "R3", "R4"], REJECTED),
}
LINE_STATUS_BY_BAK02 = {
    **dict.fromkeys(["AC", "AD", "AE", "AK", "AP", "AT"], ACCEPTED),
    **dict.fromkeys(["RD", "RF", "RJ"], REJECTED),
}
CONFIRMED_DATE_QUALIFIERS = ("068", "067")


def acknowledgement_from_855(transaction_set: TransactionSet) -> dict:
    """Canonical `purchase_order.acknowledged` data of an 855."""
    header, po1_loops = _split_loops(transaction_set.segments, "PO1")
    bak = _required(header, "BAK", transaction_set)
    po = bak.text(3)
    if not po:
        raise bak.fail("BAK03 purchase order number is missing")
    if not po1_loops:
        raise EdiError(
            f"855 for PO {po} has no PO1 lines: Weft needs a status per line",
            segment="PO1",
            position=transaction_set.position,
        )
    return {
        "po": po,
        "revision": bak.text(5) or _reference(header, "RV") or "0",
        "lines": [_acknowledged_line(loop, bak, header) for loop in po1_loops],
    }


def _acknowledged_line(loop: list[Segment], bak: Segment, header: list[Segment]) -> dict:
    po1 = loop[0]
    line = po1.integer(1)
    if line is None:
        raise po1.fail("PO101 line number is missing")
    acks = [s for s in loop if s.tag == "ACK"]
    statuses = []
    for ack in acks:
        if ack.text(1) not in LINE_STATUS_BY_ACK01:
            raise ack.fail(
                f"ACK01 line status {ack.text(1)!r} on line {line} is not one Weft reads"
            )
        statuses.append(LINE_STATUS_BY_ACK01[ack.text(1)])
    if not acks:
        if bak.text(2) not in LINE_STATUS_BY_BAK02:
            raise po1.fail(
                f"line {line} has no ACK and BAK02 {bak.text(2)!r} does not say its status"
            )
        statuses.append(LINE_STATUS_BY_BAK02[bak.text(2)])
    status = statuses[0] if len(set(statuses)) == 1 else CHANGED
    reason = _free_text(loop[1:]) or (None if status == ACCEPTED else _free_text(header))
    if status == REJECTED:
        return {
            "line": line,
            "status": status,
            "confirmed_quantity": "0",
            "confirmed_date": None,
            "reason": reason,
        }
    confirming = [ack for ack in acks if LINE_STATUS_BY_ACK01[ack.text(1)] != REJECTED]
    quantities = [q for q in (ack.decimal(2) for ack in confirming) if q is not None]
    dates = [
        ack.date(5)
        for ack in confirming
        if ack.text(4) in CONFIRMED_DATE_QUALIFIERS and ack.text(5)
    ]
    return {
        "line": line,
        "status": status,
        "confirmed_quantity": _sum(quantities) if quantities else po1.decimal(2),
        "confirmed_date": max(dates) if dates else _confirmed_date(loop) or _confirmed_date(header),
        "reason": reason,
    }


def _confirmed_date(segments: list[Segment]) -> str | None:
    for qualifier in CONFIRMED_DATE_QUALIFIERS:
        dtm = _first(segments, "DTM", qualifier)
        if dtm and dtm.text(2):
            return dtm.date(2)
    return None


def asn_from_856(transaction_set: TransactionSet, *, supplier: str | None = None) -> dict:
    """Canonical `asn.created` data of an 856; the supplier comes from who sent it."""
    header, hl_loops = _split_loops(transaction_set.segments, "HL")
    bsn = _required(header, "BSN", transaction_set)
    number = bsn.text(2)
    if not number:
        raise bsn.fail("BSN02 shipment identification is missing")
    loops_by_id: dict[str, list[Segment]] = {}
    for loop in hl_loops:
        hl = loop[0]
        if not hl.text(1) or hl.text(1) in loops_by_id:
            raise hl.fail(f"HL01 {hl.text(1)!r} is missing or used twice")
        if hl.text(2) and hl.text(2) not in loops_by_id:
            raise hl.fail(f"HL02 parent {hl.text(2)!r} of HL {hl.text(1)} is not an earlier HL")
        loops_by_id[hl.text(1)] = loop
    shipment = header + [s for loop in hl_loops if loop[0].text(3) == "S" for s in loop]
    td5 = _first(shipment, "TD5")
    shipped = _first(shipment, "DTM", "011")
    expected = _first(shipment, "DTM", "017")
    items = [loop for loop in hl_loops if loop[0].text(3) == "I"]
    if not items:
        raise EdiError(
            f"856 {number} has no item (HL*I) level",
            segment="HL",
            position=transaction_set.position,
        )
    return {
        "number": number,
        "supplier": supplier,
        "ship_date": shipped.date(2) if shipped and shipped.text(2) else bsn.date(3),
        "expected_date": expected.date(2) if expected else None,
        "carrier": (td5.text(3) or td5.text(5) or None) if td5 else None,
        "tracking": _reference(shipment, "CN") or _reference(shipment, "BM"),
        "lines": [_shipped_line(loop, loops_by_id) for loop in items],
    }


def _shipped_line(loop: list[Segment], loops_by_id: dict[str, list[Segment]]) -> dict:
    hl = loop[0]
    sn1 = _first(loop, "SN1")
    if sn1 is None:
        raise hl.fail(f"item HL {hl.text(1)} has no SN1 quantity")
    quantity, uom = sn1.decimal(2), sn1.text(3)
    if quantity is None or not uom:
        raise sn1.fail(f"SN102 quantity and SN103 unit are required on item HL {hl.text(1)}")
    return {
        "po": _purchase_order_of(loop, loops_by_id),
        "line": _shipped_line_number(loop, sn1),
        "quantity": quantity,
        "uom": uom,
    }


def _purchase_order_of(loop: list[Segment], loops_by_id: dict[str, list[Segment]]) -> str:
    current: list[Segment] | None = loop
    while current is not None:
        prf = _first(current, "PRF")
        if prf and prf.text(1):
            return prf.text(1)
        current = loops_by_id.get(current[0].text(2))
    raise loop[0].fail(f"item HL {loop[0].text(1)} is not under an HL with PRF01 purchase order")


def _shipped_line_number(loop: list[Segment], sn1: Segment) -> int:
    lin = _first(loop, "LIN")
    if lin:
        for n in range(2, len(lin.elements), 2):
            if lin.text(n) == "PL" and lin.text(n + 1):
                return lin.integer(n + 1)
        if lin.text(1):
            return lin.integer(1)
    line = sn1.integer(1)
    if line is None:
        raise sn1.fail("the PO line is missing: send LIN*PL, LIN01 or SN101")
    return line


PO_PURPOSE_BY_MESSAGE_TYPE = {
    "purchase_order.issued": "00",
    "purchase_order.change_requested": "04",
}
WRITER_DELIMITERS = Delimiters(element="*", repetition="^", component=">", segment="~")


def write_850(
    data: dict,
    *,
    sender_id: str,
    receiver_id: str,
    control_number: int,
    message_type: str = "purchase_order.issued",
    sender_qualifier: str = "ZZ",
    receiver_qualifier: str = "ZZ",
    usage_indicator: str = "P",
    prepared_at: datetime | None = None,
    line_breaks: bool = True,
) -> str:
    """One interchange with one 850 for `purchase_order.issued` or `.change_requested` data."""
    if message_type not in PO_PURPOSE_BY_MESSAGE_TYPE:
        raise EdiError(
            f"an 850 carries purchase_order.issued or .change_requested, not {message_type}"
        )
    if not 0 < control_number < 10**9:
        raise EdiError(
            f"control number {control_number} does not fit ISA13 (1..999999999)", segment="ISA"
        )
    for name, party, qualifier in (
        ("sender", sender_id, sender_qualifier),
        ("receiver", receiver_id, receiver_qualifier),
    ):
        if not party or len(party) > 15 or len(qualifier) != 2:
            raise EdiError(
                f"ISA {name} {qualifier!r} {party!r} needs 2 and 1 to 15 characters", segment="ISA"
            )
    if usage_indicator not in ("P", "T"):
        raise EdiError(f"ISA15 usage indicator {usage_indicator!r} is not P or T", segment="ISA")
    prepared_at = prepared_at or datetime.now(UTC)
    body = _purchase_order_segments(data, PO_PURPOSE_BY_MESSAGE_TYPE[message_type], prepared_at)
    isa = ["ISA", "00", " " * 10, "00", " " * 10, sender_qualifier.ljust(2), sender_id.ljust(15)]
    isa += [receiver_qualifier.ljust(2), receiver_id.ljust(15), prepared_at.strftime("%y%m%d")]
    isa += [
        prepared_at.strftime("%H%M"),
        "^",
        "00501",
        f"{control_number:09d}",
        "0",
        usage_indicator,
        ">",
    ]
    gs = [
        "GS",
        "PO",
        sender_id,
        receiver_id,
        prepared_at.strftime("%Y%m%d"),
        prepared_at.strftime("%H%M"),
    ]
    gs += [str(control_number), "X", "005010"]
    transaction_set = [["ST", "850", "0001"], *body, ["SE", str(len(body) + 2), "0001"]]
    trailers = [["GE", "1", str(control_number)], ["IEA", "1", f"{control_number:09d}"]]
    separator = "~\n" if line_breaks else "~"
    written = [_write_segment(isa, raw=True)] + [
        _write_segment(s) for s in [gs, *transaction_set, *trailers]
    ]
    return separator.join(written) + separator


def _purchase_order_segments(data: dict, purpose: str, prepared_at: datetime) -> list[list[str]]:
    segments = [
        ["BEG", purpose, "SA", data["po"], str(data["revision"]), prepared_at.strftime("%Y%m%d")],
        ["CUR", "BY", data["currency"]],
        ["N1", "ST", "", "92", data["plant"]],
        ["N1", "SU", "", "92", data["supplier"]],
    ]
    for line in data["lines"]:
        unit_price = line.get("unit_price")
        po1 = ["PO1", str(line["line"]), str(line["quantity"]), line["uom"]]
        po1 += ["" if unit_price is None else str(unit_price), "", "BP", line["item"]]
        if line.get("supplier_item_code"):
            po1 += ["VP", line["supplier_item_code"]]
        segments.append(po1)
        if line.get("requested_date"):
            requested = date.fromisoformat(str(line["requested_date"]))
            segments.append(["DTM", "002", requested.strftime("%Y%m%d")])
    segments.append(["CTT", str(len(data["lines"]))])
    return segments


def _write_segment(elements: list[str], *, raw: bool = False) -> str:
    tag = elements[0]
    delimiters = set(vars(WRITER_DELIMITERS).values()) | {"\r", "\n"}
    for n, value in enumerate(elements[1:], start=1):
        if not raw and delimiters & set(value):
            raise EdiError(f"{tag}{n:02d} {value!r} contains an X12 delimiter", segment=tag)
    while not raw and elements[-1] == "":
        elements = elements[:-1]
    return WRITER_DELIMITERS.element.join(elements)
