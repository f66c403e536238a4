from datetime import UTC, datetime

import pytest

from integrations.codecs.edi import parse_edi
from integrations.codecs.edifact import parse_interchange, write_orders
from integrations.codecs.errors import EdiError

ORDER_RESPONSES = """\
UNA:+.? '
UNB+UNOC:3+ACMESUPPLY:ZZZ+WEFTPLAN:ZZZ+260513:1030+ACK0001'
UNH+1+ORDRSP:D:96A:UN'
BGM+231+ACME-SO-7781+4'
DTM+137:20260513:102'
RFF+ON:4500001234'
RFF+PP:2'
NAD+SU+SUP-ACME::92'
LIN+10+5+BOLT-M8:BP'
QTY+113:100:EA'
DTM+69:20260601:102'
LIN+20+3+NUT-M8:BP'
QTY+21:50:EA'
QTY+113:40:EA'
DTM+69:20260603:102'
FTX+AAI+++Only 40 in stock?: balance cancelled'
LIN+30+7+GREASE-1:BP'
FTX+AAI+++Item discontinued'
LIN+4++WASHER-8:BP'
RFF+ON:4500001234:40'
QTY+113:120:EA'
DTM+2:202606150800:203'
UNS+S'
UNT+22+1'
UNH+2+ORDRSP:D:96A:UN'
BGM+231+ACME-SO-7790+29'
RFF+ON:4500001240'
LIN+1'
QTY+113:25,5:KGM'
DTM+2:20260620:102'
UNT+7+2'
UNZ+2+ACK0001'
"""

DESPATCH_ADVICE = (
    "UNB+UNOC:3+ACMESUPPLY:ZZZ+WEFTPLAN:ZZZ+20260513:1400+ASN0001++++++1'\r\n"
    "UNH+ME1+DESADV:D:96A:UN'\r\n"
    "BGM+351+ASN-7781+9'\r\n"
    "DTM+137:20260513:102'\r\n"
    "DTM+11:20260514:102'\r\n"
    "DTM+17:20260520:102'\r\n"
    "RFF+BM:BOL-55120'\r\n"
    "RFF+CN:PRO998877'\r\n"
    "RFF+ON:4500001234'\r\n"
    "NAD+SU+SUP-ACME::92'\r\n"
    "TDT+20++30++DHLC:172::DHL Freight'\r\n"
    "CPS+1'\r\n"
    "PAC+3++CT'\r\n"
    "CPS+2+1'\r\n"
    "LIN+1++BOLT-M8:BP'\r\n"
    "QTY+12:100:EA'\r\n"
    "RFF+ON:4500001234:10'\r\n"
    "LIN+2++WASHER-8:BP'\r\n"
    "QTY+12:120:EA'\r\n"
    "RFF+LI:40'\r\n"
    "LIN+3++GEAR-A:BP'\r\n"
    "QTY+12:25:EA'\r\n"
    "RFF+ON:4500001240:1'\r\n"
    "CNT+2:3'\r\n"
    "UNT+24+ME1'\r\n"
    "UNZ+1+ASN0001'\r\n"
)

CUSTOM_SEPARATORS = (
    "UNA*#,! ~"
    "UNB#UNOC*3#ACMESUPPLY#WEFTPLAN#260513*1100#ACK0002~"
    "UNH#1#ORDRSP*D*96A*UN~"
    "BGM#231#ACME-SO-7800#27~"
    "RFF#ON*4500001250~"
    "FTX#AAI###Credit hold!# call accounts~"
    "LIN#1~"
    "UNT#6#1~"
    "UNZ#1#ACK0002~"
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
            "supplier_item_code": "AC'BOLT:8+",
            "quantity": "100",
            "uom": "EA",
            "unit_price": "2.50",
            "requested_date": "2026-06-01",
        },
        {
            "line": 20,
            "item": "GREASE?1",
            "supplier_item_code": None,
            "quantity": "12.5",
            "uom": "KGM",
            "unit_price": None,
            "requested_date": "2026-06-08",
        },
    ],
}


def test_ordrsp_with_two_messages_maps_line_action_codes():
    # given an interchange with UNA, newlines between segments and two ORDRSP messages

    # when it is read
    parsed = parse_edi(ORDER_RESPONSES.encode(), "application/edifact")

    # then each message acknowledges its purchase order line by line
    assert (parsed.sender_id, parsed.receiver_id, parsed.control_number) == (
        "ACMESUPPLY",
        "WEFTPLAN",
        "ACK0001",
    )
    assert [(m.message_type, m.reference) for m in parsed.messages] == [
        ("purchase_order.acknowledged", "1"),
        ("purchase_order.acknowledged", "2"),
    ]
    first, second = (m.data for m in parsed.messages)
    assert (first["po"], first["revision"]) == ("4500001234", "2")
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
            "reason": "Only 40 in stock: balance cancelled",
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
            "confirmed_quantity": "120",
            "confirmed_date": "2026-06-15",
            "reason": None,
        },
    ]
    assert second == {
        "po": "4500001240",
        "revision": "0",
        "lines": [
            {
                "line": 1,
                "status": "accepted",
                "confirmed_quantity": "25.5",
                "confirmed_date": "2026-06-20",
                "reason": None,
            }
        ],
    }


def test_desadv_maps_packing_levels_and_line_references():
    # given a test DESADV without UNA, CRLF between segments, lines under packages

    # when it is read for the supplier who sent it
    parsed = parse_edi(DESPATCH_ADVICE, "application/edifact", supplier="SUP-ACME")

    # then each LIN is a shipped line of its PO line
    assert parsed.test is True
    [message] = parsed.messages
    assert (message.message_type, message.reference) == ("asn.created", "ME1")
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
            {"po": "4500001240", "line": 1, "quantity": "25", "uom": "EA"},
        ],
    }


def test_una_service_string_advice_sets_every_separator():
    # given an ORDRSP whose UNA declares "*" components, "#" elements, "!" release and "~" terminator

    # when it is read
    parsed = parse_edi(CUSTOM_SEPARATORS, "application/edifact")

    # then the rejection is read with the released "#" kept in its text
    assert parsed.messages[0].data == {
        "po": "4500001250",
        "revision": "0",
        "lines": [
            {
                "line": 1,
                "status": "rejected",
                "confirmed_quantity": "0",
                "confirmed_date": None,
                "reason": "Credit hold# call accounts",
            }
        ],
    }


def test_byte_order_mark_and_generic_content_type_are_tolerated():
    # given the ORDRSP interchange as bytes with a byte order mark and a blank line
    raw = b"\xef\xbb\xbf\n" + ORDER_RESPONSES.encode()

    # when it is read with a generic content type
    parsed = parse_edi(raw, "text/plain")

    # then the body is sniffed as EDIFACT
    assert len(parsed.messages) == 2
    assert parse_interchange(raw).prepared_at == datetime(2026, 5, 13, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "segment", "message"),
    [
        (
            ORDER_RESPONSES.replace("UNT+7+2'", "UNT+6+2'"),
            "UNT",
            "UNT01 says 6 segments, message 2 has 7",
        ),
        (
            ORDER_RESPONSES.replace("UNT+7+2'", "UNT+7+3'"),
            "UNT",
            "UNT02 '3' does not match UNH01 '2'",
        ),
        (
            ORDER_RESPONSES.replace("UNZ+2+ACK0001'", "UNZ+2+ACK0002'"),
            "UNZ",
            "UNZ02 'ACK0002' does not match UNB05 'ACK0001'",
        ),
        (
            ORDER_RESPONSES.replace("UNZ+2+", "UNZ+1+"),
            "UNZ",
            "UNZ01 says 1 messages, interchange ACK0001 has 2",
        ),
        (ORDER_RESPONSES.replace("UNT+22+1'\n", ""), "UNT", "message 1 has no UNT trailer"),
        (ORDER_RESPONSES.split("UNZ")[0], "UNZ", "interchange ACK0001 has no UNZ trailer"),
        (ORDER_RESPONSES[:-8], "UNZ", "the input looks truncated"),
        (
            ORDER_RESPONSES.replace("UNZ+2+ACK0001'", "UNZ+2+ACK0001?'"),
            "UNZ",
            "the input looks truncated",
        ),
        (ORDER_RESPONSES.replace("UNH+2", "BGM+231+X+9'\nUNH+2"), "BGM", "expected UNH or UNZ"),
        (
            ORDER_RESPONSES.replace("UNH+1", "UNG+ORDRSP+A+B'\nUNH+1"),
            "UNG",
            "functional groups (UNG/UNE) are not supported",
        ),
        (ORDER_RESPONSES + "UNB+UNOC:3+X+Y+260513:1030+2'", "UNB", "UNB after UNZ"),
        ("PK\x03\x04\x00garbage", "UNB", "starts with UNA or UNB"),
        ("UNA:+", "UNA", "UNA service string advice is truncated"),
    ],
    ids=[
        "unt-count",
        "unt-reference",
        "unz-reference",
        "unz-count",
        "missing-unt",
        "truncated-before-unz",
        "truncated-mid-segment",
        "released-last-terminator",
        "segment-outside-message",
        "functional-group",
        "two-interchanges",
        "garbage",
        "short-una",
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
    # given an ORDRSP interchange whose first UNT miscounts
    raw = ORDER_RESPONSES.replace("UNT+22+1'", "UNT+21+1'")

    # when it is read
    with pytest.raises(EdiError) as refusal:
        parse_interchange(raw)

    # then the position counts from UNB, not from UNA
    assert refusal.value.position == 23


def test_unsupported_message_is_refused():
    # given a well-formed interchange carrying an invoice
    raw = ORDER_RESPONSES.replace("ORDRSP:D:96A:UN", "INVOIC:D:96A:UN")

    # when it is read as EDI
    with pytest.raises(EdiError) as refusal:
        parse_edi(raw, "application/edifact")

    # then the message type is named
    assert refusal.value.segment == "UNH"
    assert "message INVOIC is not supported" in str(refusal.value)


def test_unknown_message_function_is_refused_naming_bgm():
    # given an ORDRSP whose BGM03 is neither accept, change nor reject
    raw = ORDER_RESPONSES.replace("BGM+231+ACME-SO-7790+29'", "BGM+231+ACME-SO-7790+1'")

    # when it is read
    with pytest.raises(EdiError) as refusal:
        parse_edi(raw, "application/edifact")

    # then BGM is named
    assert refusal.value.segment == "BGM"
    assert "BGM03 message function '1'" in str(refusal.value)


def test_despatched_quantity_without_unit_is_refused():
    # given a DESADV line whose quantity has no unit
    raw = DESPATCH_ADVICE.replace("QTY+12:120:EA'", "QTY+12:120'")

    # when it is read
    with pytest.raises(EdiError) as refusal:
        parse_edi(raw, "application/edifact")

    # then QTY is named
    assert refusal.value.segment == "QTY"
    assert "line 2 needs QTY+12 with quantity and unit" in str(refusal.value)


def test_content_type_that_is_not_edi_is_refused():
    # given a JSON content type

    # when an EDI body is read with it
    with pytest.raises(EdiError) as refusal:
        parse_edi(ORDER_RESPONSES, "application/json")

    # then the content type is named
    assert "content type 'application/json' is not EDI" in str(refusal.value)


def test_written_orders_reads_back_as_a_valid_interchange():
    # given a purchase order with codes that need the release character
    prepared_at = datetime(2026, 5, 13, 8, 5, tzinfo=UTC)

    # when it is written as ORDERS and read back
    written = write_orders(
        PURCHASE_ORDER,
        sender_id="WEFTPLAN",
        receiver_id="ACMESUPPLY",
        control_reference="ORD0000017",
        prepared_at=prepared_at,
    )
    interchange = parse_interchange(written)

    # then the envelope adds up and the segments carry the order, released characters restored
    assert written.startswith("UNA:+.? '\n")
    assert "AC?'BOLT?:8?+:SA'" in written
    assert (interchange.sender_id, interchange.receiver_id, interchange.control_reference) == (
        "WEFTPLAN",
        "ACMESUPPLY",
        "ORD0000017",
    )
    [order] = interchange.messages
    assert (order.message_type, order.version, order.release) == ("ORDERS", "D", "96A")
    rows = [[s.tag, *s.elements] for s in order.segments]
    assert rows == [
        ["BGM", "220", "4500001234", "9"],
        ["DTM", ["137", "20260513", "102"]],
        ["RFF", ["PP", "2"]],
        ["NAD", "ST", ["PLANT-1", "", "92"]],
        ["NAD", "SU", ["SUP-ACME", "", "92"]],
        ["CUX", ["2", "EUR", "9"]],
        ["LIN", "10", "", ["BOLT-M8", "BP"]],
        ["PIA", "1", ["AC'BOLT:8+", "SA"]],
        ["QTY", ["21", "100", "EA"]],
        ["DTM", ["2", "20260601", "102"]],
        ["PRI", ["AAA", "2.50"]],
        ["LIN", "20", "", ["GREASE?1", "BP"]],
        ["QTY", ["21", "12.5", "KGM"]],
        ["DTM", ["2", "20260608", "102"]],
        ["UNS", "S"],
        ["CNT", ["2", "2"]],
    ]


def test_change_request_is_written_as_a_replacing_orders():
    # given a change requested on a purchase order

    # when it is written as a test interchange without line breaks
    written = write_orders(
        PURCHASE_ORDER,
        sender_id="WEFTPLAN",
        receiver_id="ACMESUPPLY",
        control_reference="ORD0000018",
        message_type="purchase_order.change_requested",
        test=True,
        line_breaks=False,
    )

    # then BGM03 says replace and the interchange still reads back
    assert "\n" not in written
    interchange = parse_interchange(written)
    assert interchange.test is True
    assert interchange.messages[0].segments[0].element(3) == "5"
