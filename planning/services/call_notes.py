"""Call-log notes on purchase orders (the stale-acknowledgement page's 'call log')."""

from django.db import transaction

from integrations.errors import ApplicationError
from integrations.roles import is_console_user
from planning.models import CallNote
from procurement.models import PurchaseOrder

MAX_NOTE = 2000


@transaction.atomic
def call_note_add(*, po: PurchaseOrder, note: str, acting_user) -> CallNote:
    """Record what a buyer or planner learnt from a contact about the PO."""
    if acting_user is None or not is_console_user(acting_user):
        raise ApplicationError(
            "Only a planner or buyer keeps call notes.", {"field": "user"}, status_code=403
        )
    text = (note or "").strip()
    if not text:
        raise ApplicationError("Write what was said.", {"field": "note", "value": note})
    if len(text) > MAX_NOTE:
        raise ApplicationError(
            f"A note holds at most {MAX_NOTE} characters.",
            {"field": "note", "value": text[:40] + "…"},
        )
    return CallNote.objects.create(po=po, note=text, author=acting_user)
