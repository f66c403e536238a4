from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from execution.models import InventoryBalance, InventoryTransaction
from integrations.errors import ApplicationError, OwnershipError
from integrations.services import ownership_set
from procurement import services
from procurement.models import AdvanceShipNotice, PurchaseOrder, Receipt
from tests.factories import ExternalSystemFactory
from tests.procurement.factories import SupplierToleranceFactory, in_days, issued_po, line_of

pytestmark = pytest.mark.django_db


def ship(po, *lines, number="ASN-1", **kwargs):
    return services.asn_create(
        supplier=po.supplier,
        number=number,
        lines=list(lines),
        ship_date=kwargs.pop("ship_date", in_days(1)),
        expected_date=kwargs.pop("expected_date", in_days(4)),
        carrier="DHL",
        tracking="JD0001",
        acting_system=kwargs.pop("acting_system", po.supplier.external_system),
        **kwargs,
    )


def test_an_asn_records_shipped_quantities_in_the_lines_unit(po):
    # when the supplier ships 2 boxes (20 EA) of line 10 and 4 EA of line 20
    asn = ship(
        po,
        {"po": po.number, "line": 10, "quantity": "2", "uom": "BOX"},
        {"po": po.number, "line": 20, "quantity": "4", "uom": "EA"},
    )

    # then the ASN is in transit and the lines know what is on its way
    assert (asn.status, asn.carrier, asn.tracking) == ("in_transit", "DHL", "JD0001")
    first = asn.lines.get(po_line__line_number=10)
    assert (first.line_quantity, first.base_quantity, first.expected_date) == (
        Decimal("20"),
        Decimal("20"),
        in_days(4),
    )
    assert line_of(po, 10).shipped_quantity == Decimal("20")


def test_shipping_beyond_the_open_quantity_and_tolerance_is_refused_naming_the_line(po):
    # given 40 EA ordered on line 10 and a 5% over-delivery tolerance (42 EA at most)
    ship(po, {"po": po.number, "line": 10, "quantity": "30", "uom": "EA"})

    # when a second ASN ships 13 more
    with pytest.raises(ApplicationError) as refused:
        ship(
            po,
            {"po": po.number, "line": 20, "quantity": "1", "uom": "EA"},
            {"po": po.number, "line": 10, "quantity": "13", "uom": "EA"},
            number="ASN-2",
        )

    # then it is refused naming the line, and nothing of it is kept
    assert refused.value.extra == {"field": "lines[1].quantity", "value": "13"}
    assert f"{po.number} line 10" in refused.value.message and "open 10 EA" in refused.value.message
    assert not AdvanceShipNotice.objects.filter(number="ASN-2").exists()
    assert line_of(po, 20).shipped_quantity == 0

    # but 12 more (42 in all) is within tolerance
    ship(po, {"po": po.number, "line": 10, "quantity": "12", "uom": "EA"}, number="ASN-3")


def test_a_suppliers_own_over_delivery_tolerance_counts(po, acme):
    SupplierToleranceFactory(supplier=acme, over_delivery_percent=Decimal("0"))
    with pytest.raises(ApplicationError, match="over-delivery tolerance 0%"):
        ship(po, {"po": po.number, "line": 10, "quantity": "41", "uom": "EA"})


def test_the_same_asn_again_is_answered_with_the_one_recorded_and_other_lines_are_refused(po):
    line = {"po": po.number, "line": 10, "quantity": "10", "uom": "EA"}
    first = ship(po, line)
    assert ship(po, line) == first
    assert line_of(po, 10).shipped_quantity == Decimal("10")
    with pytest.raises(ApplicationError, match="recorded with other lines") as refused:
        ship(po, line | {"quantity": "11"})
    assert refused.value.status_code == 409


def test_an_asn_against_another_suppliers_po_is_refused_as_unknown(po, baltic):
    with pytest.raises(
        ApplicationError, match=f"S002 has no purchase order {po.number}"
    ) as refused:
        services.asn_create(
            supplier=baltic,
            number="B-1",
            lines=[{"po": po.number, "line": 10, "quantity": "1", "uom": "EA"}],
            acting_system=baltic.external_system,
        )
    assert refused.value.extra["field"] == "lines[0].po"


def test_a_system_may_not_ship_for_a_supplier_not_its_own(po, baltic):
    with pytest.raises(OwnershipError):
        ship(
            po,
            {"po": po.number, "line": 10, "quantity": "1", "uom": "EA"},
            acting_system=baltic.external_system,
        )


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"line": 77, "quantity": "1", "uom": "EA"}, "lines[0].line"),
        ({"line": 10, "quantity": "0", "uom": "EA"}, "lines[0].quantity"),
        ({"line": 10, "quantity": "x", "uom": "EA"}, "lines[0].quantity"),
        ({"line": 10, "quantity": "1", "uom": "PAL"}, "lines[0].uom"),
    ],
)
def test_bad_asn_lines_are_refused_naming_the_field(po, line, field):
    with pytest.raises(ApplicationError) as refused:
        ship(po, {"po": po.number, **line})
    assert refused.value.extra["field"] == field


def test_an_asn_expected_before_it_ships_is_refused(po):
    with pytest.raises(ApplicationError, match="before ship_date"):
        ship(
            po,
            {"po": po.number, "line": 10, "quantity": "1", "uom": "EA"},
            ship_date=in_days(5),
            expected_date=in_days(2),
        )


def test_a_shipment_update_moves_the_expected_date_of_the_asns_lines(po):
    asn = ship(po, {"po": po.number, "line": 10, "quantity": "10", "uom": "EA"})
    services.shipment_update(
        asn=asn,
        status="delayed",
        expected_date=in_days(9),
        location="Hamburg",
        reason="Port congestion",
    )
    asn.refresh_from_db()
    assert (asn.status, asn.expected_date, asn.location) == ("delayed", in_days(9), "Hamburg")
    assert {row.expected_date for row in asn.lines.all()} == {in_days(9)}
    assert asn.history.count() == 2


def receive(po, *lines, number="GR-1", **kwargs):
    return services.receipt_post(
        number=number, plant="P100", received_at=timezone.now(), lines=list(lines), **kwargs
    )


def test_receipts_close_line_quantities_and_move_the_po_status(po):
    # when 20 EA of line 10 arrive
    receive(po, {"po": po.number, "line": 10, "item": "BRK-1001", "quantity": "2", "uom": "BOX"})

    # then the line and the PO are partially received
    po.refresh_from_db()
    assert line_of(po, 10).received_quantity == Decimal("20")
    assert (line_of(po, 10).status, po.status) == (
        "partially_received",
        PurchaseOrder.Status.PARTIALLY_RECEIVED,
    )

    # when the rest of both lines arrive
    receive(
        po,
        {"po": po.number, "line": 10, "item": "BRK-1001", "quantity": "20", "uom": "EA"},
        {"po": po.number, "line": 20, "item": "PAD-2002", "quantity": "10", "uom": "EA"},
        number="GR-2",
    )

    # then both lines and the PO are received; the buyer can close it
    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.RECEIVED
    assert {line.status for line in po.lines.all()} == {"received"}
    services.purchase_order_close(po=po)
    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.CLOSED


def test_a_line_confirmed_short_is_received_when_its_confirmation_arrives(po):
    services.purchase_order_acknowledge(
        po=po,
        revision=0,
        lines=[{"line": 10, "status": "changed", "confirmed_quantity": Decimal("38")}],
        acting_system=po.supplier.external_system,
    )
    receive(po, {"po": po.number, "line": 10, "item": "BRK-1001", "quantity": "38", "uom": "EA"})
    assert line_of(po, 10).status == "received"


def test_the_same_receipt_again_changes_nothing(po):
    line = {"po": po.number, "line": 10, "item": "BRK-1001", "quantity": "5", "uom": "EA"}
    receive(po, line)
    receive(po, line)
    assert line_of(po, 10).received_quantity == Decimal("5")
    with pytest.raises(ApplicationError, match="posted with other lines"):
        receive(po, line | {"quantity": "6"})


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"po": "NOPE", "line": 10, "item": "BRK-1001"}, "lines[0].po"),
        ({"line": 99, "item": "BRK-1001"}, "lines[0].line"),
        ({"line": 10, "item": "PAD-2002"}, "lines[0].item"),
    ],
)
def test_bad_receipt_lines_are_refused_naming_the_field(po, line, field):
    with pytest.raises(ApplicationError) as refused:
        receive(po, {"po": po.number, "quantity": "1", "uom": "EA"} | line)
    assert refused.value.extra["field"] == field
    assert Receipt.objects.count() == 0


def test_a_receipt_at_another_plant_is_refused(po):
    from tests.factories import PlantFactory

    PlantFactory(code="P200")
    with pytest.raises(ApplicationError, match="is for plant P100, not P200"):
        services.receipt_post(
            number="GR-9",
            plant="P200",
            received_at=timezone.now(),
            lines=[{"po": po.number, "line": 10, "item": "BRK-1001", "quantity": "1", "uom": "EA"}],
        )


def test_only_the_system_of_record_of_receipts_posts_them(po):
    ownership_set(object_type="receipt", system=ExternalSystemFactory(code="WMS-1"))
    with pytest.raises(OwnershipError):
        receive(po, {"po": po.number, "line": 10, "item": "BRK-1001", "quantity": "1", "uom": "EA"})
    receive(
        po,
        {"po": po.number, "line": 10, "item": "BRK-1001", "quantity": "1", "uom": "EA"},
        writer="WMS-1",
    )
    assert Receipt.objects.get().source == "WMS-1"


def test_a_po_with_goods_received_is_not_cancelled(po):
    receive(po, {"po": po.number, "line": 10, "item": "BRK-1001", "quantity": "1", "uom": "EA"})
    with pytest.raises(ApplicationError) as refused:
        services.purchase_order_cancel(po=po)
    assert refused.value.status_code == 409


def test_receipt_history_keeps_the_received_quantity(acme):
    po = issued_po(acme)
    receive(po, {"po": po.number, "line": 20, "item": "PAD-2002", "quantity": "3", "uom": "EA"})
    line = line_of(po, 20)
    assert [h.received_quantity for h in line.history.order_by("history_date")][-1] == Decimal("3")
    assert line.history.filter(history_date__gte=timezone.now() - timedelta(minutes=1)).exists()


def test_a_receipt_books_stock_into_the_ledger_once(po):
    # when 2 boxes (20 EA) of line 10 arrive, and the same receipt is posted again
    line = {"po": po.number, "line": 10, "item": "BRK-1001", "quantity": "2", "uom": "BOX"}
    receive(po, line)
    receive(po, line)

    # then the plant's stock rose by 20 EA once, with the PO line as the reference
    balance = InventoryBalance.objects.get(item__code="BRK-1001", plant__code="P100")
    assert balance.on_hand == Decimal("20")
    booked = InventoryTransaction.objects.get(item__code="BRK-1001")
    assert booked.reference == f"PO {po.number}/10"
