"""One FilterSet per listed planning model, shared by the console list and any API over it."""

from datetime import timedelta

import django_filters as filters
from django.db.models import Q
from django.utils import timezone

from planning.models import PlanningException

State = PlanningException.State
Severity = PlanningException.Severity

STATE_VIEWS = {
    "active": ("To act on", Q(state__in=PlanningException.ACTIONABLE_STATES)),
    "new": ("New", Q(state=State.NEW)),
    "acknowledged": ("Acknowledged", Q(state=State.ACKNOWLEDGED)),
    "snoozed": ("Snoozed", Q(state=State.SNOOZED)),
    "open": ("All open", Q(state__in=PlanningException.OPEN_STATES)),
    "resolved": ("Resolved", Q(state=State.RESOLVED)),
    "closed": ("Auto-closed", Q(state=State.CLOSED)),
}
AGES = {
    "1d": ("Older than 1 day", 1),
    "3d": ("Older than 3 days", 3),
    "7d": ("Older than a week", 7),
    "30d": ("Older than a month", 30),
}
SEVERITIES = [(label, label.capitalize()) for label in ("critical", "high", "medium", "low")]


class ExceptionFilter(filters.FilterSet):
    kind = filters.MultipleChoiceFilter(choices=PlanningException.Kind.choices)
    severity = filters.MultipleChoiceFilter(choices=SEVERITIES, method="filter_severity")
    plant = filters.CharFilter(field_name="plant__code")
    supplier = filters.CharFilter(field_name="supplier__code")
    planner = filters.CharFilter(method="filter_planner", label="Owner (username, me or none)")
    age = filters.ChoiceFilter(
        choices=[(key, label) for key, (label, _) in AGES.items()], method="filter_age"
    )
    state = filters.ChoiceFilter(
        choices=[(key, label) for key, (label, _) in STATE_VIEWS.items()],
        method="filter_state",
        empty_label="To act on",
    )
    q = filters.CharFilter(method="search", label="Summary, key, item or PO contains")

    class Meta:
        model = PlanningException
        fields = ["kind", "severity", "plant", "supplier", "planner", "age", "state"]

    def __init__(self, data=None, *args, user=None, **kwargs):
        self.user = user
        super().__init__(data, *args, **kwargs)

    @property
    def qs(self):
        queryset = super().qs
        if not self.form.cleaned_data.get("state"):
            queryset = queryset.filter(STATE_VIEWS["active"][1])
        return queryset

    def filter_severity(self, queryset, name, value):
        levels = [Severity[label.upper()].value for label in value]
        return queryset.filter(severity__in=levels)

    def filter_planner(self, queryset, name, value):
        value = value.strip()
        if value == "none":
            return queryset.filter(assigned_to__isnull=True)
        if value == "me" and self.user is not None:
            return queryset.filter(assigned_to=self.user)
        return queryset.filter(assigned_to__username=value)

    def filter_age(self, queryset, name, value):
        days = AGES[value][1]
        return queryset.filter(opened_at__lte=timezone.now() - timedelta(days=days))

    def filter_state(self, queryset, name, value):
        return queryset.filter(STATE_VIEWS[value][1])

    def search(self, queryset, name, value):
        value = value.strip()[:100]
        if not value:
            return queryset
        return queryset.filter(
            Q(summary__icontains=value)
            | Q(key__icontains=value)
            | Q(item__code__iexact=value)
            | Q(po_line__po__number=value)
        )
