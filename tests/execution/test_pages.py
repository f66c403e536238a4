"""The console page of one item at one plant: planners and buyers only, no inline code."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from execution.services import inventory_adjust, quality_hold_place, work_order_upsert
from tests.factories import PlannerFactory, SupplierUserFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(shop):
    inventory_adjust(transaction_id="OPEN-1", plant="P100", item="BOLT", quantity=120, uom="EA")
    quality_hold_place(
        hold_id="QH-7", plant="P100", item="BOLT", quantity=Decimal("20"), uom="EA", reason="rust"
    )
    work_order_upsert(
        number="WO-77",
        item="BOLT",
        plant="P100",
        quantity=Decimal("500"),
        uom="EA",
        due_date=date(2026, 6, 1),
        status="released",
    )
    return reverse("execution:item-plant", args=["BOLT", "P100"])


def test_a_planner_sees_balance_movements_holds_and_open_work_orders(client, page):
    client.force_login(PlannerFactory())

    response = client.get(page)

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'id="on-hand">120<', html)
    assert re.search(r'id="on-hold">20<', html)
    assert re.search(r'id="available">100<', html)
    assert "OPEN-1" in html and "QH-7" in html and "rust" in html and "WO-77" in html
    assert response.context["balance"].available == 100


def test_a_buyer_and_staff_may_look_too(client, page):
    for user in (PlannerFactory(groups=["buyers"]), UserFactory(is_staff=True)):
        client.force_login(user)
        assert client.get(page).status_code == 200


def test_the_page_has_no_inline_script_or_style(client, page):
    client.force_login(PlannerFactory())

    html = client.get(page).content.decode()

    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert " style=" not in html and "<style" not in html


def test_a_supplier_user_is_refused(client, page):
    client.force_login(SupplierUserFactory())

    assert client.get(page).status_code == 403


def test_a_user_without_a_role_is_refused(client, page):
    client.force_login(UserFactory())

    assert client.get(page).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, page):
    response = client.get(page)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_unknown_item_or_plant_is_not_found(client, shop):
    client.force_login(PlannerFactory())

    assert client.get(reverse("execution:item-plant", args=["NOPE", "P100"])).status_code == 404
    assert client.get(reverse("execution:item-plant", args=["BOLT", "P9"])).status_code == 404


def test_an_item_never_stocked_says_so(client, shop):
    client.force_login(PlannerFactory())

    response = client.get(reverse("execution:item-plant", args=["FRAME", "P200"]))

    assert response.status_code == 200
    assert b"No stock has ever been booked" in response.content
