"""The inbox with a real Celery worker on Redis: stored messages are drained and applied once."""

import json
from datetime import timedelta

import pytest
from celery import current_app as celery_app
from rest_framework.test import APIClient

from integrations import inbox_queue
from integrations.inbox import stale_received_messages_requeue
from integrations.models import InboundMessage
from integrations.services import api_key_create, ownership_set
from masterdata.models import Item
from tests.celery_worker import real_worker, wait_until
from tests.factories import ExternalSystemFactory, UnitFactory
from tests.integrations.conftest import envelope


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_messages_sent_one_by_one_and_in_a_batch_are_applied_once_by_a_real_worker():
    # given an ERP that owns items, and a real worker on Redis
    UnitFactory(code="EA")
    erp = ExternalSystemFactory(code="ERP-EU")
    ownership_set(object_type="item", system=erp)
    _, key = api_key_create(system=erp, scopes=["inbound:write"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")

    with real_worker():
        # when it sends 30 messages one by one, then a batch of 120 with 20 repeats among them
        for n in range(30):
            response = client.post(
                "/api/v1/inbound/",
                json.dumps(envelope(f"one-{n}", code=f"ONE-{n}")),
                content_type="application/json",
            )
            assert response.status_code == 202
        batch = [envelope(f"b-{n}", code=f"B-{n}") for n in range(100)] + [
            envelope(f"b-{n}", code=f"B-{n}") for n in range(20)
        ]
        answer = client.post(
            "/api/v1/inbound/batch/",
            json.dumps({"messages": batch}),
            content_type="application/json",
        ).json()
        assert answer["accepted"] == 120

        # then the worker applies every message, each once
        assert wait_until(
            lambda: not InboundMessage.objects.filter(status="received").exists(), timeout=60
        )

    assert InboundMessage.objects.filter(status="applied").count() == 130
    assert Item.objects.count() == 130
    assert Item.history.count() == 130


def _post(client, prefix: str, count: int) -> None:
    response = client.post(
        "/api/v1/inbound/batch/",
        json.dumps(
            {"messages": [envelope(f"{prefix}-{n}", code=f"{prefix}-{n}") for n in range(count)]}
        ),
        content_type="application/json",
    )
    assert response.status_code == 200


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_drain_flag_without_heartbeat_is_taken_over_and_a_live_or_young_one_is_left_alone():
    # given an ERP that owns items and a real worker on Redis
    UnitFactory(code="EA")
    erp = ExternalSystemFactory(code="ERP-EU")
    ownership_set(object_type="item", system=erp)
    _, key = api_key_create(system=erp, scopes=["inbound:write"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    pending = InboundMessage.objects.filter(status="received")

    with real_worker():
        flags = inbox_queue._redis(celery_app.conf.broker_url)
        partitions = range(inbox_queue.partitions())
        old = inbox_queue.FLAG_SECONDS - inbox_queue.HEARTBEAT_SECONDS - 1

        # when every partition's flag is old but its drain is alive (heartbeat present)
        for partition in partitions:
            flags.set(inbox_queue._flag(partition), "1", ex=old)
            flags.set(inbox_queue._heartbeat(partition), "1", ex=60)
        _post(client, "LIVE", 20)
        # then nobody takes the flags over: the live drain owns the partitions
        assert not wait_until(lambda: pending.count() < 20, timeout=3)

        # when the heartbeats are gone but the flags are young (drains still queued)
        for partition in partitions:
            flags.delete(inbox_queue._heartbeat(partition))
            flags.set(inbox_queue._flag(partition), "1", ex=inbox_queue.FLAG_SECONDS)
        stale_received_messages_requeue(older_than=timedelta(0))
        # then they are left alone too
        assert not wait_until(lambda: pending.count() < 20, timeout=3)

        # when the flags outlive the heartbeat's life with no heartbeat: their drains were killed
        for partition in partitions:
            flags.set(inbox_queue._flag(partition), "1", ex=old)
        stale_received_messages_requeue(older_than=timedelta(0))
        _post(client, "AFTER", 10)

        # then the sweep and the next intake take them over and every message is applied once
        assert wait_until(lambda: not pending.exists(), timeout=60)

    assert InboundMessage.objects.filter(status="applied").count() == 30
    assert Item.objects.count() == Item.history.count() == 30
    for partition in partitions:
        assert not flags.exists(inbox_queue._heartbeat(partition))
