"""Connector tasks: thin, on their own queue so a slow partner never holds back the inbox or replanning.

Each run of each connector is one task (one worker slot, one lock per connector), with a time
limit on every call it makes; one partner's slowness stays in its own runs.
"""

from celery import shared_task

from integrations.connectors.pull import connector_sync
from integrations.connectors.push import api_call_message_send, due_api_call_messages_enqueue
from integrations.connectors.services import connectors_due_claim
from integrations.models import Connector


@shared_task(ignore_result=True)
def run_due_connectors() -> int:
    """Beat: queue a sync run for every connector whose schedule is due."""
    due = connectors_due_claim()
    for connector_id in due:
        sync_connector.delay(connector_id)
    return len(due)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=3000, time_limit=3300)
def sync_connector(connector_id: int, full_resync: bool = False, trigger: str = "schedule"):
    connector = Connector.objects.filter(pk=connector_id).first()
    if connector is None:
        return None
    run = connector_sync(connector=connector, full_resync=full_resync, trigger=trigger)
    return run.pk if run else None


@shared_task(acks_late=True, ignore_result=True)
def send_api_call_message(message_id: int) -> str:
    return api_call_message_send(message_id=message_id)


@shared_task(ignore_result=True)
def enqueue_due_api_calls() -> int:
    """Beat: queue the API call messages whose next attempt is due."""
    return len(due_api_call_messages_enqueue())
