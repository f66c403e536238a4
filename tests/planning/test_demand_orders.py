"""`demand_order.upserted`: the whole order by number, lines in base units, history kept, changes told."""

from decimal import Decimal

import pytest

from integrations.models import Event
from planning.models import DemandOrder, DemandOrderLine
from tests.planning.forecast_support import committing_client, send, sender, world

pytestmark = pytest.mark.django_db

ORDER = {
    "number": "SO-1",
    "customer": "ACME",
    "lines": [
        {
            "line": 1,
            "item": "BIKE",
            "plant": "P100",
            "quantity": "2",
            "uom": "BOX",
            "due_date": "2026-06-10",
        },
        {
            "line": 2,
            "item": "TRIKE",
            "plant": "P200",
            "quantity": "5",
            "uom": "EA",
            "due_date": "2026-06-12",
            "status": "open",
        },
    ],
}


@pytest.fixture
def shop(db):
    return world()


@pytest.fixture
def erp_client(shop, partner_key, django_capture_on_commit_callbacks):
    return committing_client(
        sender("ERP-1", "demand_order"), partner_key, django_capture_on_commit_callbacks
    )


def upsert(client, data, id):
    _, message = send(client, "demand_order.upserted", data, id=id)
    return message


def changed_pairs():
    event = Event.objects.filter(event_type="demand_order.changed").order_by("pk").last()
    return event.data if event else None


def test_an_order_is_stored_in_base_units_and_told_to_the_planner(erp_client):
    assert upsert(erp_client, ORDER, "o-1")["status"] == "applied"

    order = DemandOrder.objects.get()
    assert (order.number, order.customer, order.source_system) == ("SO-1", "ACME", "ERP-1")
    first, second = order.lines.order_by("line")
    assert (first.quantity, first.entered_quantity, first.entered_uom) == (12, 2, "BOX")
    assert (first.status, second.status, second.plant.code) == ("open", "open", "P200")
    assert changed_pairs() == {
        "number": "SO-1",
        "lines": [{"item": "BIKE", "plant": "P100"}, {"item": "TRIKE", "plant": "P200"}],
    }


def test_the_same_order_again_changes_nothing_and_tells_nobody(erp_client):
    upsert(erp_client, ORDER, "o-1")

    upsert(erp_client, ORDER, "o-2")

    assert Event.objects.filter(event_type="demand_order.changed").count() == 1
    assert DemandOrderLine.history.count() == 2


def test_a_changed_line_keeps_its_history_and_names_only_its_pair(erp_client):
    upsert(erp_client, ORDER, "o-1")
    changed = {**ORDER, "lines": [ORDER["lines"][0] | {"quantity": "3"}, ORDER["lines"][1]]}

    upsert(erp_client, changed, "o-2")

    line = DemandOrderLine.objects.get(line=1)
    assert line.quantity == 18
    assert [h.quantity for h in line.history.order_by("history_date")] == [12, 18]
    assert line.history.latest().history_system == "ERP-1"
    assert changed_pairs()["lines"] == [{"item": "BIKE", "plant": "P100"}]


def test_a_line_moved_to_another_item_names_the_old_and_the_new_pair(erp_client):
    upsert(erp_client, ORDER, "o-1")
    moved = {**ORDER, "lines": [ORDER["lines"][0] | {"item": "TRIKE", "uom": "EA"}]}

    upsert(erp_client, moved, "o-2")

    assert changed_pairs()["lines"] == [
        {"item": "BIKE", "plant": "P100"},
        {"item": "TRIKE", "plant": "P100"},
        {"item": "TRIKE", "plant": "P200"},
    ]


def test_cancelled_lines_and_lines_left_out_are_cancelled_not_deleted(erp_client):
    upsert(erp_client, ORDER, "o-1")
    cancelled = {"number": "SO-1", "lines": [ORDER["lines"][0] | {"status": "cancelled"}]}

    upsert(erp_client, cancelled, "o-2")

    statuses = dict(DemandOrderLine.objects.values_list("line", "status"))
    assert statuses == {1: "cancelled", 2: "cancelled"}
    assert DemandOrder.objects.get().customer == "ACME"
    assert changed_pairs()["lines"] == [
        {"item": "BIKE", "plant": "P100"},
        {"item": "TRIKE", "plant": "P200"},
    ]
    assert not DemandOrderLine.objects.open().exists()


@pytest.mark.parametrize(
    ("change", "field", "value"),
    [
        ({"item": "NOPE"}, "lines.1.item", "NOPE"),
        ({"plant": "P999"}, "lines.1.plant", "P999"),
        ({"uom": "KG"}, "lines.1.uom", "KG"),
        ({"quantity": "0"}, "lines.1.quantity", "0"),
        ({"line": 1}, "lines.1.line", 1),
    ],
    ids=["unknown item", "unknown plant", "unit", "zero quantity", "line twice"],
)
def test_a_bad_line_rejects_the_whole_order(erp_client, change, field, value):
    bad = {**ORDER, "lines": [ORDER["lines"][0], ORDER["lines"][1] | change]}

    message = upsert(erp_client, bad, "bad")

    assert message["status"] == "rejected"
    assert (message["errors"][0]["field"], message["errors"][0]["value"]) == (field, value)
    assert not DemandOrder.objects.exists()
    assert not Event.objects.filter(event_type="demand_order.changed").exists()


def test_only_the_order_system_sends_orders(shop, partner_key, django_capture_on_commit_callbacks):
    sender("ERP-1", "demand_order")
    other = committing_client(
        sender("DP-1", "forecast"), partner_key, django_capture_on_commit_callbacks
    )

    message = upsert(other, ORDER, "o-x")

    assert message["status"] == "rejected"
    assert "owned by ERP-1" in message["reason"]
    assert not DemandOrder.objects.exists()
    assert Decimal(0) == sum(DemandOrderLine.objects.values_list("quantity", flat=True))
