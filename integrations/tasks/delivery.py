"""Outbound delivery tasks: thin, idempotent on the message id; the retry policy lives in the rows."""

from celery import shared_task

from integrations.delivery import due_outbound_messages_enqueue, outbound_message_deliver


@shared_task(acks_late=True, ignore_result=True)
def deliver_outbound_message(message_id: int) -> str:
    """One attempt at one message; a copy of this task finds the message claimed and does nothing."""
    return outbound_message_deliver(message_id=message_id)


@shared_task(ignore_result=True)
def enqueue_due_outbound_messages() -> int:
    """Beat: queue the messages whose next attempt is due."""
    return len(due_outbound_messages_enqueue())
