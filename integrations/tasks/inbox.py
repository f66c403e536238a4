from celery import shared_task

from integrations.inbox import inbound_message_process


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=8)
def process_inbound_message(message_id: int) -> None:
    inbound_message_process(message_id=message_id)
