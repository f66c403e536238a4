"""Every write to exceptions: raise, refresh, close, reopen, and the planner's triage steps.

Each service runs in one transaction, records a triage event for the history and emits
`exception.raised` / `exception.resolved` as MESSAGES.md writes them.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.errors import ApplicationError
from integrations.outbox import emit
from planning.models import ExceptionEvent, PlanningException

State = PlanningException.State
Action = ExceptionEvent.Action

RAISED = "exception.raised"
RESOLVED = "exception.resolved"
BULK_LIMIT = 1000


@dataclass
class Condition:
    """What a detector (or the MRP writer) found: one condition needing a person."""

    key: str
    kind: str
    summary: str
    severity: int = PlanningException.Severity.MEDIUM
    item: object = None
    plant: object = None
    supplier: object = None
    po_line: object = None
    work_order: object = None
    inbound_message: object = None
    outbound_message: object = None
    detail: dict = field(default_factory=dict)
    due_at: datetime | None = None

    def columns(self) -> dict:
        return {
            "kind": self.kind,
            "severity": int(self.severity),
            "summary": self.summary[:300],
            "item": self.item,
            "plant": self.plant,
            "supplier": self.supplier,
            "po_line": self.po_line,
            "work_order": self.work_order,
            "inbound_message": self.inbound_message,
            "outbound_message": self.outbound_message,
            "detail": self.detail,
            "due_at": self.due_at,
        }


def exception_data(exception: PlanningException) -> dict:
    """`exception.raised` / `exception.resolved` data, exactly the fields of the contract.

    The contract's optional codes are left out, not sent as null, when the exception has none.
    """
    po_line = exception.po_line
    data = {
        "key": exception.key,
        "kind": exception.kind,
        "severity": exception.severity_label,
        "item": exception.item.code if exception.item_id else None,
        "plant": exception.plant.code if exception.plant_id else None,
        "supplier": exception.supplier.code if exception.supplier_id else None,
        "po": po_line.po.number if po_line is not None else None,
        "summary": exception.summary,
    }
    return {name: value for name, value in data.items() if value is not None}


def _emit(event_type: str, exception: PlanningException) -> None:
    emit(event_type, exception_data(exception), key=f"exception:{exception.key}")


def _record(exception, action, *, actor=None, from_state="", note="", data=None) -> None:
    ExceptionEvent.objects.create(
        exception=exception,
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        from_state=from_state,
        to_state=exception.state,
        note=note,
        data=data or {},
    )


def _check_kind(kind: str) -> None:
    if kind not in PlanningException.Kind.values:
        raise ApplicationError(
            f"Unknown exception kind {kind!r}.", {"field": "kind", "value": kind}
        )


def _latest(key: str) -> PlanningException | None:
    return (
        PlanningException.objects.select_for_update()
        .filter(key=key)
        .order_by("-opened_at", "-id")
        .first()
    )


@transaction.atomic
def exception_raise_or_refresh(condition: Condition) -> tuple[PlanningException, str]:
    """Open the condition's exception, refresh it if open, reopen it if it had cleared.

    Returns the row and what happened: "raised", "reopened", "refreshed" or "kept resolved"
    (a person resolved it and the condition has not cleared since).
    """
    _check_kind(condition.kind)
    now = timezone.now()
    current = _latest(condition.key)
    columns = condition.columns()
    if current is None:
        planner = getattr(condition.item, "planner", None) if condition.item else None
        try:
            with transaction.atomic():
                exception = PlanningException.objects.create(
                    key=condition.key,
                    **columns,
                    planner=planner,
                    assigned_to=planner,
                    opened_at=now,
                    last_seen_at=now,
                )
        except IntegrityError:
            # Another detector run raised the same key a moment ago: refresh that one instead.
            return exception_raise_or_refresh(condition)
        _record(exception, Action.RAISED, data={"severity": exception.severity_label})
        _emit(RAISED, exception)
        return exception, "raised"
    if current.is_open:
        old_severity = current.severity
        for name, value in columns.items():
            setattr(current, name, value)
        current.last_seen_at = now
        current.save()
        if old_severity != current.severity:
            _record(
                current,
                Action.SEVERITY,
                from_state=current.state,
                data={
                    "from": PlanningException.Severity(old_severity).label,
                    "to": current.severity_label,
                },
            )
        return current, "refreshed"
    if current.state == State.RESOLVED and current.cleared_at is None:
        current.last_seen_at = now
        current.save(update_fields=["last_seen_at"])
        return current, "kept resolved"
    previous = current.state
    for name, value in columns.items():
        setattr(current, name, value)
    current.state = State.NEW
    current.closed_at = None
    current.cleared_at = None
    current.close_reason = ""
    current.resolution = ""
    current.resolution_note = ""
    current.snoozed_until = None
    current.opened_at = now
    current.last_seen_at = now
    current.reopen_count += 1
    current.save()
    _record(current, Action.REOPENED, from_state=previous)
    _emit(RAISED, current)
    return current, "reopened"


@transaction.atomic
def exception_close(*, key: str, reason: str) -> PlanningException | None:
    """The condition cleared: close its open exception with the reason the planner reads."""
    current = _latest(key)
    if current is None:
        return None
    now = timezone.now()
    if not current.is_open:
        if current.cleared_at is None:
            current.cleared_at = now
            current.save(update_fields=["cleared_at"])
        return current
    previous = current.state
    current.state = State.CLOSED
    current.closed_at = now
    current.cleared_at = now
    current.close_reason = reason[:200]
    current.snoozed_until = None
    current.save()
    _record(current, Action.AUTO_CLOSED, from_state=previous, note=reason)
    _emit(RESOLVED, current)
    return current


def _open_locked(exception: PlanningException) -> PlanningException:
    locked = PlanningException.objects.select_for_update().get(pk=exception.pk)
    if not locked.is_open:
        raise ApplicationError(
            f"Exception {locked.pk} is {locked.get_state_display().lower()}; it takes no triage step.",
            {"field": "state", "value": locked.state},
            status_code=409,
        )
    return locked


@transaction.atomic
def exception_acknowledge(
    *, exception: PlanningException, acting_user, note: str = ""
) -> PlanningException:
    """Say a person has seen it; a snoozed exception wakes up acknowledged."""
    exception = _open_locked(exception)
    previous = exception.state
    exception.state = State.ACKNOWLEDGED
    exception.snoozed_until = None
    if exception.assigned_to_id is None:
        exception.assigned_to = acting_user
    exception.save()
    _record(exception, Action.ACKNOWLEDGED, actor=acting_user, from_state=previous, note=note)
    return exception


def _assignee(assignee):
    if assignee is None or hasattr(assignee, "pk"):
        return assignee
    user = get_user_model().objects.filter(pk=assignee).first() if str(assignee).isdigit() else None
    if user is None:
        user = get_user_model().objects.filter(username=assignee).first()
    if user is None:
        raise ApplicationError(f"No user {assignee!r}.", {"field": "assignee", "value": assignee})
    return user


@transaction.atomic
def exception_assign(
    *, exception: PlanningException, assignee, acting_user, note: str = ""
) -> PlanningException:
    """Give the exception an owner (or none); assigning does not change its state."""
    assignee = _assignee(assignee)
    exception = _open_locked(exception)
    exception.assigned_to = assignee
    exception.save()
    _record(
        exception,
        Action.ASSIGNED,
        actor=acting_user,
        from_state=exception.state,
        note=note,
        data={"assignee": assignee.get_username() if assignee else None},
    )
    return exception


def snooze_until_check(until) -> datetime:
    """A snooze ends in the future; a date means the start of that day."""
    given = until
    if isinstance(until, str):
        from django.utils.dateparse import parse_date, parse_datetime

        try:
            parsed = parse_datetime(until) or parse_date(until)
        except ValueError:
            parsed = None
        if parsed is None:
            raise ApplicationError(
                f"Snooze until {until!r} is not a date.", {"field": "until", "value": until}
            )
        until = parsed
    if not isinstance(until, datetime):
        until = datetime(until.year, until.month, until.day)
    if timezone.is_naive(until):
        until = timezone.make_aware(until)
    if until <= timezone.now():
        raise ApplicationError(
            f"Snooze until {until:%Y-%m-%d %H:%M} is not in the future.",
            {"field": "until", "value": given if isinstance(given, str) else until.isoformat()},
        )
    return until


@transaction.atomic
def exception_snooze(
    *, exception: PlanningException, until, acting_user, note: str = ""
) -> PlanningException:
    """Hide the exception from the actionable list until a time; it comes back by itself."""
    until = snooze_until_check(until)
    exception = _open_locked(exception)
    previous = exception.state
    exception.state = State.SNOOZED
    exception.snoozed_until = until
    exception.save()
    _record(
        exception,
        Action.SNOOZED,
        actor=acting_user,
        from_state=previous,
        note=note,
        data={"until": until.isoformat()},
    )
    return exception


def _resolution_check(resolution: str) -> None:
    if resolution not in PlanningException.Resolution.values:
        raise ApplicationError(
            f"Unknown resolution {resolution!r}.", {"field": "resolution", "value": resolution}
        )


@transaction.atomic
def exception_resolve(
    *, exception: PlanningException, resolution: str, note: str = "", acting_user
) -> PlanningException:
    """A person closes it with a resolution code; it stays resolved while the condition lasts."""
    _resolution_check(resolution)
    exception = _open_locked(exception)
    previous = exception.state
    exception.state = State.RESOLVED
    exception.resolution = resolution
    exception.resolution_note = note
    exception.snoozed_until = None
    exception.closed_at = timezone.now()
    exception.save()
    _record(
        exception,
        Action.RESOLVED,
        actor=acting_user,
        from_state=previous,
        note=note,
        data={"resolution": resolution},
    )
    _emit(RESOLVED, exception)
    return exception


@transaction.atomic
def exception_action_record(
    *, exception: PlanningException, acting_user, note: str, data: dict | None = None
) -> PlanningException:
    """Record an action taken from the exception (a change request, a replay); it counts as seen."""
    exception = PlanningException.objects.select_for_update().get(pk=exception.pk)
    previous = exception.state
    if exception.state == State.NEW:
        exception.state = State.ACKNOWLEDGED
        if exception.assigned_to_id is None:
            exception.assigned_to = acting_user
        exception.save()
    _record(exception, Action.ACTION, actor=acting_user, from_state=previous, note=note, data=data)
    return exception


def _bulk(ids: Iterable, step, **kwargs) -> int:
    ids = _ids_check(ids)
    done = 0
    for exception in PlanningException.objects.filter(pk__in=ids, closed_at__isnull=True).order_by(
        "pk"
    ):
        step(exception=exception, **kwargs)
        done += 1
    return done


def _ids_check(ids: Iterable) -> list[int]:
    ids = list(ids)
    if not ids:
        raise ApplicationError("Select at least one exception.", {"field": "ids", "value": ""})
    if len(ids) > BULK_LIMIT:
        raise ApplicationError(
            f"At most {BULK_LIMIT} exceptions at once.", {"field": "ids", "value": len(ids)}
        )
    clean = []
    for value in ids:
        if not str(value).isdigit():
            raise ApplicationError(
                f"{value!r} is not an exception id.", {"field": "ids", "value": value}
            )
        clean.append(int(value))
    return clean


@transaction.atomic
def exceptions_bulk_acknowledge(*, ids: Iterable, acting_user, note: str = "") -> int:
    """Acknowledge every open exception among `ids`; closed ones are skipped, not refused."""
    return _bulk(ids, exception_acknowledge, acting_user=acting_user, note=note)


@transaction.atomic
def exceptions_bulk_assign(*, ids: Iterable, assignee, acting_user, note: str = "") -> int:
    """Assign every open exception among `ids` to one person."""
    return _bulk(
        ids, exception_assign, assignee=_assignee(assignee), acting_user=acting_user, note=note
    )


@transaction.atomic
def exceptions_bulk_snooze(*, ids: Iterable, until, acting_user, note: str = "") -> int:
    """Snooze every open exception among `ids` until one time."""
    return _bulk(
        ids, exception_snooze, until=snooze_until_check(until), acting_user=acting_user, note=note
    )


@transaction.atomic
def exceptions_bulk_resolve(*, ids: Iterable, resolution: str, note: str = "", acting_user) -> int:
    """Resolve every open exception among `ids` with one resolution code."""
    _resolution_check(resolution)
    return _bulk(ids, exception_resolve, resolution=resolution, note=note, acting_user=acting_user)


def exceptions_wake_snoozed(*, now: datetime | None = None, limit: int = 5000) -> int:
    """Beat: a snooze that has run out puts its exception back in the list as new."""
    now = now or timezone.now()
    woken = 0
    ids = list(
        PlanningException.objects.filter(state=State.SNOOZED, snoozed_until__lte=now)
        .order_by("snoozed_until")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        with transaction.atomic():
            exception = (
                PlanningException.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, state=State.SNOOZED)
                .first()
            )
            if exception is None:
                continue
            exception.state = State.NEW
            exception.snoozed_until = None
            exception.save()
            _record(exception, Action.WOKE, from_state=State.SNOOZED)
            woken += 1
    return woken
