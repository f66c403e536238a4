"""Thin Celery tasks: load by id, call one function, own the retry policy."""

from celery import shared_task

from procurement import notifications
from procurement.services import stale_acknowledgements_remind

# A mail server that is down or refuses for a while: retry with backoff (SMTP errors are OSErrors).
MAIL_RETRY = {"autoretry_for": (OSError,), "retry_backoff": True, "max_retries": 6}


@shared_task(acks_late=True, **MAIL_RETRY)
def send_purchase_order_mail(po_id: int, kind: str, revision: int) -> int:
    return notifications.purchase_order_mail_send(po_id=po_id, kind=kind, revision=revision)


@shared_task(acks_late=True, **MAIL_RETRY)
def send_proposal_rejected_mail(proposal_id: int) -> int:
    return notifications.proposal_rejected_mail_send(proposal_id=proposal_id)


@shared_task(acks_late=True, **MAIL_RETRY)
def send_acknowledgement_reminder_mail(supplier_id: int, line_ids: list[int]) -> int:
    return notifications.acknowledgement_reminder_mail_send(
        supplier_id=supplier_id, line_ids=line_ids
    )


@shared_task
def remind_stale_acknowledgements() -> int:
    """Beat: remind suppliers of lines left unanswered past their SLA, once per SLA period."""
    return stale_acknowledgements_remind()
