"""Stale acknowledgements: lines sent and unanswered past the supplier's SLA."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from procurement import notifications
from procurement.models import PurchaseOrderLine


@transaction.atomic
def stale_acknowledgements_remind(
    *, now: datetime | None = None, limit: int = 5000, line_ids: list[int] | None = None
) -> int:
    """Remind each supplier, in one e-mail, of its lines unanswered past its SLA; once per SLA period.

    A line is first due for a reminder when its acknowledgement falls due, then again one SLA
    period after the last reminder. Rows locked by a concurrent sweep are skipped, so two beat
    runs never remind twice. A planner's reminder (`line_ids`) goes out now for those of the
    lines still awaiting an answer and counts like the beat's. Returns how many lines were reminded.
    """
    now = now or timezone.now()
    awaiting = PurchaseOrderLine.objects.awaiting_ack()
    chosen = (
        awaiting.filter(next_reminder_at__lte=now)
        if line_ids is None
        else awaiting.filter(pk__in=line_ids)
    )
    due = list(
        chosen.select_related("po__supplier")
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("id")[:limit]
    )
    by_supplier: dict[int, list[PurchaseOrderLine]] = {}
    for line in due:
        supplier = line.po.supplier
        line.reminders_sent += 1
        line.last_reminded_at = now
        line.next_reminder_at = now + timedelta(hours=supplier.ack_sla_hours)
        by_supplier.setdefault(supplier.pk, []).append(line)
    # These columns are excluded from the line's history (operational bookkeeping), so a bulk
    # update loses nothing; the reminder mail is their record.
    PurchaseOrderLine.objects.bulk_update(
        due, ["reminders_sent", "last_reminded_at", "next_reminder_at"], batch_size=1000
    )
    for supplier_id, lines in by_supplier.items():
        notifications.reminder_mail_queue(supplier_id, [line.pk for line in lines])
    return len(due)
