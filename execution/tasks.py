from celery import shared_task

from execution.models import SystemInventorySettings
from execution.reconciliation import inventory_snapshot_poll, systems_due_for_polling


@shared_task
def poll_inventory_snapshots() -> int:
    """Beat: queue a poll for every system whose snapshot URL is due; return how many."""
    due = systems_due_for_polling()
    for settings_id in due:
        poll_inventory_snapshot.delay(settings_id)
    return len(due)


@shared_task(acks_late=True)
def poll_inventory_snapshot(settings_id: int) -> int:
    """Fetch one system's snapshot into the inbox; return how many messages were stored."""
    row = (
        SystemInventorySettings.objects.select_related("system")
        .filter(pk=settings_id, system__enabled=True)
        .first()
    )
    if row is None or not row.snapshot_url:
        return 0
    return len(inventory_snapshot_poll(settings_row=row))
