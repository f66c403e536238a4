"""Raise, refresh, close, reopen and triage: the rules of the exception row and its history."""

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from integrations.errors import ApplicationError
from integrations.models import Event
from integrations.schemas import data_errors
from planning.exceptions import services
from planning.exceptions.services import Condition
from planning.models import ExceptionEvent, PlanningException
from tests.factories import ItemFactory, PlannerFactory, PlantFactory, SupplierFactory
from tests.planning.console.conftest import make_exception

pytestmark = pytest.mark.django_db
State = PlanningException.State


def events(event_type):
    return [e.data for e in Event.objects.filter(event_type=event_type).order_by("id")]


def actions(exception):
    return list(exception.events.order_by("id").values_list("action", flat=True))


def test_raising_opens_one_row_owned_by_the_items_planner_and_emits_the_contract():
    # given an item with a planner
    planner = PlannerFactory(username="paula")
    item = ItemFactory(code="BRK-1", planner=planner)
    plant = PlantFactory(code="P100")
    supplier = SupplierFactory(code="S001")

    # when the condition is raised
    exception, outcome = services.exception_raise_or_refresh(
        Condition(
            key="shortage:BRK-1:P100",
            kind="shortage",
            severity=PlanningException.Severity.HIGH,
            summary="BRK-1 short 40 from 12 May",
            item=item,
            plant=plant,
            supplier=supplier,
        )
    )

    # then it is open, new, owned by the planner, and `exception.raised` carries the contract
    assert outcome == "raised"
    assert (exception.state, exception.planner, exception.assigned_to) == ("new", planner, planner)
    (data,) = events("exception.raised")
    assert data == {
        "key": "shortage:BRK-1:P100",
        "kind": "shortage",
        "severity": "high",
        "item": "BRK-1",
        "plant": "P100",
        "supplier": "S001",
        "summary": "BRK-1 short 40 from 12 May",
    }
    assert data_errors("exception.raised", 1, data) == []
    assert actions(exception) == ["raised"]


def test_the_same_condition_is_never_listed_twice():
    # given a raised condition
    first = make_exception(key="dead_inbound:inbound_message:7", kind="dead_inbound")

    # when a detector sees it again, with a new summary and severity
    again, outcome = services.exception_raise_or_refresh(
        Condition(
            key="dead_inbound:inbound_message:7",
            kind="dead_inbound",
            summary="still dead",
            severity=PlanningException.Severity.CRITICAL,
        )
    )

    # then the one row is refreshed, the severity change is in its history, and nothing re-emitted
    assert outcome == "refreshed" and again.pk == first.pk
    assert PlanningException.objects.filter(key=first.key).count() == 1
    assert again.summary == "still dead"
    assert actions(again) == ["raised", "severity"]
    assert len(events("exception.raised")) == 1


def test_the_database_refuses_a_second_open_row_for_a_key():
    first = make_exception(key="shortage:x")
    with pytest.raises(IntegrityError):
        PlanningException.objects.create(key=first.key, kind="shortage", summary="twice")


def test_a_cleared_condition_auto_closes_and_a_returning_one_reopens_the_same_row():
    # given an open exception
    exception = make_exception(key="ack_overdue:po_line:1", kind="ack_overdue")

    # when the condition clears
    services.exception_close(key=exception.key, reason="auto-closed: supplier confirmed")

    # then it is closed with the reason, and `exception.resolved` is emitted
    exception.refresh_from_db()
    assert exception.state == State.CLOSED and exception.closed_at is not None
    assert exception.close_reason == "auto-closed: supplier confirmed"
    assert [d["key"] for d in events("exception.resolved")] == [exception.key]
    assert data_errors("exception.resolved", 1, events("exception.resolved")[0]) == []

    # when the condition returns
    again, outcome = services.exception_raise_or_refresh(
        Condition(key=exception.key, kind="ack_overdue", summary="late again")
    )

    # then the same row reopens as new, and the history tells the story
    assert outcome == "reopened" and again.pk == exception.pk
    assert (again.state, again.closed_at, again.reopen_count) == ("new", None, 1)
    assert actions(again) == ["raised", "auto_closed", "reopened"]
    assert len(events("exception.raised")) == 2


def test_closing_a_condition_nobody_raised_does_nothing():
    assert services.exception_close(key="shortage:none", reason="auto-closed") is None
    assert not Event.objects.exists()


def test_a_resolved_exception_stays_resolved_while_its_condition_lasts(planner):
    # given an exception a planner resolved as accepted
    exception = make_exception(key="shortage:y")
    services.exception_resolve(
        exception=exception, resolution="accepted", note="ok", acting_user=planner
    )

    # when the detector still sees the condition
    same, outcome = services.exception_raise_or_refresh(
        Condition(key="shortage:y", kind="shortage", summary="still short")
    )

    # then it is not listed again
    assert outcome == "kept resolved" and same.state == State.RESOLVED

    # but once the condition cleared and then returns, it reopens
    services.exception_close(key="shortage:y", reason="auto-closed: covered")
    back, outcome = services.exception_raise_or_refresh(
        Condition(key="shortage:y", kind="shortage", summary="short again")
    )
    assert outcome == "reopened" and back.state == State.NEW and back.resolution == ""


def test_an_unknown_kind_is_refused_naming_it():
    with pytest.raises(ApplicationError) as refused:
        services.exception_raise_or_refresh(Condition(key="k", kind="weather", summary="rain"))
    assert refused.value.extra == {"field": "kind", "value": "weather"}
    assert not PlanningException.objects.exists()


def test_every_triage_step_is_in_the_history_with_who_and_when(planner):
    # given a new exception and a colleague
    exception = make_exception()
    colleague = PlannerFactory(username="carla")
    until = timezone.now() + timedelta(days=2)

    # when a planner acknowledges, assigns, snoozes and resolves it
    services.exception_acknowledge(exception=exception, acting_user=planner, note="looking")
    services.exception_assign(exception=exception, assignee=colleague, acting_user=planner)
    services.exception_snooze(exception=exception, until=until, acting_user=planner, note="wait")
    services.exception_resolve(
        exception=exception, resolution="fixed", note="expedited", acting_user=planner
    )

    # then each step is recorded with its actor, states and note
    rows = list(exception.events.order_by("id"))
    assert [(r.action, r.from_state, r.to_state) for r in rows] == [
        ("raised", "", "new"),
        ("acknowledged", "new", "acknowledged"),
        ("assigned", "acknowledged", "acknowledged"),
        ("snoozed", "acknowledged", "snoozed"),
        ("resolved", "snoozed", "resolved"),
    ]
    assert {r.actor for r in rows[1:]} == {planner}
    assert rows[2].data == {"assignee": "carla"}
    assert rows[4].note == "expedited"
    exception.refresh_from_db()
    assert (exception.state, exception.resolution, exception.assigned_to) == (
        "resolved",
        "fixed",
        colleague,
    )


def test_a_closed_exception_takes_no_triage_step(planner):
    exception = make_exception()
    services.exception_close(key=exception.key, reason="auto-closed")
    with pytest.raises(ApplicationError) as refused:
        services.exception_acknowledge(exception=exception, acting_user=planner)
    assert refused.value.status_code == 409
    assert refused.value.extra == {"field": "state", "value": "closed"}


@pytest.mark.parametrize("until", ["next tuesday", "2020-01-01", "2026-13-45"])
def test_a_bad_snooze_date_is_refused_naming_the_value(planner, until):
    exception = make_exception()
    with pytest.raises(ApplicationError) as refused:
        services.exception_snooze(exception=exception, until=until, acting_user=planner)
    assert refused.value.extra["field"] == "until"
    exception.refresh_from_db()
    assert exception.state == State.NEW


def test_a_snooze_that_ran_out_puts_the_exception_back(planner):
    exception = make_exception()
    services.exception_snooze(
        exception=exception, until=timezone.now() + timedelta(hours=1), acting_user=planner
    )

    assert services.exceptions_wake_snoozed(now=timezone.now()) == 0
    assert services.exceptions_wake_snoozed(now=timezone.now() + timedelta(hours=2)) == 1

    exception.refresh_from_db()
    assert (exception.state, exception.snoozed_until) == ("new", None)
    assert actions(exception)[-1] == ExceptionEvent.Action.WOKE


def test_bulk_steps_apply_to_open_rows_and_skip_closed_ones(planner):
    # given three open and one closed exception
    rows = [make_exception() for _ in range(3)]
    closed = make_exception()
    services.exception_close(key=closed.key, reason="auto-closed")
    ids = [r.pk for r in rows] + [closed.pk]

    # when they are bulk acknowledged, assigned, snoozed and resolved
    assert services.exceptions_bulk_acknowledge(ids=ids, acting_user=planner) == 3
    assert services.exceptions_bulk_assign(ids=ids, assignee="planner", acting_user=planner) == 3
    until = timezone.now() + timedelta(days=1)
    assert services.exceptions_bulk_snooze(ids=ids, until=until, acting_user=planner) == 3
    assert (
        services.exceptions_bulk_resolve(ids=ids, resolution="not_an_issue", acting_user=planner)
        == 3
    )

    # then every open one went through each step, and the closed one was left alone
    for row in rows:
        assert actions(row) == ["raised", "acknowledged", "assigned", "snoozed", "resolved"]
    assert actions(closed) == ["raised", "auto_closed"]


@pytest.mark.parametrize(
    ("kwargs", "field", "value"),
    [
        ({"ids": []}, "ids", ""),
        ({"ids": ["abc"]}, "ids", "abc"),
        ({"ids": [1], "resolution": "shrug"}, "resolution", "shrug"),
    ],
)
def test_bulk_bad_input_is_refused_naming_field_and_value(planner, kwargs, field, value):
    kwargs.setdefault("resolution", "fixed")
    with pytest.raises(ApplicationError) as refused:
        services.exceptions_bulk_resolve(acting_user=planner, **kwargs)
    assert refused.value.extra == {"field": field, "value": value}


def test_bulk_assign_to_an_unknown_user_is_refused(planner):
    exception = make_exception()
    with pytest.raises(ApplicationError) as refused:
        services.exceptions_bulk_assign(ids=[exception.pk], assignee="ghost", acting_user=planner)
    assert refused.value.extra == {"field": "assignee", "value": "ghost"}
