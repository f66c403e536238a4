"""One FilterSet per listed planning model, shared by the console list and any API over it."""

from datetime import timedelta

import django_filters as filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from masterdata.models import Plant, Supplier
from planning.models import PlanningException

State = PlanningException.State
Severity = PlanningException.Severity

STATE_VIEWS = {
    "active": ("To act on", Q(state__in=PlanningException.ACTIONABLE_STATES)),
    "new": ("New", Q(state=State.NEW)),
    "acknowledged": ("Acknowledged", Q(state=State.ACKNOWLEDGED)),
    "snoozed": ("Snoozed", Q(state=State.SNOOZED)),
    # The same predicate as the partial index the open view is read from.
    "open": ("All open", Q(closed_at__isnull=True)),
    "resolved": ("Resolved", Q(state=State.RESOLVED)),
    "closed": ("Auto-closed", Q(state=State.CLOSED)),
}
AGES = {
    "1d": ("Over 1 day old", 1),
    "3d": ("Over 3 days old", 3),
    "7d": ("Over a week old", 7),
    "30d": ("Over a month old", 30),
}
SEVERITIES = [(label, label.capitalize()) for label in ("critical", "high", "medium", "low")]


class ExceptionFilter(filters.FilterSet):
    kind = filters.MultipleChoiceFilter(choices=PlanningException.Kind.choices, distinct=False)
    severity = filters.MultipleChoiceFilter(
        choices=SEVERITIES, method="filter_severity", distinct=False
    )
    plant = filters.CharFilter(method="filter_plant", label="Plant code")
    supplier = filters.CharFilter(method="filter_supplier", label="Supplier code")
    planner = filters.CharFilter(method="filter_planner", label="Owner (username, me or none)")
    age = filters.ChoiceFilter(
        choices=[(key, label) for key, (label, _) in AGES.items()], method="filter_age"
    )
    state = filters.ChoiceFilter(
        choices=[(key, label) for key, (label, _) in STATE_VIEWS.items()],
        method="filter_state",
        empty_label="To act on",
    )
    q = filters.CharFilter(method="search", label="Summary contains (item, PO, partner)")

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

    # Codes resolve to ids in a sub-select, so the list query filters a column of its own table.
    def filter_plant(self, queryset, name, value):
        return queryset.filter(plant_id__in=Plant.objects.filter(code=value.strip()).values("pk"))

    def filter_supplier(self, queryset, name, value):
        return queryset.filter(
            supplier_id__in=Supplier.objects.filter(code=value.strip()).values("pk")
        )

    def filter_planner(self, queryset, name, value):
        value = value.strip()
        if value == "none":
            return queryset.filter(assigned_to__isnull=True)
        if value == "me" and self.user is not None:
            return queryset.filter(assigned_to=self.user)
        users = get_user_model().objects.filter(username=value).values("pk")
        return queryset.filter(assigned_to_id__in=users)

    def filter_age(self, queryset, name, value):
        days = AGES[value][1]
        return queryset.filter(opened_at__lte=timezone.now() - timedelta(days=days))

    def filter_state(self, queryset, name, value):
        return queryset.filter(STATE_VIEWS[value][1])

    def search(self, queryset, name, value):
        value = value.strip()[:100]
        if not value:
            return queryset
        # Summaries name the item, the PO and the partner, so one column answers the search.
        return queryset.filter(summary__icontains=value)
