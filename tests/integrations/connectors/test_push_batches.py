"""Push as a batch subscriber: a fan-out's events make their API call messages in a few queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.connectors.demo import REQUISITION_SAMPLE, configure_standin_connectors
from integrations.models import ApiCallMessage
from integrations.outbox import emit
from integrations.tasks.outbox import run_subscriber_batch

pytestmark = pytest.mark.django_db
PUSH = "integrations.connectors.push.api_calls_for_event"


def released(count: int, start: int) -> list[int]:
    return [
        emit(
            "planned_order.released",
            {**REQUISITION_SAMPLE, "number": f"PLN-{n:06d}"},
            key=f"planned_order:PLN-{n:06d}",
        ).pk
        for n in range(start, start + count)
    ]


def push(event_ids: list[int]) -> int:
    with CaptureQueriesContext(connection) as queries:
        run_subscriber_batch.delay(PUSH, event_ids)
    return len(queries)


def test_a_batch_makes_one_message_per_event_and_costs_the_same_queries_for_3_or_30(
    erp_eu, standin
):
    # given the stand-in ERP's requisition call, which wants released planned orders
    configure_standin_connectors(system=erp_eu, base_url=standin.url, token_url=standin.token_url)
    few, many = released(3, 0), released(30, 100)

    # when each batch runs through the push subscriber
    queries_for_few, queries_for_many = push(few), push(many)

    # then every event has its one message, and ten times the events cost no more queries
    assert sorted(ApiCallMessage.objects.values_list("event_id", flat=True)) == few + many
    assert queries_for_many == queries_for_few

    # and a batch run again (a worker lost mid-batch) makes no second message
    push(few + many)
    assert ApiCallMessage.objects.count() == 33
