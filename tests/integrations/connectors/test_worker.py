"""Connectors with a real Celery worker on Redis: the beat's dispatcher, one run per connector at a
time, a slow partner that does not hold up another, and a push end to end."""

import uuid
from contextlib import contextmanager

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import transaction

from config.celery import app
from integrations.connectors.demo import REQUISITION_SAMPLE, configure_standin_connectors
from integrations.connectors.standin import StandinErp
from integrations.models import ApiCallMessage, Connector, InboundMessage, SyncRun
from integrations.outbox import emit
from integrations.tasks.connectors import run_due_connectors
from masterdata.models import Item
from tests.celery_worker import BROKER_URL, forget_broker_connections, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@contextmanager
def worker(concurrency: int = 1):
    """A real worker on its own queue; with threads, several tasks run at once."""
    queue = f"weft-test-{uuid.uuid4().hex[:12]}"
    overrides = {
        "broker_url": BROKER_URL,
        "task_always_eager": False,
        "task_default_queue": queue,
        "task_routes": {},
    }
    saved = {name: app.conf[name] for name in overrides}
    app.conf.update(overrides)
    forget_broker_connections()
    try:
        with start_worker(
            app,
            pool="threads" if concurrency > 1 else "solo",
            concurrency=concurrency,
            perform_ping_check=False,
            queues=[queue],
        ):
            yield
    finally:
        app.conf.update(saved)
        forget_broker_connections()
        with app.connection_for_write(BROKER_URL) as connection:
            connection.default_channel.queue_delete(queue)


def test_the_beat_dispatcher_runs_due_connectors_on_the_worker_and_the_items_arrive(
    make_connector,
):
    connector = make_connector()

    with worker():
        # when the beat's dispatcher looks who is due
        assert run_due_connectors() == 1
        # then the connector is not due again until its schedule comes round
        assert run_due_connectors() == 0
        # and the worker ran it, and drained the inbox into items
        assert wait_until(
            lambda: SyncRun.objects.filter(connector=connector, status="succeeded").exists(),
            timeout=60,
        )
        assert wait_until(
            lambda: not InboundMessage.objects.filter(status="received").exists(), timeout=60
        )

    run = SyncRun.objects.get(connector=connector)
    assert (run.records, run.new) == (120, 120)
    assert Item.objects.filter(code__startswith="SM-").count() == 120
    connector.refresh_from_db()
    assert connector.next_run_at is not None


def test_a_slow_partner_times_out_in_its_own_run_while_another_partner_is_served(
    make_connector, standin
):
    # given a partner whose every answer takes 3 s (timeout 1 s), and a quick one
    from tests.factories import ExternalSystemFactory

    slow_erp = StandinErp(items=10, delay_seconds=3).start()
    try:
        slow = make_connector(
            erp=slow_erp,
            system=ExternalSystemFactory(code="ERP-SLOW"),
            page_attempts=2,
            api_options={"timeout_seconds": 1},
        )
        quick = make_connector()
        Connector.objects.filter(pk=slow.pk).update(next_run_at=None)

        with worker(concurrency=2):
            # when both are due at once
            run_due_connectors()
            # then the quick one finishes while the slow one is still waiting on its partner
            assert wait_until(
                lambda: SyncRun.objects.filter(connector=quick, status="succeeded").exists(),
                timeout=60,
            )
            slow_run = SyncRun.objects.filter(connector=slow).first()
            assert slow_run is None or slow_run.status == "running"
            # and the slow one ends on its timeout, saying so
            assert wait_until(
                lambda: SyncRun.objects.filter(connector=slow, status="failed").exists(),
                timeout=60,
            )
            # (and the quick one's messages are applied before the worker stops)
            assert wait_until(
                lambda: not InboundMessage.objects.filter(status="received").exists(), timeout=60
            )
    finally:
        slow_erp.stop()
    failed = SyncRun.objects.get(connector=slow)
    assert "No answer within 1 s" in failed.error


def test_a_release_reaches_the_erp_through_the_worker_and_its_number_comes_back(erp_eu, standin):
    configure_standin_connectors(system=erp_eu, base_url=standin.url, token_url=standin.token_url)

    with worker():
        with transaction.atomic():
            event = emit(
                "planned_order.released", REQUISITION_SAMPLE, key="planned_order:PLN-000001"
            )
        assert wait_until(
            lambda: ApiCallMessage.objects.filter(event=event, status="delivered").exists(),
            timeout=60,
        )

    assert ApiCallMessage.objects.get(event=event).document_number == "PR1000001"
