"""Reads of exceptions that the console (and any API) share: the filtered list, its counts, a page.

Pages are keyset pages: the cursor is the sort key of the last row shown, so page 400 costs what
page 1 costs, and rows arriving meanwhile never shift what the planner is reading.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from integrations.errors import ApplicationError
from planning.filters import ExceptionFilter
from planning.models import PlanningException

PAGE_SIZE = 50
SORTS = {
    "severity": "Most severe",
    "oldest": "Oldest",
    "newest": "Newest",
}
DEFAULT_SORT = "severity"
ACT_WITHIN_DAYS = 3


def exception_filter(params, *, user=None) -> ExceptionFilter:
    """The bound FilterSet; an invalid one is refused naming the first bad field and value.

    Empty values (a form's "any" choices) mean no filter.
    """
    if hasattr(params, "lists"):
        cleaned = QueryDict(mutable=True)
        for name, values in params.lists():
            kept = [value for value in values if value.strip()]
            if kept:
                cleaned.setlist(name, kept)
        params = cleaned
    filterset = ExceptionFilter(params, queryset=PlanningException.objects.all(), user=user)
    if not filterset.is_valid():
        field, messages = next(iter(filterset.errors.items()))
        values = params.getlist(field) if hasattr(params, "getlist") else [params.get(field)]
        value = ",".join(str(v) for v in values)
        raise ApplicationError(
            f"{field}: {' '.join(messages)} (got {value!r})", {"field": field, "value": value}
        )
    return filterset


def sort_check(sort: str | None) -> str:
    sort = sort or DEFAULT_SORT
    if sort not in SORTS:
        raise ApplicationError(f"Unknown sort {sort!r}.", {"field": "sort", "value": sort})
    return sort


def _order(sort: str) -> list[str]:
    return {
        "severity": ["-severity", "opened_at", "id"],
        "oldest": ["opened_at", "id"],
        "newest": ["-opened_at", "-id"],
    }[sort]


def cursor_of(row: PlanningException, sort: str) -> str:
    stamp = row.opened_at.isoformat()
    if sort == "severity":
        return f"{row.severity}~{stamp}~{row.pk}"
    return f"{stamp}~{row.pk}"


def _after(sort: str, cursor: str) -> Q:
    try:
        parts = cursor.split("~")
        if sort == "severity":
            severity, stamp, pk = int(parts[0]), parse_datetime(parts[1]), int(parts[2])
        else:
            stamp, pk = parse_datetime(parts[0]), int(parts[1])
        if stamp is None or len(parts) != (3 if sort == "severity" else 2):
            raise ValueError(cursor)
    except (ValueError, IndexError):
        raise ApplicationError(
            "The page link is broken; start from the first page.",
            {"field": "after", "value": cursor},
        ) from None
    if sort == "severity":
        return (
            Q(severity__lt=severity)
            | Q(severity=severity, opened_at__gt=stamp)
            | Q(severity=severity, opened_at=stamp, id__gt=pk)
        )
    if sort == "oldest":
        return Q(opened_at__gt=stamp) | Q(opened_at=stamp, id__gt=pk)
    return Q(opened_at__lt=stamp) | Q(opened_at=stamp, id__lt=pk)


def exception_page_queryset(queryset, *, sort: str, after: str = ""):
    ordered = queryset.order_by(*_order(sort))
    if after:
        ordered = ordered.filter(_after(sort, after))
    return ordered.select_related("item", "plant", "supplier", "assigned_to", "po_line__po")


@dataclass
class ExceptionPage:
    rows: list
    sort: str
    next_cursor: str | None
    cursor: str


def exception_page(
    queryset, *, sort: str, after: str = "", size: int | None = None
) -> ExceptionPage:
    """One keyset page of the filtered exceptions, with what the list shows of each row."""
    size = size or PAGE_SIZE
    rows = list(exception_page_queryset(queryset, sort=sort, after=after)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return ExceptionPage(
        rows=rows,
        sort=sort,
        next_cursor=cursor_of(rows[-1], sort) if more and rows else None,
        cursor=after,
    )


def exception_counts(filterset: ExceptionFilter) -> dict:
    """Counts per kind under every filter but the kind; the view's total, due soon and critical.

    One grouped query: the view's figures are the sum over its chosen kinds (all when none).
    """
    data = filterset.data.copy() if hasattr(filterset.data, "copy") else dict(filterset.data)
    if hasattr(data, "setlist"):
        data.setlist("kind", [])
    else:
        data.pop("kind", None)
    without_kind = ExceptionFilter(
        data, queryset=PlanningException.objects.all(), user=filterset.user
    ).qs
    soon = timezone.now() + timedelta(days=ACT_WITHIN_DAYS)
    rows = (
        without_kind.order_by()
        .values("kind")
        .annotate(
            n=Count("id"),
            due_soon=Count("id", filter=Q(due_at__lte=soon)),
            critical=Count("id", filter=Q(severity=PlanningException.Severity.CRITICAL)),
        )
    )
    per_kind = {row["kind"]: row for row in rows}
    chosen = set(filterset.form.cleaned_data.get("kind") or per_kind)
    figures = {
        name: sum(row[name] for kind, row in per_kind.items() if kind in chosen)
        for name in ("n", "due_soon", "critical")
    }
    kinds = [
        {"kind": value, "label": label, "count": per_kind.get(value, {}).get("n", 0)}
        for value, label in PlanningException.Kind.choices
    ]
    return {
        "kinds": kinds,
        "all_kinds": sum(row["n"] for row in per_kind.values()),
        "total": figures["n"],
        "due_soon": figures["due_soon"],
        "critical": figures["critical"],
    }


def new_since_count(filterset: ExceptionFilter, since: datetime) -> int:
    """How many rows of the current view were (re)opened after `since`: the 'new' badge."""
    return filterset.qs.filter(opened_at__gt=since).order_by().count()
