from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from procurement import services
from procurement.models import PurchaseOrder, SupplierProposal
from tests.factories import ExternalSystemFactory
from tests.procurement.factories import draft_po, in_days, issued_po, line_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme_api(acme, system_client):
    return system_client(acme.external_system)


@pytest.fixture
def buyer_api(buyer, session_client):
    return session_client(buyer)


def acknowledge(client, po, *lines, revision=0, **extra):
    return client.post(
        f"/api/v1/purchase-orders/{po.pk}/acknowledge/",
        {"revision": revision, "lines": list(lines), **extra},
        format="json",
    )


def test_the_supplier_acknowledges_through_the_api(po, acme_api):
    # when ACME's system accepts line 10 and proposes half of line 20
    response = acknowledge(
        acme_api,
        po,
        {"line": 10, "status": "accepted"},
        {
            "line": 20,
            "status": "changed",
            "confirmed_quantity": "5",
            "reason_code": "material",
            "reason": "Resin short",
        },
        supplier_reference="ACME-SO-1",
    )

    # then the answer says what applied and what waits, with the PO as it now is
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["applied"], body["proposed"], body["unchanged"]) == ([10], [20], [])
    lines = {line["line"]: line for line in body["lines"]}
    assert lines[10]["ack_status"] == "accepted" and lines[10]["confirmed_quantity"] == "40.000000"
    proposal = SupplierProposal.objects.get()
    assert lines[20]["ack_status"] == "proposed" and lines[20]["pending_proposal"] == proposal.pk
    assert (body["id"], body["status"], body["supplier_reference"]) == (
        po.pk,
        "issued",
        "ACME-SO-1",
    )

    # when it sends the same answer again, nothing changes
    again = acknowledge(
        acme_api,
        po,
        {"line": 10, "status": "accepted"},
        {
            "line": 20,
            "status": "changed",
            "confirmed_quantity": "5",
            "reason_code": "material",
            "reason": "Resin short",
        },
    )
    assert again.json()["unchanged"] == [10, 20] and again.json()["acknowledgement"] is None
    assert {line["line"]: line["pending_proposal"] for line in again.json()["lines"]} == {
        10: None,
        20: proposal.pk,
    }


def test_bad_acknowledgements_answer_400_or_409_naming_the_field(po, acme_api):
    not_a_number = acknowledge(
        acme_api, po, {"line": 10, "status": "changed", "confirmed_quantity": "forty"}
    )
    assert not_a_number.status_code == 400
    assert not_a_number.json()["errors"][0]["field"] == "lines.0.confirmed_quantity"

    unknown_line = acknowledge(acme_api, po, {"line": 11, "status": "accepted"})
    assert unknown_line.status_code == 400
    assert unknown_line.json()["errors"] == [{"field": "lines[0].line", "value": 11}]

    past = acknowledge(
        acme_api,
        po,
        {
            "line": 10,
            "status": "changed",
            "confirmed_date": (timezone.localdate() - timedelta(days=2)).isoformat(),
        },
    )
    assert past.status_code == 400 and "in the past" in past.json()["detail"]

    old = acknowledge(acme_api, po, {"line": 10, "status": "accepted"}, revision=0)
    assert old.status_code == 200
    services.purchase_order_revise(po=po, lines=[{"line": 10, "quantity": Decimal("41")}])
    stale = acknowledge(acme_api, po, {"line": 10, "status": "accepted"}, revision=0)
    assert stale.status_code == 409 and "revision 1" in stale.json()["detail"]

    no_revision = acme_api.post(
        f"/api/v1/purchase-orders/{po.pk}/acknowledge/",
        {"lines": [{"line": 10, "status": "accepted"}]},
        format="json",
    )
    assert no_revision.status_code == 400 and no_revision.json()["errors"][0]["field"] == "revision"


def test_a_partner_system_that_is_not_the_supplier_may_read_but_not_acknowledge(po, system_client):
    erp = system_client(ExternalSystemFactory(code="ERP-EU"))
    assert erp.get(f"/api/v1/purchase-orders/{po.pk}/").status_code == 200
    response = acknowledge(erp, po, {"line": 10, "status": "accepted"})
    assert response.status_code == 403


def test_a_portal_user_acknowledges_with_a_session(po, portal_user, session_client):
    response = acknowledge(session_client(portal_user), po, {"line": 10, "status": "accepted"})
    assert response.status_code == 200
    assert po.acknowledgements.get().channel == "portal"


def test_buyers_create_issue_revise_and_cancel(acme, buyer_api, after_commit):
    from tests.procurement.factories import sourced_item

    sourced_item("BRK-1001", acme)
    created = buyer_api.post(
        "/api/v1/purchase-orders/",
        {
            "number": "PO-77",
            "supplier": "S001",
            "plant": "P100",
            "lines": [
                {
                    "line": 1,
                    "item": "BRK-1001",
                    "quantity": "8",
                    "uom": "EA",
                    "requested_date": in_days(9).isoformat(),
                }
            ],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    po_id = created.json()["id"]
    assert created.json()["status"] == "draft" and created.json()["buyer"] == "buyer"

    issued = buyer_api.post(f"/api/v1/purchase-orders/{po_id}/issue/")
    assert issued.status_code == 200 and issued.json()["status"] == "issued"
    assert len(mail.outbox) == 1

    revised = buyer_api.post(
        f"/api/v1/purchase-orders/{po_id}/revise/",
        {"lines": [{"line": 1, "requested_date": in_days(12).isoformat()}]},
        format="json",
    )
    assert revised.status_code == 200 and revised.json()["revision"] == 1

    again = buyer_api.post(f"/api/v1/purchase-orders/{po_id}/issue/")
    assert again.status_code == 409

    cancelled = buyer_api.post(
        f"/api/v1/purchase-orders/{po_id}/cancel/", {"reason": "Not needed"}, format="json"
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


def test_suppliers_may_not_take_buyer_actions_on_their_own_pos(
    acme, po, acme_api, portal_user, session_client
):
    draft = draft_po(acme)
    for client in (acme_api, session_client(portal_user)):
        assert client.post(f"/api/v1/purchase-orders/{draft.pk}/issue/").status_code == 403
        assert (
            client.post(f"/api/v1/purchase-orders/{po.pk}/cancel/", {}, format="json").status_code
            == 403
        )
        assert client.post("/api/v1/purchase-orders/", {}, format="json").status_code == 403


def test_buyers_decide_proposals_through_the_api(po, acme_api, buyer_api):
    acknowledge(
        acme_api,
        po,
        {"line": 10, "status": "changed", "confirmed_date": in_days(30).isoformat()},
        {"line": 20, "status": "rejected", "reason": "Discontinued"},
    )
    first, second = SupplierProposal.objects.order_by("po_line__line_number")

    listed = buyer_api.get("/api/v1/proposals/", {"status": "pending", "supplier": "S001"}).json()[
        "results"
    ]
    assert {row["line"] for row in listed} == {10, 20}
    row = next(r for r in listed if r["line"] == 10)
    assert (row["days_late"], row["proposed_by"], row["po"]) == (10, "system ACME", po.number)

    accepted = buyer_api.post(f"/api/v1/proposals/{first.pk}/accept/")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"

    no_reason = buyer_api.post(f"/api/v1/proposals/{second.pk}/reject/", {}, format="json")
    assert no_reason.status_code == 400 and no_reason.json()["errors"][0]["field"] == "reason"
    rejected = buyer_api.post(
        f"/api/v1/proposals/{second.pk}/reject/", {"reason": "Find an alternative"}, format="json"
    )
    assert (
        rejected.status_code == 200 and rejected.json()["decision_reason"] == "Find an alternative"
    )
    assert acme_api.post(f"/api/v1/proposals/{second.pk}/accept/").status_code == 403

    timeline = buyer_api.get(f"/api/v1/purchase-orders/{po.pk}/acknowledgements/").json()
    assert [
        (line["line"], line["outcome"], line["proposal_status"]) for line in timeline[0]["lines"]
    ] == [
        (10, "proposed", "accepted"),
        (20, "proposed", "rejected"),
    ]


def test_asns_through_the_api_take_the_callers_supplier(po, acme_api, portal_user, session_client):
    body = {
        "number": "ASN-1",
        "ship_date": in_days(1).isoformat(),
        "expected_date": in_days(3).isoformat(),
        "carrier": "DHL",
        "tracking": "JD1",
        "lines": [{"po": po.number, "line": 10, "quantity": "10", "uom": "EA"}],
    }
    created = acme_api.post("/api/v1/asns/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["supplier"] == "S001"
    assert acme_api.post("/api/v1/asns/", body, format="json").status_code == 200

    by_portal = session_client(portal_user).post(
        "/api/v1/asns/", body | {"number": "ASN-2"}, format="json"
    )
    assert by_portal.status_code == 201

    too_much = acme_api.post(
        "/api/v1/asns/",
        body
        | {
            "number": "ASN-3",
            "lines": [{"po": po.number, "line": 10, "quantity": "30", "uom": "EA"}],
        },
        format="json",
    )
    assert too_much.status_code == 400
    assert too_much.json()["errors"] == [{"field": "lines[0].quantity", "value": "30"}]

    listed = acme_api.get("/api/v1/asns/", {"po": po.number}).json()["results"]
    assert {row["number"] for row in listed} == {"ASN-1", "ASN-2"}


def test_receipts_through_the_api_are_for_buyers_not_suppliers(po, buyer_api, acme_api):
    body = {
        "number": "GR-1",
        "plant": "P100",
        "received_at": timezone.now().isoformat(),
        "lines": [{"po": po.number, "line": 20, "item": "PAD-2002", "quantity": "10", "uom": "EA"}],
    }
    assert acme_api.post("/api/v1/receipts/", body, format="json").status_code == 403
    created = buyer_api.post("/api/v1/receipts/", body, format="json")
    assert created.status_code == 201, created.json()
    assert line_of(po, 20).status == "received"
    # the supplier sees the receipt of its goods
    assert [row["number"] for row in acme_api.get("/api/v1/receipts/").json()["results"]] == [
        "GR-1"
    ]


def test_the_stale_list_shows_age_and_reminders(po, buyer_api):
    line = line_of(po, 10)
    line.sent_at = timezone.now() - timedelta(days=5)
    line.ack_due_at = line.next_reminder_at = line.sent_at + timedelta(hours=48)
    line.save()
    services.stale_acknowledgements_remind()

    rows = buyer_api.get("/api/v1/stale-acknowledgements/").json()["results"]
    assert [
        (r["po"], r["line"], r["days_since_sent"], r["days_overdue"], r["reminders_sent"])
        for r in rows
    ] == [(po.number, 10, 5, 3, 1)]


def test_purchase_order_filters(acme, baltic, buyer_api):
    waiting = issued_po(acme)
    answered = issued_po(acme)
    services.purchase_order_acknowledge(
        po=answered,
        revision=0,
        lines=[{"line": 10, "status": "accepted"}, {"line": 20, "status": "accepted"}],
        acting_system=acme.external_system,
    )
    other = issued_po(baltic)
    draft = draft_po(acme)

    def numbers(**params):
        return {
            row["number"]
            for row in buyer_api.get("/api/v1/purchase-orders/", params).json()["results"]
        }

    assert numbers(supplier="S002") == {other.number}
    assert numbers(awaiting_acknowledgement="true") == {waiting.number, other.number}
    assert numbers(status="acknowledged") == {answered.number}
    assert numbers(status=["draft", "acknowledged"]) == {draft.number, answered.number}
    assert numbers(q="PAD-2002", supplier="S001") == {waiting.number, answered.number, draft.number}
    assert numbers(q=waiting.number[-4:]) >= {waiting.number}
    assert numbers(plant="P100") == {waiting.number, answered.number, other.number, draft.number}
    later = (timezone.now() + timedelta(minutes=1)).isoformat()
    assert numbers(updated_since=later) == set()
    row = next(
        r
        for r in buyer_api.get("/api/v1/purchase-orders/").json()["results"]
        if r["number"] == waiting.number
    )
    assert (row["lines_awaiting"], row["lines_proposed"]) == (2, 0)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/purchase-orders/",
        "/api/v1/proposals/",
        "/api/v1/stale-acknowledgements/",
        "/api/v1/asns/",
        "/api/v1/receipts/",
    ],
)
def test_list_endpoints_keep_their_query_count_flat(
    acme, buyer_api, path, django_assert_max_num_queries
):
    def add(count):
        for _ in range(count):
            po = issued_po(acme)
            for line in po.lines.all():
                line.ack_due_at = timezone.now() - timedelta(hours=1)
                line.save()
            services.purchase_order_acknowledge(
                po=po,
                revision=0,
                lines=[{"line": 10, "status": "changed", "confirmed_date": in_days(40)}],
                acting_system=acme.external_system,
            )
            services.asn_create(
                supplier=acme,
                number=f"ASN-{po.number}",
                acting_system=acme.external_system,
                lines=[{"po": po.number, "line": 10, "quantity": "5", "uom": "EA"}],
            )
            services.receipt_post(
                number=f"GR-{po.number}",
                plant="P100",
                received_at=timezone.now(),
                lines=[
                    {"po": po.number, "line": 10, "item": "BRK-1001", "quantity": "5", "uom": "EA"}
                ],
            )

    add(2)
    buyer_api.get(path)
    with django_assert_max_num_queries(12) as few:
        assert len(buyer_api.get(path).json()["results"]) >= 2
    add(8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(buyer_api.get(path).json()["results"]) >= 10


def test_po_detail_query_count_does_not_grow_with_lines(
    acme, buyer_api, django_assert_max_num_queries
):
    from tests.procurement.factories import sourced_item

    for n in range(30):
        sourced_item(f"PART-{n:03d}", acme)
    lines = [
        {
            "line": n + 1,
            "item": f"PART-{n:03d}",
            "quantity": "5",
            "uom": "EA",
            "requested_date": in_days(20),
        }
        for n in range(30)
    ]
    po = issued_po(acme, lines=lines)
    with django_assert_max_num_queries(12):
        body = buyer_api.get(f"/api/v1/purchase-orders/{po.pk}/").json()
    assert len(body["lines"]) == 30
    assert PurchaseOrder.objects.get(pk=po.pk).status == "issued"
