from datetime import UTC, datetime

import pytest

from integrations.codecs.edi import parse_edi
from integrations.codecs.errors import EdiError
from integrations.codecs.x12 import parse_interchange, write_850

ACKNOWLEDGEMENTS_855 = """\
ISA*00*          *00*          *ZZ*ACMESUPPLY     *ZZ*WEFTPLAN       *260513*1030*^*00501*000000905*0*P*>~
GS*PR*ACMESUPPLY*WEFTPLAN*20260513*1030*905*X*005010~
ST*855*0001~
BAK*00*AC*4500001234*20260510*2~
REF*VR*ACME-SO-7781~
N1*SU*Acme Supplies*92*SUP-ACME~
PO1*10*100*EA*2.50**BP*BOLT-M8*VP*AC-BOLT-8~
ACK*IA*100*EA*068*20260601~
PO1*20*50*EA*4.10**BP*NUT-M8*VP*AC-NUT-8~
ACK*IQ*40*EA*068*20260603~
NTE*GEN*Only 40 in stock, balance cancelled~
PO1*30*10*KG*12**BP*GREASE-1~
ACK*IR*10*KG~
MSG*Item discontinued~
PO1*40*200*EA*0.10**BP*WASHER-8~
ACK*IA*120*EA*068*20260601~
ACK*IB*80*EA*068*20260615~
CTT*4~
SE*17*0001~
ST*855*0002~
BAK*00*AT*4500001240*20260511~
REF*RV*3~
PO1*0001*25*EA***BP*GEAR-A~
DTM*067*20260620~
SE*6*0002~
GE*2*905~
IEA*1*000000905~
"""

SHIPMENT_856 = (
    "ISA*00*          *00*          *ZZ*ACMESUPPLY     *ZZ*WEFTPLAN       "
    "*260513*1400*^*00501*000000906*0*P*>~\r\n"
    "GS*SH*ACMESUPPLY*WEFTPLAN*20260513*1400*906*X*005010~\r\n"
    "ST*856*0001~\r\n"
    "BSN*00*ASN-7781*20260513*1400*0001~\r\n"
    "HL*1**S~\r\n"
    "TD1*CTN25*3****G*120*LB~\r\n"
    "TD5**2*DHLC*M~\r\n"
    "REF*BM*BOL-55120~\r\n"
    "REF*CN*PRO998877**BM>BOL-55120~\r\n"
    "DTM*011*20260514~\r\n"
    "DTM*017*20260520~\r\n"
    "N1*SF*Acme Supplies*92*SUP-ACME~\r\n"
    "HL*2*1*O~\r\n"
    "PRF*4500001234***20260510~\r\n"
    "HL*3*2*P~\r\n"
    "MAN*GM*00012345678901234567^00012345678901234574~\r\n"
    "HL*4*3*I~\r\n"
    "LIN*10*BP*BOLT-M8*VP*AC-BOLT-8~\r\n"
    "SN1**100*EA~\r\n"
    "HL*5*3*I~\r\n"
    "LIN**BP*WASHER-8*PL*40~\r\n"
    "SN1**120*EA~\r\n"
    "HL*6*1*O~\r\n"
    "PRF*4500001240~\r\n"
    "HL*7*6*I~\r\n"
    "LIN**BP*GEAR-A~\r\n"
    "SN1*1*25.000*EA~\r\n"
    "CTT*7~\r\n"
    "SE*27*0001~\r\n"
    "GE*1*906~\r\n"
    "IEA*1*000000906~\r\n"
)

NEWLINE_TERMINATED_855 = (
    "ISA*00*          *00*          *01*123456789      *ZZ*WEFTPLAN       "
    "*260513*0915*U*00401*000000042*0*T*:\n"
    "GS*PR*123456789*WEFTPLAN*20260513*0915*42*X*004010\n"
    "ST*855*0042\n"
    "BAK*00*RJ*4500001300*20260512\n"
    "NTE*GEN*Plant shut down for maintenance\n"
    "PO1*1*10*EA\n"
    "PO1*2*5*EA\n"
    "SE*6*0042\n"
    "GE*1*42\n"
    "IEA*1*000000042\n"
)

PURCHASE_ORDER = {
    "po": "4500001234",
    "revision": "2",
    "supplier": "SUP-ACME",
    "plant": "PLANT-1",
    "currency": "EUR",
    "lines": [
        {
            "line": 10,
            "item": "BOLT-M8",
            "supplier_item_code": "AC-BOLT-8",
            "quantity": "100",
            "uom": "EA",
            "unit_price": "2.50",
            "requested_date": "2026-06-01",
        },
        {
            "line": 20,
            "item": "GREASE-1",
            "supplier_item_code": None,
            "quantity": "12.5",
            "uom": "KG",
            "unit_price": None,
            "requested_date": "2026-06-08",
        },
    ],
}


def test_855_with_two_transaction_sets_maps_each_line_status():
    # given an interchange with two 855s, "~" terminators and a newline after each

    # when it is read
    parsed = parse_edi(ACKNOWLEDGEMENTS_855.encode(), "application/edi-x12")

    # then each transaction set is one acknowledgement of its purchase order
    assert (parsed.sender_id, parsed.receiver_id, parsed.control_number) == (
        "ACMESUPPLY",
        "WEFTPLAN",
        "000000905",
    )
    assert parsed.test is False
    assert [(m.message_type, m.reference, m.group_control_number) for m in parsed.messages] == [
        ("purchase_order.acknowledged", "0001", "905"),
        ("purchase_order.acknowledged", "0002", "905"),
    ]
    first, second = (m.data for m in parsed.messages)
    assert first["po"] == "4500001234"
    assert first["revision"] == "2"
    assert first["lines"] == [
        {
            "line": 10,
            "status": "accepted",
            "confirmed_quantity": "100",
            "confirmed_date": "2026-06-01",
            "reason": None,
        },
        {
            "line": 20,
            "status": "changed",
            "confirmed_quantity": "40",
            "confirmed_date": "2026-06-03",
            "reason": "Only 40 in stock, balance cancelled",
        },
        {
            "line": 30,
            "status": "rejected",
            "confirmed_quantity": "0",
            "confirmed_date": None,
            "reason": "Item discontinued",
        },
        {
            "line": 40,
            "status": "changed",
            "confirmed_quantity": "200",
            "confirmed_date": "2026-06-15",
            "reason": None,
        },
    ]
    assert second == {
        "po": "4500001240",
        "revision": "3",
        "lines": [
            {
                "line": 1,
                "status": "accepted",
                "confirmed_quantity": "25",
                "confirmed_date": "2026-06-20",
                "reason": None,
            }
        ],
    }


def test_855_with_newline_terminators_and_no_ack_takes_the_status_of_bak02():
    # given a 00401 test interchange terminated by newlines, without the last one, rejected by BAK02 RJ
    raw = NEWLINE_TERMINATED_855.rstrip("\n")

    # when it is read
    interchange = parse_interchange(raw)
    parsed = parse_edi(raw, "application/edi-x12")

    # then ISA11 "U" is a standards id, not a repetition separator, and every line is rejected
    assert interchange.sender_qualifier == "01"
    assert interchange.usage_indicator == "T"
    assert interchange.prepared_at == datetime(2026, 5, 13, 9, 15, tzinfo=UTC)
    assert parsed.test is True
    assert parsed.messages[0].data["lines"] == [
        {
            "line": 1,
            "status": "rejected",
            "confirmed_quantity": "0",
            "confirmed_date": None,
            "reason": "Plant shut down for maintenance",
        },
        {
            "line": 2,
            "status": "rejected",
            "confirmed_quantity": "0",
            "confirmed_date": None,
            "reason": "Plant shut down for maintenance",
        },
    ]


def test_856_walks_shipment_order_pack_and_item_levels():
    # given an 856 with CRLF after "~", two orders, a pack level and three items

    # when it is read for the supplier who sent it
    parsed = parse_edi(SHIPMENT_856, "application/edi-x12; charset=utf-8", supplier="SUP-ACME")

    # then the items carry the PO of their order level and the PO line of LIN*PL, LIN01 or SN101
    [message] = parsed.messages
    assert message.message_type == "asn.created"
    assert message.data == {
        "number": "ASN-7781",
        "supplier": "SUP-ACME",
        "ship_date": "2026-05-14",
        "expected_date": "2026-05-20",
        "carrier": "DHLC",
        "tracking": "PRO998877",
        "lines": [
            {"po": "4500001234", "line": 10, "quantity": "100", "uom": "EA"},
            {"po": "4500001234", "line": 40, "quantity": "120", "uom": "EA"},
            {"po": "4500001240", "line": 1, "quantity": "25.000", "uom": "EA"},
        ],
    }


def test_tokenizer_splits_components_and_repetitions_from_the_isa_header():
    # given an 856 whose ISA declares "^" for repetitions and ">" for components

    # when it is tokenized
    interchange = parse_interchange(SHIPMENT_856)
    body = interchange.groups[0].transaction_sets[0].segments

    # then REF04 is a composite and MAN02 repeats
    carrier_ref = next(s for s in body if s.tag == "REF" and s.element(1) == "CN")
    assert carrier_ref.components(4) == ["BM", "BOL-55120"]
    assert carrier_ref.component(4, 2) == "BOL-55120"
    marks = next(s for s in body if s.tag == "MAN")
    assert marks.element(2) == "00012345678901234567"
    assert marks.repetitions(2) == ["00012345678901234567", "00012345678901234574"]


def test_byte_order_mark_and_leading_whitespace_are_tolerated():
    # given the 855 as UTF-8 bytes with a byte order mark and blank lines in front
    raw = b"\xef\xbb\xbf\r\n  " + ACKNOWLEDGEMENTS_855.encode()

    # when it is read with a generic content type
    parsed = parse_edi(raw, "application/octet-stream")

    # then the body is sniffed as X12
    assert len(parsed.messages) == 2


@pytest.mark.parametrize(
    ("raw", "segment", "message"),
    [
        (
            ACKNOWLEDGEMENTS_855.replace("SE*17*0001", "SE*16*0001"),
            "SE",
            "SE01 says 16 segments, transaction set 0001 has 17",
        ),
        (
            ACKNOWLEDGEMENTS_855.replace("SE*6*0002", "SE*6*0003"),
            "SE",
            "SE02 '0003' does not match ST02 '0002'",
        ),
        (
            ACKNOWLEDGEMENTS_855.replace("GE*2*905", "GE*1*905"),
            "GE",
            "GE01 says 1 transaction sets, functional group 905 has 2",
        ),
        (
            ACKNOWLEDGEMENTS_855.replace("GE*2*905", "GE*2*906"),
            "GE",
            "GE02 '906' does not match GS06 '905'",
        ),
        (
            ACKNOWLEDGEMENTS_855.replace("IEA*1*000000905", "IEA*1*000000915"),
            "IEA",
            "IEA02 '000000915' does not match ISA13 '000000905'",
        ),
        (ACKNOWLEDGEMENTS_855.replace("IEA*1*", "IEA*2*"), "IEA", "IEA01 says 2 functional groups"),
        (ACKNOWLEDGEMENTS_855.split("GE*2*905")[0], "GE", "functional group 905 has no GE trailer"),
        (ACKNOWLEDGEMENTS_855.split("IEA*1")[0], "IEA", "interchange 000000905 has no IEA trailer"),
        (
            ACKNOWLEDGEMENTS_855.replace("SE*6*0002~\n", ""),
            "SE",
            "transaction set 0002 has no SE trailer",
        ),
        (ACKNOWLEDGEMENTS_855[:-12], "IEA", "is not terminated by '~'"),
        (ACKNOWLEDGEMENTS_855 + ACKNOWLEDGEMENTS_855, "ISA", "ISA after IEA"),
        ("<html><body>Bad gateway</body></html>", "ISA", "starts with ISA"),
        ("ISA*00*    *00~", "ISA", "ISA header is truncated"),
    ],
    ids=[
        "se-count",
        "se-control",
        "ge-count",
        "ge-control",
        "iea-control",
        "iea-count",
        "truncated-before-ge",
        "truncated-before-iea",
        "missing-se",
        "truncated-mid-segment",
        "two-interchanges",
        "garbage",
        "short-isa",
    ],
)
def test_broken_envelope_is_refused_naming_the_segment(raw, segment, message):
    # given a broken interchange

    # when it is read
    with pytest.raises(EdiError) as refusal:
        parse_interchange(raw)

    # then the error names the segment to fix
    assert refusal.value.segment == segment
    assert message in str(refusal.value)


def test_refusal_carries_the_position_of_the_segment():
    # given an 855 whose second SE miscounts
    raw = ACKNOWLEDGEMENTS_855.replace("SE*6*0002", "SE*7*0002")

    # when it is read
    with pytest.raises(EdiError) as refusal:
        parse_interchange(raw)

    # then the position is the 1-based index of that SE in the interchange
    assert refusal.value.position == 25
    assert str(refusal.value) == "SE01 says 7 segments, transaction set 0002 has 6 (segment 25)"


def test_unsupported_transaction_set_is_refused():
    # given a well-formed interchange carrying an 810 invoice
    raw = NEWLINE_TERMINATED_855.replace("ST*855*0042", "ST*810*0042")

    # when it is read as EDI
    with pytest.raises(EdiError) as refusal:
        parse_edi(raw, "application/edi-x12")

    # then the transaction set is named
    assert refusal.value.segment == "ST"
    assert "transaction set 810 is not supported" in str(refusal.value)


def test_unknown_line_status_is_refused_naming_ack():
    # given an 855 whose ACK01 is not a line status we read
    raw = ACKNOWLEDGEMENTS_855.replace("ACK*IA*100*EA*068*20260601", "ACK*ZZ*100*EA*068*20260601")

    # when it is read
    with pytest.raises(EdiError) as refusal:
        parse_edi(raw, "application/edi-x12")

    # then ACK is named with the code
    assert refusal.value.segment == "ACK"
    assert "ACK01 line status 'ZZ' on line 10" in str(refusal.value)


def test_bad_date_is_refused_naming_the_element():
    # given an 855 with an impossible confirmed date
    raw = ACKNOWLEDGEMENTS_855.replace("068*20260603", "068*20260231")

    # when it is read
    with pytest.raises(EdiError) as refusal:
        parse_edi(raw, "application/edi-x12")

    # then the element is named
    assert refusal.value.segment == "ACK"
    assert "ACK05 '20260231'" in str(refusal.value)


def test_item_outside_any_order_is_refused():
    # given an 856 whose last item hangs directly under the shipment, with no PRF above it
    raw = SHIPMENT_856.replace("HL*7*6*I", "HL*7*1*I")

    # when it is read
    with pytest.raises(EdiError) as refusal:
        parse_edi(raw, "application/edi-x12")

    # then the HL is named
    assert refusal.value.segment == "HL"
    assert "item HL 7 is not under an HL with PRF01" in str(refusal.value)


def test_written_850_reads_back_as_a_valid_interchange():
    # given a purchase order issued to a supplier
    prepared_at = datetime(2026, 5, 13, 8, 5, tzinfo=UTC)

    # when it is written as an 850 and read back
    written = write_850(
        PURCHASE_ORDER,
        sender_id="WEFTPLAN",
        receiver_id="ACMESUPPLY",
        control_number=17,
        prepared_at=prepared_at,
    )
    interchange = parse_interchange(written)

    # then the envelope adds up and the segments carry the order
    assert len(written.split("~")[0]) + 1 == 106
    assert (interchange.sender_id, interchange.receiver_id, interchange.control_number) == (
        "WEFTPLAN",
        "ACMESUPPLY",
        "000000017",
    )
    [group] = interchange.groups
    assert (group.functional_id, group.control_number) == ("PO", "17")
    [order] = group.transaction_sets
    assert order.code == "850"
    rows = [[s.tag, *s.elements] for s in order.segments]
    assert rows == [
        ["BEG", "00", "SA", "4500001234", "2", "20260513"],
        ["CUR", "BY", "EUR"],
        ["N1", "ST", "", "92", "PLANT-1"],
        ["N1", "SU", "", "92", "SUP-ACME"],
        ["PO1", "10", "100", "EA", "2.50", "", "BP", "BOLT-M8", "VP", "AC-BOLT-8"],
        ["DTM", "002", "20260601"],
        ["PO1", "20", "12.5", "KG", "", "", "BP", "GREASE-1"],
        ["DTM", "002", "20260608"],
        ["CTT", "2"],
    ]


def test_change_request_is_written_with_beg01_change():
    # given a change requested on a purchase order

    # when it is written without line breaks
    written = write_850(
        PURCHASE_ORDER,
        sender_id="WEFTPLAN",
        receiver_id="ACMESUPPLY",
        control_number=18,
        message_type="purchase_order.change_requested",
        line_breaks=False,
    )

    # then BEG01 says change and the interchange still reads back
    assert "\n" not in written
    beg = parse_interchange(written).groups[0].transaction_sets[0].segments[0]
    assert beg.element(1) == "04"


def test_value_containing_a_delimiter_is_refused_when_writing():
    # given an item code with the element separator in it
    order = {**PURCHASE_ORDER, "lines": [{**PURCHASE_ORDER["lines"][0], "item": "BOLT*M8"}]}

    # when it is written
    with pytest.raises(EdiError) as refusal:
        write_850(order, sender_id="WEFTPLAN", receiver_id="ACMESUPPLY", control_number=19)

    # then the element is named
    assert refusal.value.segment == "PO1"
    assert "PO107 'BOLT*M8'" in str(refusal.value)


@pytest.mark.parametrize("odd_digit", ["²", "٣", "①"])
def test_non_ascii_digits_are_refused_as_edi_errors(odd_digit):
    # given counts written with digits that str.isdigit() accepts but int() does not
    raw = ACKNOWLEDGEMENTS_855.replace("SE*6*0002", f"SE*{odd_digit}*0002")

    # when it is read, then it is an EdiError naming the segment, never a ValueError
    with pytest.raises(EdiError) as refusal:
        parse_interchange(raw)
    assert refusal.value.segment == "SE"
