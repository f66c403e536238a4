from celery import shared_task
from django.db import InterfaceError, OperationalError

from integrations.inbox import (
    inbound_message_process,
    inbound_messages_process,
    stale_received_messages_requeue,
)
from integrations.inbox_queue import drain

RETRY = {
    "autoretry_for": (OperationalError, InterfaceError, ConnectionError),
    "retry_backoff": True,
    "max_retries": 8,
}


@shared_task(acks_late=True, **RETRY)
def process_inbound_messages(message_ids: list[int]) -> None:
    """Apply each message in id order; each is idempotent on its own row's status."""
    for message_id in message_ids:
        inbound_message_process(message_id=message_id)


@shared_task(acks_late=True, **RETRY)
def drain_inbox(partition: int) -> int:
    """Apply one partition's received messages in id order until none is left."""
    return drain(partition, apply_chunks)


DRAIN_CHUNK = 50


def apply_chunks(message_ids: list[int]) -> None:
    """A drain batch in chunks of DRAIN_CHUNK messages, each chunk one transaction."""
    for start in range(0, len(message_ids), DRAIN_CHUNK):
        inbound_messages_process(message_ids=message_ids[start : start + DRAIN_CHUNK])


@shared_task
def requeue_stale_inbound_messages() -> int:
    return stale_received_messages_requeue()
