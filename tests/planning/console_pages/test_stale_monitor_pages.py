"""Stale acknowledgements (remind, call notes) and the integration monitor (replay, trace)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.models import InboundMessage, OutboundMessage
from planning.models import CallNote, MrpRun
from procurement.models import PurchaseOrderLine
from tests.factories import ExternalSystemFactory, PlantFactory
from tests.integrations.delivery_factories import EventFactory, OutboundMessageFactory
from tests.planning.console_pages.conftest import refused_names
from tests.procurement.factories import issued_po

pytestmark = pytest.mark.django_db

STALE = "/console/stale/"


def tile(html: str, label: str) -> str:
    """The figure under a tile's label."""
    figure = html.split(f'<div class="text-secondary">{label}</div>', 1)[1]
    return figure.split(">", 1)[1].split("<", 1)[0]


def overdue(po, hours=5):
    PurchaseOrderLine.objects.filter(po=po).update(
        ack_due_at=timezone.now() - timedelta(hours=hours)
    )


def test_stale_lines_grouped_by_supplier_oldest_first(planner_client, po, baltic):
    other = issued_po(baltic)
    overdue(po, hours=2)
    overdue(other, hours=30)
    page = planner_client.get(STALE)
    assert page.status_code == 200
    assert [group["supplier"].code for group in page.context["groups"]] == ["S002", "S001"]
    assert page.context["tiles"]["past_due"] == 4  # two lines per PO


def test_a_line_not_yet_due_is_not_stale(planner_client, po):
    assert planner_client.get(STALE).context["tiles"]["past_due"] == 0


def test_remind_queues_procurements_reminder_for_those_lines(
    planner_client, po, django_capture_on_commit_callbacks, mailoutbox
):
    po.supplier.contact_emails = ["orders@acme.example"]
    po.supplier.save()
    overdue(po)
    line = po.lines.order_by("line_number").first()
    with django_capture_on_commit_callbacks(execute=True):
        response = planner_client.post(f"{STALE}remind/", {"supplier": "S001", "lines": [line.pk]})
    assert response.status_code == 302
    assert len(mailoutbox) == 1 and po.number in mailoutbox[0].body
    # Counted as procurement's own reminder: the count, when, and the next one an SLA period on.
    line.refresh_from_db()
    assert line.reminders_sent == 1 and line.last_reminded_at is not None
    assert line.next_reminder_at == line.last_reminded_at + timedelta(
        hours=po.supplier.ack_sla_hours
    )
    assert po.lines.exclude(pk=line.pk).get().reminders_sent == 0


def test_remind_under_htmx_redraws_the_suppliers_card_with_the_new_count(
    planner_client, po, baltic, django_capture_on_commit_callbacks, mailoutbox
):
    overdue(po)
    overdue(issued_po(baltic))
    lines = list(po.lines.order_by("line_number"))
    with django_capture_on_commit_callbacks(execute=True):
        response = planner_client.post(
            f"{STALE}remind/",
            {"supplier": "S001", "lines": [line.pk for line in lines]},
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<div class="card mb-3" id="stale-supplier-{po.supplier_id}"')
    assert "<html" not in html and "S002" not in html  # Acme's card only
    assert html.count('<td class="text-end">1</td>') == 2  # both lines: one reminder each
    assert "reminded" in html and "Reminder queued to S001 for 2 line(s)." in html
    assert [line.reminders_sent for line in po.lines.order_by("line_number")] == [1, 1]
    assert len(mailoutbox) == 1
    # The tiles follow, out of band: of 4 past-due lines only Baltic's 2 were never reminded.
    assert tile(html, "Past due") == "4" and tile(html, "Never reminded") == "2"
    page = planner_client.get(STALE).content.decode()
    remind = "/console/stale/remind/"
    assert (
        f'action="{remind}" hx-post="{remind}" hx-target="#stale-supplier-{po.supplier_id}"' in page
    )


def test_remind_refuses_foreign_lines_and_unknown_suppliers(planner_client, po, baltic):
    other = issued_po(baltic)
    overdue(po)
    overdue(other)
    foreign_line = other.lines.order_by("line_number").first()
    response = planner_client.post(
        f"{STALE}remind/", {"supplier": "S001", "lines": [foreign_line.pk]}
    )
    assert refused_names(response, "lines", foreign_line.pk)
    assert refused_names(
        planner_client.post(f"{STALE}remind/", {"supplier": "NOPE"}), "supplier", "NOPE"
    )
    assert refused_names(
        planner_client.post(f"{STALE}remind/", {"supplier": "S001", "lines": ["x"]}), "lines", "x"
    )


def test_call_notes_keep_who_and_when(planner_client, planner, po):
    overdue(po)
    assert (
        planner_client.post(
            f"{STALE}po/{po.pk}/note/", {"note": "Called Anna, answer tomorrow"}
        ).status_code
        == 302
    )
    note = CallNote.objects.get()
    assert note.author == planner and note.po == po and note.at
    assert "Called Anna" in planner_client.get(STALE).content.decode()
    assert refused_names(
        planner_client.post(f"{STALE}po/{po.pk}/note/", {"note": "  "}), "note", ""
    )
    assert CallNote.objects.count() == 1


def test_the_tiles_redrawn_after_a_remind_keep_the_pages_filters(planner_client, po, baltic):
    overdue(po)
    overdue(issued_po(baltic))
    response = planner_client.post(
        f"{STALE}remind/",
        {"supplier": "S001"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/console/stale/?supplier=S001",
    )
    html = response.content.decode()
    assert 'id="stale-tiles" hx-swap-oob="true"' in html
    assert (tile(html, "Past due"), tile(html, "Suppliers"), tile(html, "Never reminded")) == (
        "2",
        "1",
        "0",
    )


def test_a_call_note_under_htmx_redraws_the_card_with_the_note_open(planner_client, po):
    overdue(po)
    lines = [line.pk for line in po.lines.order_by("line_number")]
    response = planner_client.post(
        f"{STALE}po/{po.pk}/note/",
        {"note": "Anna promises an answer by noon", "lines": lines},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="stale-supplier-{po.supplier_id}"' in html and "<html" not in html
    assert html.count("Anna promises an answer by noon") >= 2  # the call log of both lines
    assert "<details open>" in html and f"Call note added to {po.number}." in html
    assert CallNote.objects.get().note == "Anna promises an answer by noon"
    refused = planner_client.post(
        f"{STALE}po/{po.pk}/note/", {"note": " ", "lines": lines}, HTTP_HX_REQUEST="true"
    )
    assert refused_names(refused, "note", "") and "<html" not in refused.content.decode()


def test_supplier_users_cannot_remind_or_note(supplier_client, foreign_client, po):
    overdue(po)
    for client in (supplier_client, foreign_client):
        assert client.post(f"{STALE}remind/", {"supplier": "S001"}).status_code == 403
        assert client.post(f"{STALE}po/{po.pk}/note/", {"note": "x"}).status_code == 403
    assert not CallNote.objects.exists()


# Integration monitor -------------------------------------------------------------------------

MONITOR = "/console/monitor/"


@pytest.fixture
def messages_(db):
    erp = ExternalSystemFactory(code="ERP-EU")
    dead_in = InboundMessage.objects.create(
        system=erp,
        idempotency_key="k1",
        message_type="demand_order",
        correlation_id="corr-1",
        body='{"id": "k1"}',
        body_sha256="x",
        status=InboundMessage.Status.DEAD,
        reason="boom",
        envelope={"id": "k1", "type": "demand_order", "data": {}},
    )
    applied = InboundMessage.objects.create(
        system=erp,
        idempotency_key="k2",
        message_type="item",
        correlation_id="corr-2",
        body="{}",
        body_sha256="y",
        status=InboundMessage.Status.APPLIED,
    )
    event = EventFactory(correlation_id="corr-1")
    dead_out = OutboundMessageFactory(event=event, status=OutboundMessage.Status.DEAD, attempts=5)
    dead_out.attempt_log.create(
        number=1, started_at=timezone.now(), duration_ms=12, status_code=500, error="HTTP 500"
    )
    MrpRun.objects.create(
        plant=PlantFactory(code="P700"),
        mode="net_change",
        status="succeeded",
        correlation_id="corr-1",
    )
    return {"dead_in": dead_in, "applied": applied, "dead_out": dead_out}


def test_monitor_counts_and_filters(planner_client, messages_):
    page = planner_client.get(
        MONITOR, {"direction": "inbound", "system": "ERP-EU", "status": "dead"}
    )
    assert page.status_code == 200
    assert [m.pk for m in page.context["page"]] == [messages_["dead_in"].pk]
    assert (
        page.context["stats"]["dead_inbound"] == 1 and page.context["stats"]["dead_outbound"] == 1
    )
    today = page.context["calendar"][-1]
    assert today["worst"] == "dead" and today["count"] == 2  # ERP-EU's two inbound messages
    out = planner_client.get(MONITOR, {"direction": "outbound", "status": "dead"})
    assert [m.pk for m in out.context["page"]] == [messages_["dead_out"].pk]


@pytest.mark.parametrize(
    ("params", "field", "value"),
    [
        ({"direction": "sideways"}, "direction", "sideways"),
        ({"status": "lost"}, "status", "lost"),
        ({"system": "NOPE"}, "system", "NOPE"),
    ],
)
def test_monitor_refuses_bad_filters(planner_client, messages_, params, field, value):
    assert refused_names(planner_client.get(MONITOR, params), field, value)


def test_payload_and_every_attempt_are_shown(planner_client, messages_):
    inbound = planner_client.get(f"{MONITOR}inbound/{messages_['dead_in'].pk}/").content.decode()
    assert "boom" in inbound and "&quot;id&quot;: &quot;k1&quot;" in inbound
    outbound = planner_client.get(f"{MONITOR}outbound/{messages_['dead_out'].pk}/").content.decode()
    assert "HTTP 500" in outbound and "purchase_order.issued" in outbound


def test_replay_one_dead_message_through_the_services(
    planner_client, messages_, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        response = planner_client.post(f"{MONITOR}outbound/{messages_['dead_out'].pk}/replay/")
    assert response.status_code == 302
    messages_["dead_out"].refresh_from_db()
    assert messages_["dead_out"].status == OutboundMessage.Status.PENDING
    assert messages_["dead_out"].replayed_by == "paula"
    again = planner_client.post(f"{MONITOR}outbound/{messages_['dead_out'].pk}/replay/")
    assert refused_names(again, "status", "pending")
    applied = planner_client.post(f"{MONITOR}inbound/{messages_['applied'].pk}/replay/")
    assert refused_names(applied, "status", "applied")


def test_replay_all_matching_the_filter(
    planner_client, messages_, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        response = planner_client.post(
            f"{MONITOR}replay/", {"direction": "inbound", "system": "ERP-EU"}
        )
    assert response.status_code == 302, response.content.decode()[-1500:]
    messages_["dead_in"].refresh_from_db()
    assert messages_["dead_in"].status == InboundMessage.Status.RECEIVED
    messages_["applied"].refresh_from_db()
    assert messages_["applied"].status == InboundMessage.Status.APPLIED
    nothing = planner_client.post(f"{MONITOR}replay/", {"direction": "inbound", "system": "ERP-EU"})
    assert nothing.status_code == 400


def test_trace_runs_from_inbound_through_events_and_deliveries_to_mrp_runs(
    planner_client, messages_
):
    page = planner_client.get(f"{MONITOR}trace/", {"correlation_id": "corr-1"})
    kinds = [entry["kind"] for entry in page.context["entries"]]
    assert kinds[0] == "inbound"
    assert set(kinds) == {"inbound", "event", "outbound", "mrp_run"}
    assert refused_names(
        planner_client.get(f"{MONITOR}trace/", {"correlation_id": "x" * 70}),
        "correlation_id",
        "x" * 10,
    )


def test_supplier_users_cannot_replay(supplier_client, foreign_client, messages_):
    for client in (supplier_client, foreign_client):
        assert (
            client.post(f"{MONITOR}outbound/{messages_['dead_out'].pk}/replay/").status_code == 403
        )
        assert client.post(f"{MONITOR}replay/", {"direction": "outbound"}).status_code == 403
    messages_["dead_out"].refresh_from_db()
    assert messages_["dead_out"].status == OutboundMessage.Status.DEAD
