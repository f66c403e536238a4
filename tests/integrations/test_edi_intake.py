import random

import pytest
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from integrations.edi_intake import edi_interchange_receive
from integrations.models import ExternalSystem, InboundMessage
from tests.factories import ExternalSystemFactory

pytestmark = pytest.mark.django_db

EDI_URL = "/api/v1/inbound/edi/"
X12 = "application/edi-x12"
EDIFACT = "application/edifact"

ACKNOWLEDGEMENTS_855 = (
    "ISA*00*          *00*          *ZZ*ACMESUPPLY     *ZZ*WEFTPLAN       "
    "*260601*0800*^*00501*000000321*0*P*>~\n"
    "GS*PR*ACMESUPPLY*WEFTPLAN*20260601*0800*321*X*005010~\n"
    "ST*855*0001~\n"
    "BAK*00*AC*4500002001*20260529*1~\n"
    "PO1*10*40*EA*3.10**BP*BRK-1001~\n"
    "ACK*IA*40*EA*068*20260615~\n"
    "PO1*20*10*EA*9.00**BP*PAD-2002~\n"
    "ACK*IR*10*EA~\n"
    "NTE*GEN*Tooling not available~\n"
    "CTT*2~\n"
    "SE*9*0001~\n"
    "ST*855*0002~\n"
    "BAK*00*AT*4500002002*20260529~\n"
    "PO1*1*5*EA~\n"
    "SE*4*0002~\n"
    "GE*2*321~\n"
    "IEA*1*000000321~\n"
)

ORDER_RESPONSES = (
    "UNA:+.? '"
    "UNB+UNOC:3+ACMESUPPLY:ZZZ+WEFTPLAN:ZZZ+260601:0800+ORD0042'\n"
    "UNH+1+ORDRSP:D:96A:UN'\n"
    "BGM+231+ACME-SO-9001+29'\n"
    "RFF+ON:4500002001'\n"
    "RFF+PP:1'\n"
    "LIN+10'\n"
    "QTY+113:40:EA'\n"
    "DTM+2:20260615:102'\n"
    "UNT+8+1'\n"
    "UNH+2+ORDRSP:D:96A:UN'\n"
    "BGM+231+ACME-SO-9002+27'\n"
    "RFF+ON:4500002002'\n"
    "FTX+AAI+++Plant closed in June'\n"
    "LIN+1'\n"
    "UNT+6+2'\n"
    "UNZ+2+ORD0042'\n"
)

SHIPMENT_856 = (
    "ISA*00*          *00*          *ZZ*ACMESUPPLY     *ZZ*WEFTPLAN       "
    "*260601*0900*^*00501*000000322*0*P*>~"
    "GS*SH*ACMESUPPLY*WEFTPLAN*20260601*0900*322*X*005010~"
    "ST*856*0001~"
    "BSN*00*ASN-9001*20260601*0900~"
    "HL*1**S~"
    "TD5**2*DHLC~"
    "DTM*011*20260602~"
    "HL*2*1*O~"
    "PRF*4500002001~"
    "HL*3*2*I~"
    "LIN*10*BP*BRK-1001~"
    "SN1**40*EA~"
    "CTT*3~"
    "SE*12*0001~"
    "GE*1*322~"
    "IEA*1*000000322~"
)


@pytest.fixture
def acme():
    return ExternalSystemFactory(
        code="ACME", kind=ExternalSystem.Kind.SUPPLIER, edi_sender_id="ACMESUPPLY"
    )


def client_for(system, partner_key, *scopes):
    _, raw = partner_key(*(scopes or ("inbound:write",)), system=system)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def acme_client(acme, partner_key):
    return client_for(acme, partner_key)


def send(client, body, content_type=X12):
    return client.post(EDI_URL, body, content_type=content_type)


def test_an_855_with_two_transaction_sets_becomes_two_acknowledgements(acme_client):
    # given an X12 interchange with two 855 transaction sets, "~" and newline terminated

    # when the supplier's system sends it
    response = send(acme_client, ACKNOWLEDGEMENTS_855)

    # then each set is stored as one purchase_order.acknowledged, keyed by the interchange
    assert response.status_code == 202
    body = response.json()
    assert body["interchange"] == "000000321"
    assert [(a["reference"], a["status"], a["http_status"]) for a in body["messages"]] == [
        ("0001", "received", 202),
        ("0002", "received", 202),
    ]
    first, second = (InboundMessage.objects.get(pk=a["id"]) for a in body["messages"])
    assert (first.channel, first.message_type, first.idempotency_key) == (
        "edi",
        "purchase_order.acknowledged",
        "edi:ACMESUPPLY:000000321:321:0001",
    )
    assert first.envelope["source"] == "ACME"
    assert first.data == {
        "po": "4500002001",
        "revision": 1,
        "lines": [
            {
                "line": 10,
                "status": "accepted",
                "confirmed_quantity": "40",
                "confirmed_date": "2026-06-15",
            },
            {
                "line": 20,
                "status": "rejected",
                "confirmed_quantity": "0",
                "reason": "Tooling not available",
            },
        ],
    }
    assert second.idempotency_key == "edi:ACMESUPPLY:000000321:321:0002"
    assert second.data == {
        "po": "4500002002",
        "revision": 0,
        "lines": [{"line": 1, "status": "accepted", "confirmed_quantity": "5"}],
    }


def test_an_edifact_ordrsp_interchange_becomes_acknowledgements(acme_client):
    # given an EDIFACT interchange with a UNA header and two ORDRSP messages

    # when it is sent
    response = send(acme_client, ORDER_RESPONSES.encode(), EDIFACT)

    # then each message is one acknowledgement, keyed without a functional group
    assert response.status_code == 202
    assert response.json()["interchange"] == "ORD0042"
    keys = list(InboundMessage.objects.order_by("id").values_list("idempotency_key", flat=True))
    assert keys == ["edi:ACMESUPPLY:ORD0042:-:1", "edi:ACMESUPPLY:ORD0042:-:2"]
    rejected = InboundMessage.objects.get(idempotency_key__endswith=":2").data
    assert rejected["lines"] == [
        {
            "line": 1,
            "status": "rejected",
            "confirmed_quantity": "0",
            "reason": "Plant closed in June",
        }
    ]


def test_an_856_names_the_sending_system_as_the_supplier(acme_client):
    # given an X12 856 from the supplier's system

    # when it is sent
    response = send(acme_client, SHIPMENT_856)

    # then the ASN's supplier is the system's code, for the supplier code map to translate
    assert response.status_code == 202
    asn = InboundMessage.objects.get()
    assert asn.message_type == "asn.created"
    assert asn.data == {
        "number": "ASN-9001",
        "supplier": "ACME",
        "ship_date": "2026-06-02",
        "carrier": "DHLC",
        "lines": [{"po": "4500002001", "line": 10, "quantity": "40", "uom": "EA"}],
    }


def test_a_resent_interchange_repeats_the_first_answers(acme_client):
    # given an interchange already received
    first = send(acme_client, ACKNOWLEDGEMENTS_855).json()

    # when the partner sends it again
    again = send(acme_client, ACKNOWLEDGEMENTS_855)

    # then the first answers come back with 200 and nothing new is stored
    assert again.status_code == 200
    assert [a["id"] for a in again.json()["messages"]] == [a["id"] for a in first["messages"]]
    assert {a["http_status"] for a in again.json()["messages"]} == {200}
    assert InboundMessage.objects.count() == 2


def test_an_interchange_from_another_sender_is_refused_403_and_kept(partner_key):
    # given a system whose EDI id is its code, OTHER-SUP, and an interchange sent as ACMESUPPLY
    other = ExternalSystemFactory(code="OTHER-SUP", kind=ExternalSystem.Kind.SUPPLIER)

    # when that system sends it
    response = send(client_for(other, partner_key), ACKNOWLEDGEMENTS_855)

    # then it is refused naming both ids, and kept as rejected
    assert response.status_code == 403
    detail = response.json()["detail"]
    assert "'ACMESUPPLY'" in detail and "'OTHER-SUP'" in detail
    kept = InboundMessage.objects.get()
    assert (kept.system, kept.channel, kept.status) == (other, "edi", "rejected")
    assert kept.body == ACKNOWLEDGEMENTS_855


def test_without_an_edi_sender_id_the_system_code_is_the_sender(partner_key):
    # given a system without EDI id whose code is the interchange sender
    system = ExternalSystemFactory(code="ACMESUPPLY", kind=ExternalSystem.Kind.SUPPLIER)

    # when it sends the interchange
    response = send(client_for(system, partner_key), ACKNOWLEDGEMENTS_855)

    # then it is taken
    assert response.status_code == 202


def test_wrong_counts_are_refused_naming_the_segment_and_kept(acme_client):
    # given an interchange whose first SE counts 8 segments instead of 9
    broken = ACKNOWLEDGEMENTS_855.replace("SE*9*0001", "SE*8*0001")

    # when it is sent
    response = send(acme_client, broken)

    # then the answer names the segment and its position, and the interchange is kept as rejected
    assert response.status_code == 400
    body = response.json()
    assert (body["segment"], body["position"]) == ("SE", 11)
    assert "SE01 says 8 segments" in body["detail"]
    kept = InboundMessage.objects.get(pk=body["id"])
    assert (kept.status, kept.channel, kept.body) == ("rejected", "edi", broken)
    assert "SE01 says 8 segments" in kept.reason


def test_a_truncated_interchange_is_refused_naming_the_missing_trailer(acme_client):
    # given an interchange cut off before its group and interchange trailers
    truncated = ACKNOWLEDGEMENTS_855.split("GE*2*321")[0]

    # when it is sent
    response = send(acme_client, truncated)

    # then the missing trailer is named
    assert response.status_code == 400
    assert response.json()["segment"] == "GE"
    assert InboundMessage.objects.get().status == "rejected"


def test_a_test_interchange_is_not_applied(acme_client):
    # given an interchange marked as a test (ISA15 "T")
    test_interchange = ACKNOWLEDGEMENTS_855.replace("*0*P*>~", "*0*T*>~")

    # when it is sent
    response = send(acme_client, test_interchange)

    # then it is refused and kept
    assert response.status_code == 400
    assert "test interchange" in response.json()["detail"]
    assert InboundMessage.objects.get().status == "rejected"


def test_a_set_breaking_the_contract_refuses_the_whole_interchange(acme_client):
    # given an 855 whose second set names a revision that is not a number
    broken = ACKNOWLEDGEMENTS_855.replace(
        "BAK*00*AT*4500002002*20260529~\nPO1", "BAK*00*AT*4500002002*20260529~\nREF*RV*B~\nPO1"
    ).replace("SE*4*0002", "SE*5*0002")

    # when it is sent
    response = send(acme_client, broken)

    # then nothing of it is stored but the refused interchange, naming the set and the field
    assert response.status_code == 400
    body = response.json()
    assert body["segment"] == "ST"
    assert body["detail"].startswith(
        "ST 0002 (purchase_order.acknowledged) breaks the contract: data.revision"
    )
    assert [e["field"] for e in body["errors"]] == ["data.revision"]
    assert InboundMessage.objects.get().status == "rejected"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", X12),
        (b"<html><body>Bad gateway</body></html>", "text/html"),
        (b'{"type": "asn.created"}', "application/json"),
        (b"\xff\xfe\x00g\x00a\x00r\x00b\x00a\x00g\x00e", X12),
        (ACKNOWLEDGEMENTS_855.replace("SE*4*0002", "SE*4\u00b2*0002").encode(), X12),
        (ACKNOWLEDGEMENTS_855[:120].encode(), X12),
        (b"UNB+UNOC:3+ACMESUPPLY+WEFTPLAN+260601:0800+X", EDIFACT),
        (b"UNA:+.? 'UNB'UNZ'", EDIFACT),
        (ORDER_RESPONSES.encode(), X12),
    ],
    ids=[
        "empty",
        "html",
        "json",
        "utf16-with-nul",
        "superscript-count",
        "cut-in-isa",
        "edifact-unterminated",
        "edifact-empty",
        "edifact-as-x12",
    ],
)
def test_garbage_is_refused_with_400_and_kept(acme_client, body, content_type):
    # given a body that is not a readable interchange

    # when it is sent
    response = send(acme_client, body, content_type)

    # then it is a 400 with a reason, never a 500, and the body is kept as rejected
    assert response.status_code == 400
    assert response.json()["detail"]
    assert InboundMessage.objects.get().status == "rejected"


def test_mangled_interchanges_never_fail_intake(acme):
    # given a few hundred copies of real interchanges with bytes cut, dropped or scrambled
    rnd = random.Random(20260601)
    samples = [ACKNOWLEDGEMENTS_855.encode(), ORDER_RESPONSES.encode(), SHIPMENT_856.encode()]

    for _ in range(300):
        body = bytearray(rnd.choice(samples))
        start = rnd.randrange(len(body))
        if rnd.random() < 0.5:
            del body[start : start + rnd.randint(1, 40)]
        else:
            body[start] = rnd.randrange(256)

        # when each is received
        intake = edi_interchange_receive(
            system=acme, raw=bytes(body), content_type=rnd.choice([X12, EDIFACT, ""])
        )

        # then each gets an answer, never an exception
        assert intake.http_status in (200, 202, 400, 403, 409)


def test_a_key_without_inbound_write_cannot_send_interchanges(acme, partner_key):
    # given a partner key that may only read messages
    client = client_for(acme, partner_key, "messages:read")

    # when it sends an interchange
    response = send(client, ACKNOWLEDGEMENTS_855)

    # then it is forbidden and nothing is stored
    assert response.status_code == 403
    assert not InboundMessage.objects.exists()


def test_an_edi_sender_id_belongs_to_one_system(acme):
    # given ACME sending EDI as ACMESUPPLY

    # when another system claims the same sender id, then the database refuses it
    with pytest.raises(IntegrityError), transaction.atomic():
        ExternalSystemFactory(code="ACME-2", edi_sender_id="ACMESUPPLY")

    # and any number of systems may leave it blank
    ExternalSystemFactory(code="PLAIN-1")
    ExternalSystemFactory(code="PLAIN-2")
