"""The workbench in the browser's terms: list, filters, counts, pages, bulk steps, the panel and its actions."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import InboundMessage
from planning.exceptions import selectors
from planning.exceptions.tasks import sweep_exceptions
from planning.models import PlanningException
from procurement import services as procurement
from procurement.models import SupplierProposal
from tests.factories import (
    ExternalSystemFactory,
    PlantFactory,
    SourcingRuleFactory,
    SupplierFactory,
)
from tests.planning.console.conftest import make_exception
from tests.procurement.factories import in_days, line_of

pytestmark = pytest.mark.django_db
HOME = reverse("console:home")
HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "exception-list"}


@pytest.fixture
def signed_in(client, planner):
    client.force_login(planner)
    return client


def test_the_list_shows_open_exceptions_with_counts_per_kind(signed_in):
    make_exception(kind="shortage", summary="BRK short 40")
    make_exception(kind="dead_inbound", summary="Dead 855 from ACME")
    response = signed_in.get(HOME)
    assert response.status_code == 200
    body = response.content.decode()
    assert "BRK short 40" in body and "Dead 855 from ACME" in body
    assert 'id="exception-tiles"' in body and "Shortage" in body


def test_a_filter_change_answers_the_list_and_the_counts_out_of_band(signed_in):
    make_exception(kind="shortage", summary="BRK short 40")
    make_exception(kind="dead_inbound", summary="Dead 855 from ACME")

    response = signed_in.get(HOME, {"kind": "shortage"}, **HX)

    body = response.content.decode()
    assert "BRK short 40" in body and "Dead 855 from ACME" not in body
    assert 'id="exception-tiles" class="weft-tiles mb-3" hx-swap-oob="true"' in body
    assert "<html" not in body


@pytest.mark.parametrize(
    ("params", "field", "value"),
    [
        ({"kind": "weather"}, "kind", "weather"),
        ({"severity": "urgent"}, "severity", "urgent"),
        ({"state": "lost"}, "state", "lost"),
        ({"age": "9y"}, "age", "9y"),
        ({"sort": "colour"}, "sort", "colour"),
        ({"after": "not-a-cursor"}, "after", "not-a-cursor"),
    ],
)
def test_bad_list_input_is_a_400_naming_field_and_value(signed_in, params, field, value):
    for extra in ({}, HX):
        response = signed_in.get(HOME, params, **extra)
        assert response.status_code == 400
        body = response.content.decode()
        assert f"<code>{field}</code>" in body and f"<code>{value}</code>" in body


def test_search_finds_by_summary_and_po(signed_in, po):
    make_exception(summary="Furnace down at ACME")
    make_exception(summary="Other thing")
    body = signed_in.get(HOME, {"q": "furnace"}, **HX).content.decode()
    assert "Furnace down" in body and "Other thing" not in body


def test_filters_by_plant_supplier_owner_severity_age_and_state(signed_in, planner):
    plant, supplier = PlantFactory(code="P900"), SupplierFactory(code="S900")
    target = make_exception(summary="the one", plant=plant, supplier=supplier, severity=4)
    make_exception(summary="another")
    PlanningException.objects.filter(pk=target.pk).update(
        assigned_to=planner, opened_at=timezone.now() - timedelta(days=4)
    )
    params = {
        "plant": "P900",
        "supplier": "S900",
        "planner": "me",
        "severity": "critical",
        "age": "3d",
        "state": "open",
    }
    body = signed_in.get(HOME, params, **HX).content.decode()
    assert "the one" in body and "another" not in body


def test_snoozed_and_closed_rows_leave_the_default_view(signed_in, planner):
    snoozed = make_exception(summary="snoozed one")
    make_exception(summary="still here")
    signed_in.post(
        reverse("console:exception-triage", args=[snoozed.pk, "snooze"]),
        {"until": in_days(3).isoformat()},
    )
    body = signed_in.get(HOME, **HX).content.decode()
    assert "still here" in body and "snoozed one" not in body
    assert "snoozed one" in signed_in.get(HOME, {"state": "snoozed"}, **HX).content.decode()


def test_keyset_pages_walk_every_row_once_in_each_sort(signed_in, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 3)
    for n in range(7):
        make_exception(summary=f"row {n}", severity=1 + n % 4)
    for sort in ("severity", "oldest", "newest"):
        seen, after = [], ""
        while True:
            response = signed_in.get(HOME, {"sort": sort, "after": after}, **HX)
            context = response.context
            seen += [row.pk for row in context["rows"]]
            after = context["page"].next_cursor
            if not after:
                break
        assert len(seen) == len(set(seen)) == 7, sort
        pages = -(-7 // 3)
        assert pages == 3


def test_the_first_page_costs_a_fixed_number_of_queries(signed_in, django_assert_max_num_queries):
    for n in range(60):
        make_exception(summary=f"row {n}")
    with django_assert_max_num_queries(14):
        assert signed_in.get(HOME, **HX).status_code == 200


def test_new_since_counts_only_rows_opened_after_the_page_loaded(signed_in):
    make_exception(summary="old")
    since = timezone.now()
    make_exception(summary="fresh")
    response = signed_in.get(reverse("console:exception-new-since"), {"since": since.isoformat()})
    assert "1 new since you loaded" in response.content.decode()
    bad = signed_in.get(reverse("console:exception-new-since"), {"since": "yesterday"})
    assert bad.status_code == 400 and "<code>since</code>" in bad.content.decode()


def test_bulk_acknowledge_then_snooze_then_resolve(signed_in, planner):
    rows = [make_exception(summary=f"bulk {n}") for n in range(3)]
    ids = [r.pk for r in rows[:2]]
    url = reverse("console:exception-bulk")

    response = signed_in.post(url, {"action": "acknowledge", "ids": ids}, **HX)
    assert response.status_code == 200 and "Acknowledge: 2 exceptions." in response.content.decode()
    assert set(PlanningException.objects.filter(pk__in=ids).values_list("state", flat=True)) == {
        "acknowledged"
    }

    response = signed_in.post(
        url, {"action": "snooze", "ids": ids, "until": in_days(2).isoformat()}, **HX
    )
    assert "Snooze: 2 exceptions." in response.content.decode()
    assert set(PlanningException.objects.filter(pk__in=ids).values_list("state", flat=True)) == {
        "snoozed"
    }

    response = signed_in.post(url, {"action": "resolve", "ids": ids, "resolution": "fixed"}, **HX)
    assert set(PlanningException.objects.filter(pk__in=ids).values_list("state", flat=True)) == {
        "resolved"
    }
    assert PlanningException.objects.get(pk=rows[2].pk).state == "new"


@pytest.mark.parametrize(
    ("data", "field", "value"),
    [
        ({"action": "snooze", "until": "2019-01-01"}, "until", "2019-01-01"),
        ({"action": "snooze", "until": "soon"}, "until", "soon"),
        ({"action": "explode"}, "action", "explode"),
        ({"action": "resolve", "resolution": "shrug"}, "resolution", "shrug"),
        ({"action": "assign", "assignee": "ghost"}, "assignee", "ghost"),
    ],
)
def test_bulk_bad_input_is_a_400_and_changes_nothing(signed_in, data, field, value):
    row = make_exception()
    response = signed_in.post(reverse("console:exception-bulk"), {**data, "ids": [row.pk]}, **HX)
    assert response.status_code == 400
    body = response.content.decode()
    assert f"<code>{field}</code>" in body and f"<code>{value}</code>" in body
    row.refresh_from_db()
    assert row.state == "new" and row.events.count() == 1


def test_bulk_without_a_selection_is_refused(signed_in):
    response = signed_in.post(reverse("console:exception-bulk"), {"action": "acknowledge"}, **HX)
    assert response.status_code == 400 and "<code>ids</code>" in response.content.decode()


def test_triage_with_a_bad_snooze_date_is_a_400(signed_in):
    row = make_exception()
    url = reverse("console:exception-triage", args=[row.pk, "snooze"])
    response = signed_in.post(url, {"until": "31/12/2026"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "<code>until</code>" in response.content.decode()
    assert "<code>31/12/2026</code>" in response.content.decode()


def test_an_unknown_exception_is_a_404(signed_in):
    assert signed_in.get(reverse("console:exception-detail", args=[999999])).status_code == 404


def proposal_exception(po):
    procurement.purchase_order_acknowledge(
        po=po,
        revision=0,
        lines=[
            {
                "line": 10,
                "status": "changed",
                "confirmed_date": in_days(27),
                "reason": "Furnace down",
            }
        ],
        acting_system=po.supplier.external_system,
    )
    sweep_exceptions()
    return PlanningException.objects.get(kind="proposal_review")


def test_the_panel_shows_the_line_dates_history_and_alternate_sources(signed_in, po, baltic):
    exception = proposal_exception(po)
    line = line_of(po, 10)
    SourcingRuleFactory(
        item=line.item, supplier=baltic, plant=po.plant, lead_time_days=12, unit_price="3.45"
    )

    response = signed_in.get(
        reverse("console:exception-detail", args=[exception.pk]), HTTP_HX_REQUEST="true"
    )

    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert "Why it matters" in body
    assert in_days(27).strftime("%a %-d %b %Y") in body  # proposed
    assert in_days(20).strftime("%a %-d %b %Y") in body  # requested
    assert "+7 d" in body
    assert "Furnace down" in body
    assert "S002" in body and "12 d" in body and "3.45" in body
    assert "Accept as proposed" in body and "Send change request" in body


def test_accepting_from_the_panel_closes_the_exception(signed_in, po):
    exception = proposal_exception(po)
    proposal = SupplierProposal.objects.get()
    response = signed_in.post(
        reverse("console:exception-fix", args=[exception.pk, "accept"]),
        {"proposal": proposal.pk},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    exception.refresh_from_db()
    assert (exception.state, exception.close_reason) == ("closed", "auto-closed: proposal accepted")
    assert f'id="exc-{exception.pk}"' in response.content.decode()  # the row, out of band
    actions = list(exception.events.values_list("action", flat=True))
    assert actions == ["raised", "action", "auto_closed"]


def test_a_change_request_from_the_panel_makes_a_revision(signed_in, po):
    exception = proposal_exception(po)
    response = signed_in.post(
        reverse("console:exception-fix", args=[exception.pk, "change"]),
        {
            "priority": "expedite",
            "requested_date": in_days(21).isoformat(),
            "quantity": "40",
            "reason": "Line stop",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    po.refresh_from_db()
    assert po.revision == 1 and line_of(po, 10).requested_date == in_days(21)
    exception.refresh_from_db()
    assert exception.is_open and exception.detail["stage"] == "awaiting_supplier"
    assert exception.state == "acknowledged"


def test_a_change_request_with_a_bad_date_is_a_400_and_sends_nothing(signed_in, po):
    exception = proposal_exception(po)
    response = signed_in.post(
        reverse("console:exception-fix", args=[exception.pk, "change"]),
        {"priority": "expedite", "requested_date": "tomorrow", "reason": "x"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert "<code>requested_date</code>" in response.content.decode()
    po.refresh_from_db()
    assert po.revision == 0


def test_replaying_a_dead_inbound_message_closes_its_exception(signed_in):
    system = ExternalSystemFactory(code="ERP-EU")
    envelope = {"type": "weather.report", "version": 1, "id": "m-1", "source": "ERP-EU", "data": {}}
    message = InboundMessage.objects.create(
        system=system,
        idempotency_key="m-1",
        message_type="weather.report",
        correlation_id="c-1",
        body=json.dumps(envelope),
        body_sha256="0" * 64,
        envelope=envelope,
        status="dead",
        reason="Gave up",
    )
    sweep_exceptions()
    exception = PlanningException.objects.get(inbound_message=message)
    response = signed_in.post(
        reverse("console:exception-fix", args=[exception.pk, "replay"]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    exception.refresh_from_db()
    assert exception.state == "closed" and exception.close_reason.startswith(
        "auto-closed: replayed"
    )


def test_an_unknown_fix_action_is_a_400(signed_in):
    row = make_exception()
    response = signed_in.post(
        reverse("console:exception-fix", args=[row.pk, "teleport"]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400 and "<code>teleport</code>" in response.content.decode()


def test_a_change_request_that_changes_nothing_is_refused(signed_in, po):
    exception = proposal_exception(po)
    response = signed_in.post(
        reverse("console:exception-fix", args=[exception.pk, "change"]),
        {
            "priority": "expedite",
            "requested_date": in_days(20).isoformat(),
            "quantity": "40",
            "reason": "x",
        },
        HTTP_HX_REQUEST="true",
    )
    assert (
        response.status_code == 400 and "<code>requested_date</code>" in response.content.decode()
    )
    po.refresh_from_db()
    assert po.revision == 0 and exception.events.count() == 1


def test_empty_filter_values_from_the_form_mean_no_filter(signed_in):
    make_exception(summary="kept")
    params = {
        "q": "",
        "severity": "",
        "plant": "",
        "planner": "",
        "age": "",
        "state": "",
        "sort": "",
    }
    response = signed_in.get(HOME, params, **HX)
    assert response.status_code == 200 and "kept" in response.content.decode()


def test_a_proposal_of_another_line_is_not_found_through_this_exception(signed_in, po):
    # given a proposal exception for line 10, and a pending proposal on line 20 as well
    exception = proposal_exception(po)
    procurement.purchase_order_acknowledge(
        po=po,
        revision=0,
        lines=[{"line": 20, "status": "changed", "confirmed_date": in_days(45)}],
        acting_system=po.supplier.external_system,
    )
    foreign = SupplierProposal.objects.get(po_line__line_number=20)

    # when the planner posts line 20's proposal through line 10's exception
    response = signed_in.post(
        reverse("console:exception-fix", args=[exception.pk, "accept"]),
        {"proposal": foreign.pk},
        HTTP_HX_REQUEST="true",
    )

    # then it is not found there, and nothing is decided
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == "pending"


def test_triage_steps_over_http_answer_the_panel_and_the_row_out_of_band(signed_in, planner):
    row = make_exception(summary="to triage")
    for step, data in (
        ("acknowledge", {"note": "seen"}),
        ("assign", {"assignee": "planner"}),
        ("resolve", {"resolution": "not_an_issue", "note": "duplicate of PO change"}),
    ):
        response = signed_in.post(
            reverse("console:exception-triage", args=[row.pk, step]), data, HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 200, step
        body = response.content.decode()
        assert (
            f'<template>\n<tr id="exc-{row.pk}"' in body
            or f'<template><tr id="exc-{row.pk}"' in body
        )
    row.refresh_from_db()
    assert (row.state, row.resolution, row.assigned_to) == ("resolved", "not_an_issue", planner)
    again = signed_in.post(
        reverse("console:exception-triage", args=[row.pk, "acknowledge"]), HTTP_HX_REQUEST="true"
    )
    assert again.status_code == 409 and "<code>state</code>" in again.content.decode()


def test_without_htmx_the_detail_is_a_page_of_its_own(signed_in):
    row = make_exception(summary="standalone")
    response = signed_in.get(reverse("console:exception-detail", args=[row.pk]))
    assert (
        response.status_code == 200
        and b"<html" in response.content
        and b"standalone" in response.content
    )


def test_paging_on_leaves_the_counts_alone(signed_in, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    for n in range(3):
        make_exception(summary=f"row {n}")
    first = signed_in.get(HOME, **HX)
    assert 'hx-swap-oob="true"' in first.content.decode()
    after = first.context["page"].next_cursor
    second = signed_in.get(HOME, {"after": after}, **HX)
    body = second.content.decode()
    assert second.status_code == 200 and "row 2" in body
    assert 'id="exception-tiles"' not in body
