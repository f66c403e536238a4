"""The inbox with a real Celery worker on Redis: stored messages are drained and applied once."""

import json
from datetime import timedelta

import pytest
from celery import current_app as celery_app
from celery.signals import task_postrun
from rest_framework.test import APIClient

from integrations import inbox_queue
from integrations.inbox import stale_received_messages_requeue
from integrations.models import InboundMessage
from integrations.services import api_key_create, ownership_set
from masterdata.models import Item
from tests.celery_worker import real_worker, wait_until
from tests.factories import ExternalSystemFactory, UnitFactory
from tests.integrations.conftest import envelope


@pytest.fixture
def erp_client():
    """An ERP that owns items, calling with an inbound key."""
    UnitFactory(code="EA")
    erp = ExternalSystemFactory(code="ERP-EU")
    ownership_set(object_type="item", system=erp)
    _, key = api_key_create(system=erp, scopes=["inbound:write"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return api


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_messages_sent_one_by_one_and_in_a_batch_are_applied_once_by_a_real_worker(erp_client):
    # given an ERP that owns items, and a real worker on Redis

    with real_worker():
        # when it sends 30 messages one by one, then a batch of 120 with 20 repeats among them
        for n in range(30):
            response = erp_client.post(
                "/api/v1/inbound/",
                json.dumps(envelope(f"one-{n}", code=f"ONE-{n}")),
                content_type="application/json",
            )
            assert response.status_code == 202
        batch = [envelope(f"b-{n}", code=f"B-{n}") for n in range(100)] + [
            envelope(f"b-{n}", code=f"B-{n}") for n in range(20)
        ]
        answer = erp_client.post(
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
def test_a_drain_flag_without_heartbeat_is_taken_over_and_a_live_or_young_one_is_left_alone(
    erp_client,
):
    # given an ERP that owns items and a real worker on Redis
    pending = InboundMessage.objects.filter(status="received")

    with real_worker():
        flags = inbox_queue._redis(celery_app.conf.broker_url)
        partitions = range(inbox_queue.partitions())
        old = inbox_queue.FLAG_SECONDS - inbox_queue.HEARTBEAT_SECONDS - 1

        # when every partition's flag is old but its drain is alive (heartbeat present)
        for partition in partitions:
            flags.set(inbox_queue._flag(partition), "1", ex=old)
            flags.set(inbox_queue._heartbeat(partition), "1", ex=60)
        _post(erp_client, "LIVE", 20)
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
        _post(erp_client, "AFTER", 10)

        # then the sweep and the next intake take them over and every message is applied once
        assert wait_until(lambda: not pending.exists(), timeout=60)

    assert InboundMessage.objects.filter(status="applied").count() == 30
    assert Item.objects.count() == Item.history.count() == 30
    for partition in partitions:
        assert not flags.exists(inbox_queue._heartbeat(partition))


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_drain_past_its_time_hands_over_to_a_fresh_task_and_strands_nothing(
    erp_client, monkeypatch
):
    # given drains that may run no time at all before handing over (600 s is the worker's limit)
    monkeypatch.setattr(inbox_queue, "DRAIN_SECONDS", 0.0)
    drains: list[int] = []

    def count_drains(sender=None, args=(), **_):
        if sender.name == "integrations.tasks.inbox.drain_inbox":
            drains.append(args[0])

    task_postrun.connect(count_drains, weak=False)
    try:
        with real_worker():
            # when a batch lands in every partition
            _post(erp_client, "HANDOVER", 120)

            # then each partition's drain applies a batch, hands over, and its successor finds
            # the partition empty and lets the flag go; every message is applied once
            pending = InboundMessage.objects.filter(status="received")
            assert wait_until(lambda: not pending.exists(), timeout=60)
            flags = inbox_queue._redis(celery_app.conf.broker_url)
            partitions = range(inbox_queue.partitions())
            assert wait_until(
                lambda: not any(flags.exists(inbox_queue._flag(p)) for p in partitions), timeout=20
            )
    finally:
        task_postrun.disconnect(count_drains)

    assert sorted(drains) == sorted([*partitions, *partitions])
    assert InboundMessage.objects.filter(status="applied").count() == 120
    assert Item.objects.count() == Item.history.count() == 120
