"""Input of the console's exception actions: small forms, each field named in its error."""

from django import forms

from planning.models import PlanningException


class IdsField(forms.Field):
    def to_python(self, value):
        return value or []


class AssignForm(forms.Form):
    assignee = forms.CharField(max_length=150, required=False)
    note = forms.CharField(max_length=2000, required=False)


class SnoozeForm(forms.Form):
    until = forms.CharField(max_length=40)
    note = forms.CharField(max_length=2000, required=False)


class ResolveForm(forms.Form):
    resolution = forms.CharField(max_length=20)
    note = forms.CharField(max_length=2000, required=False)

    def clean_resolution(self):
        value = self.cleaned_data["resolution"]
        if value not in PlanningException.Resolution.values:
            raise forms.ValidationError(f"Unknown resolution {value!r}.")
        return value


class NoteForm(forms.Form):
    note = forms.CharField(max_length=2000, required=False)


class RejectForm(forms.Form):
    reason = forms.CharField(max_length=2000)


class ChangeRequestForm(forms.Form):
    PRIORITIES = [("expedite", "Expedite"), ("reschedule", "Reschedule")]

    requested_date = forms.DateField()
    quantity = forms.DecimalField(max_digits=18, decimal_places=6, min_value=0, required=False)
    priority = forms.ChoiceField(choices=PRIORITIES)
    reason = forms.CharField(max_length=500)


BULK_ACTIONS = ("acknowledge", "assign", "snooze", "resolve")


class BulkForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in BULK_ACTIONS])
    assignee = forms.CharField(max_length=150, required=False)
    until = forms.CharField(max_length=40, required=False)
    resolution = forms.CharField(max_length=20, required=False)
    note = forms.CharField(max_length=2000, required=False)
