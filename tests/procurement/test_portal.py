"""The supplier portal: each page as a supplier user, htmx partials, answers, ship notices, CSV."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from procurement.models import AdvanceShipNotice, PurchaseOrder, PurchaseOrderLine
from tests.factories import SupplierUserFactory
from tests.procurement.factories import draft_po, in_days, issued_po, line_of

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def supplier_client(client, portal_user):
    client.force_login(portal_user)
    return client


def answer(client, po, line, htmx=True, **data):
    body = {"revision": po.revision, "action": "accept", **data}
    url = reverse("portal:line-answer", args=[po.number, line])
    return client.post(url, body, **(HTMX if htmx else {}))


def test_home_shows_what_needs_the_supplier(supplier_client, po):
    # given an issued PO waiting for its answer
    # when the supplier opens the portal
    response = supplier_client.get(reverse("portal:home"))
    # then the "to acknowledge" tile counts it and the PO is listed to answer first
    assert response.status_code == 200
    tiles = {tile["view"]: tile["count"] for tile in response.context["tiles"]}
    assert tiles == {"awaiting": 1, "returned": 0, "proposed": 0, "late": 0, "due": 0}
    assert po.number in response.content.decode()
    assert "Content-Security-Policy" in response.headers


def test_home_counts_sent_back_and_due_lines(supplier_client, po, buyer, portal_user):
    from procurement import services

    # given line 10 proposed late and rejected by the buyer, line 20 accepted and due in 5 days
    services.purchase_order_acknowledge(
        po=po,
        revision=po.revision,
        lines=[{"line": 10, "status": "changed", "confirmed_date": in_days(40)}],
        acting_user=portal_user,
    )
    proposal = line_of(po, 10).proposals.get()
    services.proposal_reject(proposal=proposal, reason="Too late", acting_user=buyer)
    services.purchase_order_acknowledge(
        po=po,
        revision=po.revision,
        lines=[{"line": 20, "status": "changed", "confirmed_date": in_days(29)}],
        acting_user=portal_user,
    )
    PurchaseOrderLine.objects.filter(pk=line_of(po, 20).pk).update(confirmed_date=in_days(5))
    # when
    response = supplier_client.get(reverse("portal:home"))
    # then
    tiles = {tile["view"]: tile["count"] for tile in response.context["tiles"]}
    assert tiles["returned"] == 1
    assert tiles["due"] == 1
    assert tiles["awaiting"] == 1


def test_order_list_full_page_and_htmx_partial(supplier_client, po, acme):
    other = issued_po(acme)
    # full page: layout, tabs, filter bar
    page = supplier_client.get(reverse("portal:order-list"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "<html" in html and 'hx-trigger="keyup changed delay:400ms, search"' in html
    assert po.number in html and other.number in html
    # the same view answers htmx with the table alone and its counters out of band
    partial = supplier_client.get(reverse("portal:order-list"), {"q": po.number}, **HTMX)
    body = partial.content.decode()
    assert "<html" not in body
    assert 'id="order-table"' in body
    assert 'id="count-awaiting" hx-swap-oob="true"' in body
    assert po.number in body and other.number not in body


def test_order_list_filters_and_sorts(supplier_client, acme, portal_user):
    from procurement import services

    waiting = issued_po(acme)
    answered = issued_po(acme)
    services.purchase_order_acknowledge(
        po=answered,
        revision=answered.revision,
        lines=[{"line": 10, "status": "accepted"}, {"line": 20, "status": "accepted"}],
        acting_user=portal_user,
    )
    draft = draft_po(acme)

    def numbers(**params):
        response = supplier_client.get(reverse("portal:order-list"), params)
        return [po.number for po in response.context["orders"]]

    assert numbers(view="awaiting") == [waiting.number]
    assert numbers(view="pending") == [answered.number]
    assert draft.number not in numbers(view="all")
    assert numbers(sort="number") == sorted([waiting.number, answered.number])
    assert numbers(sort="-number") == sorted([waiting.number, answered.number], reverse=True)
    assert numbers(q="BRK-1001") == numbers(sort="-issued")


def test_order_list_queries_do_not_grow_with_the_page(
    supplier_client, acme, django_assert_max_num_queries
):
    issued_po(acme)
    with CaptureQueriesContext(connection) as one_order:
        supplier_client.get(reverse("portal:order-list"))
    for _ in range(11):
        issued_po(acme)
    with django_assert_max_num_queries(12), CaptureQueriesContext(connection) as twelve_orders:
        response = supplier_client.get(reverse("portal:order-list"))
    assert len(response.context["orders"]) == 12
    assert len(twelve_orders) == len(one_order)


def test_csv_export_lists_open_lines_of_the_supplier_only(supplier_client, po, baltic):
    foreign = issued_po(baltic)
    PurchaseOrder.objects.filter(pk=po.pk).update(supplier_reference="=HYPERLINK(1)")
    response = supplier_client.get(reverse("portal:order-export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(row["po"], row["line"]) for row in rows] == [(po.number, "10"), (po.number, "20")]
    assert rows[0]["item"] == "BRK-1001"
    assert rows[0]["quantity"] == "40"
    assert rows[0]["open_to_ship"] == "40"
    # a reference a spreadsheet would run is written as text
    assert rows[0]["your_reference"] == "'=HYPERLINK(1)"
    assert foreign.number not in response.content.decode()


def test_order_detail_shows_header_lines_and_forms(supplier_client, po):
    response = supplier_client.get(reverse("portal:order-detail", args=[po.number]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="line-10"' in html and 'id="line-20"' in html
    assert "BRK-1001" in html and "Awaiting your answer" in html
    assert 'id="po-status"' in html and "Accept all 2 open lines" in html
    assert f'hx-post="{reverse("portal:line-answer", args=[po.number, 10])}"' in html


def test_accepting_a_line_with_htmx_returns_the_line_and_the_status(supplier_client, po):
    response = answer(supplier_client, po, 10, action="accept")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<tbody id="line-10"')
    assert "Accepted" in body
    assert 'id="po-status" hx-swap-oob="true"' in body
    assert line_of(po, 10).ack_status == "accepted"
    # the second line accepted too: the PO is acknowledged, and the status says so
    body = answer(supplier_client, po, 20, action="accept").content.decode()
    assert "Acknowledged" in body
    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.ACKNOWLEDGED


def test_answer_without_htmx_redirects_back_to_the_order(supplier_client, po):
    response = answer(supplier_client, po, 10, htmx=False, action="accept")
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:order-detail", args=[po.number])


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"action": "change", "confirmed_date": "2001-01-01"}, "confirmed_date", "is in the past"),
        (
            {"action": "change", "confirmed_quantity": "lots"},
            "confirmed_quantity",
            "Enter a number",
        ),
        ({"action": "reject", "reason": ""}, "reason", "Say why the line is rejected"),
        ({"action": "change"}, "confirmed_date", "Give a quantity or a promise date"),
    ],
)
def test_invalid_answers_are_named_next_to_the_field(supplier_client, po, data, field, message):
    response = answer(supplier_client, po, 10, **data)
    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="line-10-{field}-error"' in body
    assert message in body
    assert line_of(po, 10).ack_status == "awaiting"


def test_a_service_refusal_is_shown_on_the_form(supplier_client, po):
    response = answer(supplier_client, po, 10, action="accept", revision=po.revision + 1)
    body = response.content.decode()
    assert "never issued" in body
    assert 'class="alert alert-danger' in body


def test_a_change_beyond_tolerance_waits_for_the_buyer_with_an_escaped_comment(supplier_client, po):
    later = in_days(45).isoformat()
    response = answer(
        supplier_client,
        po,
        20,
        action="change",
        confirmed_date=later,
        reason_code="capacity",
        reason="<script>alert('x')</script>",
    )
    body = response.content.decode()
    assert "Awaiting buyer" in body
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body
    assert "<script>alert" not in body
    assert "Capacity" in body
    # the detail page shows the same history, escaped as well
    html = supplier_client.get(reverse("portal:order-detail", args=[po.number])).content.decode()
    assert "&lt;script&gt;" in html and "<script>alert" not in html


def test_accept_all_accepts_waiting_lines_with_the_reference(supplier_client, po):
    response = supplier_client.post(
        reverse("portal:accept-all", args=[po.number]),
        {"revision": po.revision, "supplier_reference": "SO-778"},
    )
    assert response.status_code == 302
    po.refresh_from_db()
    assert po.supplier_reference == "SO-778"
    assert po.status == PurchaseOrder.Status.ACKNOWLEDGED
    assert set(po.lines.values_list("ack_status", flat=True)) == {"accepted"}


def test_ship_notice_prefills_open_quantities_and_records_the_asn(supplier_client, po):
    supplier_client.post(reverse("portal:accept-all", args=[po.number]), {"revision": po.revision})
    url = reverse("portal:ship-notice", args=[po.number])
    page = supplier_client.get(url)
    form = page.context["form"]
    assert form["quantity_10"].initial == "40"
    assert form["quantity_20"].initial == "10"
    assert 'value="40"' in page.content.decode()
    response = supplier_client.post(
        url,
        {
            "number": "ASN-1",
            "ship_date": in_days(1).isoformat(),
            "expected_date": in_days(3).isoformat(),
            "carrier": "DHL",
            "tracking": "JD0001",
            "quantity_10": "40",
            "quantity_20": "0",
        },
    )
    assert response.status_code == 302
    asn = AdvanceShipNotice.objects.get(number="ASN-1")
    assert asn.carrier == "DHL"
    assert [(row.po_line.line_number, row.quantity) for row in asn.lines.all()] == [
        (10, Decimal("40"))
    ]
    assert line_of(po, 10).shipped_quantity == Decimal("40")


def test_ship_notice_refuses_overshipment_next_to_the_line(supplier_client, po):
    url = reverse("portal:ship-notice", args=[po.number])
    response = supplier_client.post(
        url,
        {
            "number": "ASN-2",
            "ship_date": in_days(1).isoformat(),
            "quantity_10": "10",
            "quantity_20": "99",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "quantity_20" in errors and "more than its open" in errors["quantity_20"][0]
    assert not AdvanceShipNotice.objects.filter(number="ASN-2").exists()


def test_ship_notice_checks_dates_and_quantities(supplier_client, po):
    url = reverse("portal:ship-notice", args=[po.number])
    response = supplier_client.post(
        url,
        {
            "number": "ASN-3",
            "ship_date": in_days(5).isoformat(),
            "expected_date": in_days(1).isoformat(),
            "quantity_10": "x",
        },
    )
    errors = response.context["form"].errors
    assert "expected_date" in errors
    assert errors["quantity_10"] == ["Enter a number."]


def test_another_suppliers_user_sees_none_of_it(client, po, baltic):
    client.force_login(SupplierUserFactory(username="bob", supplier=baltic))
    assert client.get(reverse("portal:order-detail", args=[po.number])).status_code == 404
    listed = client.get(reverse("portal:order-list"))
    assert po.number not in listed.content.decode()
    home = client.get(reverse("portal:home"))
    assert {tile["count"] for tile in home.context["tiles"]} == {0}


def test_a_draft_is_not_shown_to_the_supplier(supplier_client, acme):
    draft = draft_po(acme)
    assert (
        supplier_client.get(reverse("portal:order-detail", args=[draft.number])).status_code == 404
    )
