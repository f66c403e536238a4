from decimal import Decimal

import pytest
from django.core import mail

from integrations.errors import ApplicationError, OwnershipError
from integrations.models import Event
from integrations.schemas import data_errors
from integrations.services import ownership_set
from procurement import services
from procurement.models import PurchaseOrder, PurchaseOrderLine
from tests.procurement.factories import draft_po, in_days, issued_po, line_of, sourced_item

pytestmark = pytest.mark.django_db


def events_of(event_type):
    return list(Event.objects.filter(event_type=event_type).order_by("id"))


def test_a_buyer_issues_a_draft_and_the_supplier_gets_the_event_and_an_email(
    acme, buyer, after_commit
):
    # given a draft PO of two lines, one of them ordered in boxes
    sourced_item("BRK-1001", acme, supplier_item_code="AC-778")
    sourced_item("PAD-2002", acme, price="9.00")
    po = draft_po(
        acme,
        lines=[
            {
                "line": 10,
                "item": "BRK-1001",
                "quantity": "4",
                "uom": "BOX",
                "requested_date": in_days(20),
            },
            {
                "line": 20,
                "item": "PAD-2002",
                "quantity": "12.5",
                "uom": "EA",
                "requested_date": in_days(30),
            },
        ],
        acting_user=buyer,
    )
    assert po.status == PurchaseOrder.Status.DRAFT
    assert mail.outbox == [] and events_of("purchase_order.issued") == []

    # when the buyer issues it
    after_commit(services.purchase_order_issue, po=po, acting_user=buyer)

    # then it is issued, each line waits for an answer due after the supplier's SLA
    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.ISSUED and po.revision == 0
    assert po.ack_due_at == po.issued_at + __import__("datetime").timedelta(hours=48)
    boxes = line_of(po, 10)
    assert boxes.base_quantity == Decimal("40")
    assert boxes.unit_price == Decimal("3.10")  # from the sourcing rule
    assert {line.ack_status for line in po.lines.all()} == {"awaiting"}

    # and purchase_order.issued carries MESSAGES.md's data exactly
    (event,) = events_of("purchase_order.issued")
    assert event.aggregate_key == f"po:{po.number}"
    assert event.data == {
        "po": po.number,
        "revision": 0,
        "supplier": "S001",
        "plant": "P100",
        "currency": "EUR",
        "lines": [
            {
                "line": 10,
                "item": "BRK-1001",
                "supplier_item_code": "AC-778",
                "quantity": "4",
                "uom": "BOX",
                "unit_price": "3.1",
                "requested_date": in_days(20).isoformat(),
            },
            {
                "line": 20,
                "item": "PAD-2002",
                "supplier_item_code": "S001-PAD-2002",
                "quantity": "12.5",
                "uom": "EA",
                "unit_price": "9",
                "requested_date": in_days(30).isoformat(),
            },
        ],
    }
    assert data_errors("purchase_order.issued", 1, event.data) == []

    # and the supplier's contacts get one e-mail naming the PO and its lines
    (message,) = mail.outbox
    assert message.to == ["orders@s001.example.com"]
    assert po.number in message.subject and "revision 0" in message.subject
    assert "BRK-1001" in message.body and "4 BOX" in message.body


def test_a_supplier_item_code_is_left_out_when_the_sourcing_rule_has_none(acme):
    # given an item whose sourcing rule has a blank supplier item code
    item = sourced_item("BRK-1001", acme)
    item.sourcing_rules.update(supplier_item_code=" ")

    # when a PO for it is issued
    issued_po(
        acme,
        lines=[
            {
                "line": 1,
                "item": "BRK-1001",
                "quantity": "5",
                "uom": "EA",
                "requested_date": in_days(9),
            }
        ],
    )

    # then the event has no supplier_item_code (the contract wants a non-empty code or none)
    (event,) = events_of("purchase_order.issued")
    assert "supplier_item_code" not in event.data["lines"][0]
    assert data_errors("purchase_order.issued", 1, event.data) == []


def test_revising_quantities_makes_a_new_revision_that_needs_a_new_answer(po, acme, after_commit):
    # given an issued PO whose first line the supplier accepted
    services.purchase_order_acknowledge(
        po=po,
        revision=0,
        lines=[{"line": 10, "status": "accepted"}],
        acting_system=acme.external_system,
    )
    assert line_of(po, 10).ack_status == "accepted"

    # when the buyer raises line 10's quantity and leaves line 20 alone
    after_commit(
        services.purchase_order_revise, po=po, lines=[{"line": 10, "quantity": Decimal("60")}]
    )

    # then the PO is at revision 1, line 10 awaits a new answer, its confirmation kept apart
    po.refresh_from_db()
    changed = line_of(po, 10)
    assert po.revision == 1 and po.status == PurchaseOrder.Status.ISSUED
    assert changed.ack_status == "awaiting" and changed.sent_revision == 1
    assert (changed.quantity, changed.confirmed_quantity) == (Decimal("60"), Decimal("40"))
    assert line_of(po, 20).sent_revision == 0

    # and the change request goes out with the whole PO, and by e-mail
    (event,) = events_of("purchase_order.change_requested")
    assert event.data["revision"] == 1
    assert [(row["line"], row["quantity"]) for row in event.data["lines"]] == [
        (10, "60"),
        (20, "10"),
    ]
    assert data_errors("purchase_order.change_requested", 1, event.data) == []
    assert any("Change to purchase order" in message.subject for message in mail.outbox)


def test_a_revision_that_changes_nothing_is_not_a_revision(po):
    # when the buyer "changes" a line to what it already is
    services.purchase_order_revise(po=po, lines=[{"line": 10, "quantity": Decimal("40")}])

    # then nothing goes out
    po.refresh_from_db()
    assert po.revision == 0
    assert events_of("purchase_order.change_requested") == []


def test_cancelling_an_issued_po_tells_the_supplier_with_quantity_zero(po, after_commit):
    # when the buyer cancels an issued PO
    after_commit(services.purchase_order_cancel, po=po, reason="Project stopped")

    # then it is cancelled in a new revision whose lines go out at quantity 0
    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.CANCELLED and po.revision == 1
    (event,) = events_of("purchase_order.change_requested")
    assert {row["quantity"] for row in event.data["lines"]} == {"0"}
    assert data_errors("purchase_order.change_requested", 1, event.data) == []
    assert "cancelled" in mail.outbox[-1].subject


def test_only_a_draft_is_issued(po):
    with pytest.raises(ApplicationError, match="only a draft is issued") as refused:
        services.purchase_order_issue(po=po)
    assert refused.value.status_code == 409


def test_a_blocked_supplier_gets_no_po(acme):
    acme.status = "blocked"
    acme.save()
    with pytest.raises(ApplicationError, match="blocked") as refused:
        draft_po(acme)
    assert refused.value.extra == {"field": "supplier", "value": "S001"}


def test_a_line_with_a_unit_the_item_cannot_convert_is_refused_naming_it(acme):
    sourced_item("BRK-1001", acme)
    from tests.factories import UnitFactory

    UnitFactory(code="KG", name="Kilogram", dimension="mass")
    with pytest.raises(ApplicationError) as refused:
        draft_po(
            acme,
            lines=[
                {
                    "line": 1,
                    "item": "BRK-1001",
                    "quantity": "2",
                    "uom": "KG",
                    "requested_date": in_days(5),
                }
            ],
        )
    assert refused.value.extra["field"] == "lines[0].uom"


def test_weft_refuses_to_create_pos_when_the_erp_owns_them(acme):
    # given the ERP is the system of record of purchase orders
    from tests.factories import ExternalSystemFactory

    ownership_set(object_type="purchase_order", system=ExternalSystemFactory(code="ERP-EU"))

    # when a buyer tries to create one in Weft, it is refused
    with pytest.raises(OwnershipError, match="owned by ERP-EU"):
        draft_po(acme)


def test_the_erp_upsert_creates_and_issues_then_revises(acme, after_commit):
    # given the ERP owns purchase orders
    from tests.factories import ExternalSystemFactory

    erp = ExternalSystemFactory(code="ERP-EU")
    ownership_set(object_type="purchase_order", system=erp)
    sourced_item("BRK-1001", acme)
    order = {
        "number": "4500009001",
        "supplier": "S001",
        "plant": "P100",
        "currency": "EUR",
        "revision": 3,
        "lines": [
            {
                "line": 1,
                "item": "BRK-1001",
                "quantity": "100",
                "uom": "EA",
                "unit_price": Decimal("3.2"),
                "requested_date": in_days(15),
            }
        ],
    }

    # when the ERP sends it, it is issued at the ERP's revision
    po = after_commit(services.purchase_order_upsert, **order, writer="ERP-EU")
    assert (po.status, po.revision) == ("issued", 3)
    assert events_of("purchase_order.issued")[0].data["revision"] == 3

    # when the ERP sends the same revision again, nothing happens
    services.purchase_order_upsert(**order, writer="ERP-EU")
    assert events_of("purchase_order.change_requested") == []

    # when the supplier accepted and the ERP moves the date in revision 4
    services.purchase_order_acknowledge(
        po=po,
        revision=3,
        lines=[{"line": 1, "status": "accepted"}],
        acting_system=acme.external_system,
    )
    moved = order | {"revision": 4, "lines": [order["lines"][0] | {"requested_date": in_days(25)}]}
    services.purchase_order_upsert(**moved, writer="ERP-EU")

    # then the line awaits a new answer and the change request says revision 4
    line = line_of(po, 1)
    assert line.ack_status == "awaiting" and line.confirmed_date == in_days(15)
    assert events_of("purchase_order.change_requested")[0].data["revision"] == 4


def test_the_erp_cannot_go_back_a_revision_or_change_terms_without_one(acme):
    from tests.factories import ExternalSystemFactory

    ownership_set(object_type="purchase_order", system=ExternalSystemFactory(code="ERP-EU"))
    sourced_item("BRK-1001", acme)
    order = {
        "number": "4500009002",
        "supplier": "S001",
        "plant": "P100",
        "revision": 2,
        "lines": [
            {
                "line": 1,
                "item": "BRK-1001",
                "quantity": "100",
                "uom": "EA",
                "requested_date": in_days(15),
            }
        ],
    }
    services.purchase_order_upsert(**order, writer="ERP-EU")

    with pytest.raises(ApplicationError, match="revision 1 is older") as older:
        services.purchase_order_upsert(**order | {"revision": 1}, writer="ERP-EU")
    assert older.value.extra["field"] == "revision"

    changed = order | {"lines": [order["lines"][0] | {"quantity": "120"}]}
    with pytest.raises(ApplicationError, match="needs a new revision"):
        services.purchase_order_upsert(**changed, writer="ERP-EU")

    with pytest.raises(OwnershipError):
        services.purchase_order_upsert(**order, writer="weft")


def test_line_history_records_who_changed_it(po, buyer):
    services.purchase_order_revise(
        po=po, lines=[{"line": 20, "quantity": Decimal("11")}], acting_user=buyer
    )
    latest = PurchaseOrderLine.history.filter(line_number=20).latest("history_date")
    assert latest.history_user == buyer and latest.quantity == Decimal("11")
