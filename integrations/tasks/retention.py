"""Retention beat task: thin; the rules live in integrations.retention."""

from celery import shared_task

from integrations.retention import expired_messages_purge


@shared_task(acks_late=True, ignore_result=True)
def purge_expired_messages() -> dict:
    """Beat: archive and purge finished messages older than the retention, batch by batch."""
    return expired_messages_purge().purged
