"""Procurement messages through the inbox: JSON envelopes and EDI, each sender checked."""

import itertools
from decimal import Decimal

import pytest

from integrations.models import InboundMessage
from integrations.services import ownership_set
from procurement.models import AdvanceShipNotice, PurchaseOrder, Receipt, SupplierProposal
from tests.factories import ExternalSystemFactory
from tests.procurement.factories import in_days, line_of, sourced_item

pytestmark = pytest.mark.django_db
ids = itertools.count(1)


def envelope(message_type, source, data):
    return {
        "type": message_type,
        "version": 1,
        "id": f"msg-{next(ids)}",
        "source": source,
        "occurred_at": "2026-05-13T10:00:00+00:00",
        "data": data,
    }


@pytest.fixture
def inbox_client(system_client):
    def make(system):
        return system_client(system, "inbound:write", "messages:read")

    return make


def send(client, system, message_type, data) -> InboundMessage:
    response = client.post(
        "/api/v1/inbound/", envelope(message_type, system.code, data), format="json"
    )
    assert response.status_code in (200, 202), response.json()
    return InboundMessage.objects.get(pk=response.json()["id"])


def test_the_suppliers_system_acknowledges_by_message(po, acme, inbox_client):
    # when ACME's system sends an acknowledgement for its PO
    message = send(
        inbox_client(acme.external_system),
        acme.external_system,
        "purchase_order.acknowledged",
        {
            "po": po.number,
            "revision": 0,
            "lines": [
                {
                    "line": 10,
                    "status": "changed",
                    "confirmed_quantity": "39",
                    "confirmed_date": in_days(21).isoformat(),
                }
            ],
        },
    )

    # then it is applied, and the answer names the message
    assert message.status == "applied", message.reason
    line = line_of(po, 10)
    assert (line.ack_status, line.confirmed_quantity) == ("changed", Decimal("39"))
    answer = line.answers.get().acknowledgement
    assert (answer.channel, answer.message_id) == ("message", str(message.pk))


def test_an_acknowledgement_without_a_revision_answers_the_current_one(po, acme, inbox_client):
    message = send(
        inbox_client(acme.external_system),
        acme.external_system,
        "purchase_order.acknowledged",
        {"po": po.number, "lines": [{"line": 20, "status": "accepted"}]},
    )
    assert message.status == "applied"


def test_an_acknowledgement_from_another_suppliers_system_is_rejected(po, baltic, inbox_client):
    message = send(
        inbox_client(baltic.external_system),
        baltic.external_system,
        "purchase_order.acknowledged",
        {"po": po.number, "revision": 0, "lines": [{"line": 10, "status": "accepted"}]},
    )
    assert message.status == "rejected"
    assert f"BALTIC has no purchase order {po.number}" in message.reason
    assert line_of(po, 10).ack_status == "awaiting"


def test_an_acknowledgement_from_a_system_that_is_no_supplier_is_rejected(po, inbox_client):
    erp = ExternalSystemFactory(code="ERP-EU")
    message = send(
        inbox_client(erp),
        erp,
        "purchase_order.acknowledged",
        {"po": po.number, "lines": [{"line": 10, "status": "accepted"}]},
    )
    assert message.status == "rejected" and "ERP-EU has no purchase order" in message.reason


def test_an_acknowledgement_of_an_old_revision_is_rejected_with_that_reason(po, acme, inbox_client):
    from procurement import services

    services.purchase_order_revise(po=po, lines=[{"line": 10, "quantity": Decimal("44")}])
    message = send(
        inbox_client(acme.external_system),
        acme.external_system,
        "purchase_order.acknowledged",
        {"po": po.number, "revision": 0, "lines": [{"line": 10, "status": "accepted"}]},
    )
    assert message.status == "rejected"
    assert "at revision 1" in message.reason
    assert message.errors == [{"field": "revision", "value": 0}]


def test_a_quantity_that_is_not_a_number_is_refused_at_intake(po, acme, inbox_client):
    client = inbox_client(acme.external_system)
    data = {
        "po": po.number,
        "lines": [{"line": 10, "status": "changed", "confirmed_quantity": "forty"}],
    }
    response = client.post(
        "/api/v1/inbound/", envelope("purchase_order.acknowledged", "ACME", data), format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "data.lines.0.confirmed_quantity"


def x12_855(po, line_10_date):
    return (
        "ISA*00*          *00*          *ZZ*ACMESUPPLY     *ZZ*WEFTPLAN       "
        "*260601*0800*^*00501*000000321*0*P*>~\n"
        "GS*PR*ACMESUPPLY*WEFTPLAN*20260601*0800*321*X*005010~\n"
        "ST*855*0001~\n"
        f"BAK*00*AC*{po.number}*20260529*0~\n"
        "PO1*10*40*EA*3.10**BP*BRK-1001~\n"
        f"ACK*IA*40*EA*068*{line_10_date:%Y%m%d}~\n"
        "PO1*20*10*EA*9.00**BP*PAD-2002~\n"
        "ACK*IR*10*EA~\n"
        "NTE*GEN*Tooling not available~\n"
        "CTT*2~\n"
        "SE*9*0001~\n"
        "GE*1*321~\n"
        "IEA*1*000000321~\n"
    )


@pytest.fixture
def edi_acme(acme, inbox_client):
    system = acme.external_system
    system.edi_sender_id = "ACMESUPPLY"
    system.save()
    return inbox_client(system)


def test_an_x12_855_acknowledges_through_the_same_service(po, edi_acme):
    # when ACME sends an 855 accepting line 10 and rejecting line 20
    response = edi_acme.post(
        "/api/v1/inbound/edi/", x12_855(po, in_days(20)), content_type="application/edi-x12"
    )

    # then line 10 is confirmed and line 20's rejection waits for a buyer
    assert response.status_code == 202, response.json()
    (message,) = InboundMessage.objects.filter(message_type="purchase_order.acknowledged")
    assert message.status == "applied", message.reason
    assert line_of(po, 10).ack_status == "accepted"
    proposal = SupplierProposal.objects.get(po_line__line_number=20)
    assert (proposal.kind, proposal.reason) == ("rejected", "Tooling not available")


def test_an_edifact_ordrsp_acknowledges_through_the_same_service(po, edi_acme):
    ordrsp = (
        "UNA:+.? '"
        "UNB+UNOC:3+ACMESUPPLY:ZZZ+WEFTPLAN:ZZZ+260601:0800+ORD0042'\n"
        "UNH+1+ORDRSP:D:96A:UN'\n"
        "BGM+231+ACME-SO-9001+29'\n"
        f"RFF+ON:{po.number}'\n"
        "RFF+PP:0'\n"
        "LIN+10'\n"
        "QTY+113:40:EA'\n"
        f"DTM+2:{in_days(21):%Y%m%d}:102'\n"
        "UNT+8+1'\n"
        "UNZ+1+ORD0042'\n"
    )
    response = edi_acme.post("/api/v1/inbound/edi/", ordrsp, content_type="application/edifact")
    assert response.status_code == 202, response.json()
    line = line_of(po, 10)
    assert (line.ack_status, line.confirmed_date) == ("changed", in_days(21))


def test_an_x12_856_becomes_an_asn_of_the_sending_systems_supplier(po, edi_acme):
    shipment = (
        "ISA*00*          *00*          *ZZ*ACMESUPPLY     *ZZ*WEFTPLAN       "
        "*260601*0900*^*00501*000000322*0*P*>~"
        "GS*SH*ACMESUPPLY*WEFTPLAN*20260601*0900*322*X*005010~"
        "ST*856*0001~"
        "BSN*00*ASN-9001*20260601*0900~"
        "HL*1**S~"
        "TD5**2*DHLC~"
        f"DTM*011*{in_days(2):%Y%m%d}~"
        "HL*2*1*O~"
        f"PRF*{po.number}~"
        "HL*3*2*I~"
        "LIN*10*BP*BRK-1001~"
        "SN1**40*EA~"
        "CTT*3~"
        "SE*12*0001~"
        "GE*1*322~"
        "IEA*1*000000322~"
    )
    response = edi_acme.post("/api/v1/inbound/edi/", shipment, content_type="application/edi-x12")
    assert response.status_code == 202, response.json()
    (message,) = InboundMessage.objects.filter(message_type="asn.created")
    assert message.status == "applied", message.reason
    asn = AdvanceShipNotice.objects.get()
    assert (asn.supplier.code, asn.number, asn.carrier, asn.ship_date) == (
        "S001",
        "ASN-9001",
        "DHLC",
        in_days(2),
    )
    assert line_of(po, 10).shipped_quantity == Decimal("40")


def test_an_edifact_desadv_becomes_an_asn(po, edi_acme):
    desadv = (
        "UNA:+.? '"
        "UNB+UNOC:3+ACMESUPPLY:ZZZ+WEFTPLAN:ZZZ+260601:0900+DES0001'\n"
        "UNH+1+DESADV:D:96A:UN'\n"
        "BGM+351+DES-77+9'\n"
        f"DTM+11:{in_days(1):%Y%m%d}:102'\n"
        f"RFF+ON:{po.number}'\n"
        "LIN+20'\n"
        "QTY+12:10:EA'\n"
        "UNT+7+1'\n"
        "UNZ+1+DES0001'\n"
    )
    response = edi_acme.post("/api/v1/inbound/edi/", desadv, content_type="application/edifact")
    assert response.status_code == 202, response.json()
    assert AdvanceShipNotice.objects.get().number == "DES-77"
    assert line_of(po, 20).shipped_quantity == Decimal("10")


def asn_data(po, **changes):
    return {
        "number": "ASN-77",
        "supplier": "S001",
        "ship_date": in_days(1).isoformat(),
        "expected_date": in_days(3).isoformat(),
        "carrier": "DHL",
        "tracking": "JD01",
        "lines": [{"po": po.number, "line": 10, "quantity": "40", "uom": "EA"}],
    } | changes


def test_an_asn_naming_a_supplier_not_the_senders_is_rejected(po, acme, baltic, inbox_client):
    message = send(
        inbox_client(baltic.external_system), baltic.external_system, "asn.created", asn_data(po)
    )
    assert message.status == "rejected" and "S001 is not BALTIC's" in message.reason


def test_an_over_shipping_asn_is_rejected_naming_the_line(po, acme, inbox_client):
    data = asn_data(po, lines=[{"po": po.number, "line": 10, "quantity": "50", "uom": "EA"}])
    message = send(inbox_client(acme.external_system), acme.external_system, "asn.created", data)
    assert message.status == "rejected"
    assert f"{po.number} line 10" in message.reason
    assert message.errors == [{"field": "lines[0].quantity", "value": "50"}]


def test_a_shipment_update_from_the_supplier_or_its_carrier_moves_the_asn(po, acme, inbox_client):
    send(inbox_client(acme.external_system), acme.external_system, "asn.created", asn_data(po))

    # the supplier's system reports a delay
    update = {
        "asn": "ASN-77",
        "status": "delayed",
        "expected_date": in_days(6).isoformat(),
        "reason": "Strike",
    }
    assert (
        send(
            inbox_client(acme.external_system), acme.external_system, "shipment.updated", update
        ).status
        == "applied"
    )
    assert AdvanceShipNotice.objects.get().lines.get().expected_date == in_days(6)

    # the carrier's own system (its code is the ASN's carrier) reports delivery
    carrier = ExternalSystemFactory(code="DHL", kind="wms")
    delivered = {
        "asn": "ASN-77",
        "tracking": "JD01",
        "status": "delivered",
        "location": "P100 gate 3",
    }
    assert send(inbox_client(carrier), carrier, "shipment.updated", delivered).status == "applied"
    assert AdvanceShipNotice.objects.get().status == "delivered"

    # a stranger cannot
    stranger = ExternalSystemFactory(code="UPS")
    message = send(
        inbox_client(stranger),
        stranger,
        "shipment.updated",
        {"asn": "ASN-77", "status": "exception"},
    )
    assert message.status == "rejected" and "UPS has no ASN ASN-77" in message.reason


def test_receipts_come_from_the_system_of_record_only(po, inbox_client):
    wms = ExternalSystemFactory(code="WMS-1", kind="wms")
    data = {
        "number": "GR-1",
        "plant": "P100",
        "received_at": "2026-06-02T08:00:00+00:00",
        "lines": [{"po": po.number, "line": 10, "item": "BRK-1001", "quantity": "40", "uom": "EA"}],
    }
    refused = send(inbox_client(wms), wms, "receipt.posted", data)
    assert refused.status == "rejected" and "receipt is owned by weft" in refused.reason

    ownership_set(object_type="receipt", system=wms)
    data["number"] = "GR-2"
    assert send(inbox_client(wms), wms, "receipt.posted", data).status == "applied"
    assert Receipt.objects.get().source == "WMS-1"
    assert line_of(po, 10).status == "received"


def test_the_erp_upserts_purchase_orders_it_owns(acme, inbox_client):
    erp = ExternalSystemFactory(code="ERP-EU")
    sourced_item("BRK-1001", acme)
    data = {
        "number": "4500007777",
        "supplier": "S001",
        "plant": "P100",
        "currency": "EUR",
        "revision": 0,
        "lines": [
            {
                "line": 10,
                "item": "BRK-1001",
                "quantity": "25",
                "uom": "EA",
                "unit_price": "3.1",
                "requested_date": in_days(14).isoformat(),
            }
        ],
    }
    refused = send(inbox_client(erp), erp, "purchase_order.upserted", data)
    assert refused.status == "rejected" and "owned by weft" in refused.reason

    ownership_set(object_type="purchase_order", system=erp)
    data_again = dict(data)
    assert send(inbox_client(erp), erp, "purchase_order.upserted", data_again).status == "applied"
    po = PurchaseOrder.objects.get(number="4500007777")
    assert po.status == "issued" and line_of(po, 10).ack_status == "awaiting"


def test_an_upsert_naming_an_unknown_item_is_rejected_naming_it(acme, inbox_client):
    erp = ExternalSystemFactory(code="ERP-EU")
    ownership_set(object_type="purchase_order", system=erp)
    data = {
        "number": "4500007778",
        "supplier": "S001",
        "plant": "P100",
        "lines": [
            {
                "line": 1,
                "item": "NOPE",
                "quantity": "1",
                "uom": "EA",
                "requested_date": in_days(3).isoformat(),
            }
        ],
    }
    message = send(inbox_client(erp), erp, "purchase_order.upserted", data)
    assert message.status == "rejected"
    assert message.errors == [{"field": "lines[0].item", "value": "NOPE"}]
