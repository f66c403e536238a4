import pytest

from masterdata.demo import seed_masterdata
from masterdata.models import Supplier
from procurement.demo import STATES, seed_procurement
from procurement.models import AdvanceShipNotice, PurchaseOrder, SupplierProposal
from procurement.selectors import stale_acknowledgement_list
from tests.factories import PlannerFactory, SupplierUserFactory

pytestmark = pytest.mark.django_db


def test_the_demo_gives_each_portal_supplier_a_po_in_every_state_and_reruns_harmlessly():
    # given the demo masters, a buyer and the two portal users
    seed_masterdata(items=40, levels=3)
    PlannerFactory(username="buyer", groups=["buyers"])
    SupplierUserFactory(username="acme", supplier=Supplier.objects.get(code="S001"))
    SupplierUserFactory(username="baltic", supplier=Supplier.objects.get(code="S002"))

    # when the procurement demo is seeded twice
    steps = []
    created = seed_procurement(progress=lambda step, n: steps.append((step, n)))
    again = seed_procurement()

    # then each supplier has every state, and the second run added nothing
    assert created == 2 * len(STATES) and again == 0
    assert steps == [("purchase orders", 2 * len(STATES))]
    for code in ("S001", "S002"):
        states = set(
            PurchaseOrder.objects.filter(supplier__code=code).values_list("status", flat=True)
        )
        assert states == {
            "draft",
            "issued",
            "acknowledged",
            "partially_received",
            "received",
            "closed",
            "cancelled",
        }
        assert SupplierProposal.objects.filter(
            po_line__po__supplier__code=code, status="pending"
        ).exists()
        assert SupplierProposal.objects.filter(
            po_line__po__supplier__code=code, status="rejected"
        ).exists()
        assert AdvanceShipNotice.objects.filter(supplier__code=code, status="in_transit").exists()
        assert stale_acknowledgement_list(suppliers=Supplier.objects.filter(code=code)).exists()
