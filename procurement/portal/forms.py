"""What a supplier types in the portal, checked before a service sees it."""

from datetime import date

from django import forms
from django.utils import timezone

from procurement.events import decimal_text
from procurement.models import ReasonCode

ACCEPT = "accept"
CHANGE = "change"
REJECT = "reject"


class TablerForm(forms.Form):
    """Tabler's classes on every widget, and `is-invalid` on a field once it has an error."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.RadioSelect) or widget.is_hidden:
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs["class"] = f"{css} form-control-sm" if css == "form-control" else css
            if css == "form-select":
                widget.attrs["class"] += " form-select-sm"

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"


class LineAnswerForm(TablerForm):
    """One line's answer: accept, propose a change, or reject with a reason."""

    action = forms.ChoiceField(
        choices=[(ACCEPT, "Accept"), (CHANGE, "Propose change"), (REJECT, "Reject")],
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        initial=ACCEPT,
    )
    confirmed_quantity = forms.DecimalField(
        required=False, min_value=0, max_digits=18, decimal_places=6, label="Quantity"
    )
    confirmed_date = forms.DateField(
        required=False, label="Promise date", widget=forms.DateInput(attrs={"type": "date"})
    )
    reason_code = forms.ChoiceField(
        required=False, choices=[("", "—"), *ReasonCode.choices], label="Reason code"
    )
    reason = forms.CharField(
        required=False, max_length=1000, label="Comment", widget=forms.TextInput()
    )
    revision = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()

    def clean_confirmed_date(self):
        day = self.cleaned_data.get("confirmed_date")
        if day is not None and day < self.today:
            raise forms.ValidationError(f"{day.isoformat()} is in the past.")
        return day

    def clean_confirmed_quantity(self):
        quantity = self.cleaned_data.get("confirmed_quantity")
        if quantity is not None and quantity <= 0:
            raise forms.ValidationError("Enter a quantity above zero, or reject the line.")
        return quantity

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        if action == REJECT and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", "Say why the line is rejected; the buyer sees it.")
        if (
            action == CHANGE
            and "confirmed_quantity" not in self.errors
            and "confirmed_date" not in self.errors
            and cleaned.get("confirmed_quantity") is None
            and cleaned.get("confirmed_date") is None
        ):
            self.add_error("confirmed_date", "Give a quantity or a promise date to change.")
        return cleaned

    def service_line(self, line_number: int) -> dict:
        """The answer in the shape `purchase_order_acknowledge` takes."""
        data = self.cleaned_data
        answer = {
            "line": line_number,
            "reason": data.get("reason") or "",
            "reason_code": data.get("reason_code") or "",
        }
        if data["action"] == REJECT:
            return {**answer, "status": "rejected"}
        if data["action"] == ACCEPT:
            return {**answer, "status": "accepted"}
        return {
            **answer,
            "status": "changed",
            "confirmed_quantity": data.get("confirmed_quantity"),
            "confirmed_date": data.get("confirmed_date"),
        }


class AcceptAllForm(TablerForm):
    revision = forms.IntegerField(widget=forms.HiddenInput)
    supplier_reference = forms.CharField(
        required=False, max_length=50, label="Your order reference"
    )


class ShipNoticeForm(TablerForm):
    """An ASN's header and, per open line, the quantity shipped (a field per line)."""

    number = forms.CharField(max_length=50, label="ASN number")
    ship_date = forms.DateField(label="Ship date", widget=forms.DateInput(attrs={"type": "date"}))
    expected_date = forms.DateField(
        required=False, label="Expected delivery", widget=forms.DateInput(attrs={"type": "date"})
    )
    carrier = forms.CharField(required=False, max_length=50)
    tracking = forms.CharField(required=False, max_length=100, label="Tracking number")

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            self.fields[self.quantity_field(line)] = forms.DecimalField(
                required=False,
                min_value=0,
                max_digits=18,
                decimal_places=6,
                label=f"Line {line.line_number}",
                initial=decimal_text(line.ship_open_quantity),
                widget=forms.NumberInput(
                    attrs={"class": "form-control form-control-sm text-end", "step": "any"}
                ),
            )

    @staticmethod
    def quantity_field(line) -> str:
        return f"quantity_{line.line_number}"

    def rows(self):
        """(line, bound quantity field) per open line, for the template."""
        return [(line, self[self.quantity_field(line)]) for line in self.lines]

    def clean(self):
        cleaned = super().clean()
        ship, expected = cleaned.get("ship_date"), cleaned.get("expected_date")
        if ship and expected and expected < ship:
            self.add_error("expected_date", "Expected delivery is before the ship date.")
        if not self.errors and not self.shipped_lines():
            raise forms.ValidationError("Enter a quantity on at least one line.")
        return cleaned

    def shipped_lines(self) -> list[tuple[object, object]]:
        """(line, quantity) for every line with a quantity above zero."""
        shipped = []
        for line in self.lines:
            quantity = self.cleaned_data.get(self.quantity_field(line))
            if quantity:
                shipped.append((line, quantity))
        return shipped
