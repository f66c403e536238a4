from celery import shared_task


@shared_task(acks_late=True)
def deliver_outbound_message(message_id: int) -> None:
    """Placeholder until delivery lands: the delivery helper replaces this module."""
    raise NotImplementedError
