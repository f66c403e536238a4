"""Retention: finished old rows are archived then purged; nothing young or unfinished is touched."""

import gzip
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone

from config.celery import app as celery_app
from integrations.models import DeliveryAttempt, Event, InboundMessage, OutboundMessage
from integrations.retention import expired_messages_purge
from tests.factories import ExternalSystemFactory
from tests.integrations.delivery_factories import EventFactory, OutboundMessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def retention(settings, tmp_path):
    settings.WEFT = settings.WEFT | {
        "RETENTION_DAYS": 30,
        "RETENTION_BATCH": 2,
        "ARCHIVE_DIR": str(tmp_path),
    }
    return tmp_path


def inbound(system, key: str, status: str, days_old: int) -> InboundMessage:
    message = InboundMessage.objects.create(
        system=system,
        idempotency_key=key,
        message_type="item.upserted",
        correlation_id="c-" + key,
        body=json.dumps({"id": key}),
        body_sha256=key,
        status=status,
    )
    InboundMessage.objects.filter(pk=message.pk).update(
        received_at=timezone.now() - timedelta(days=days_old)
    )
    return message


def outbound(status: str, days_old: int) -> OutboundMessage:
    message = OutboundMessageFactory(status=status)
    old = timezone.now() - timedelta(days=days_old)
    OutboundMessage.objects.filter(pk=message.pk).update(created_at=old)
    Event.objects.filter(pk=message.event_id).update(occurred_at=old)
    return message


def archived_rows(folder: Path, kind: str) -> list[dict]:
    rows = []
    for path in sorted((folder / kind).rglob("*.jsonl.gz")):
        with gzip.open(path) as archive:
            rows.extend(json.loads(line) for line in archive)
    return rows


def test_old_finished_inbound_messages_are_archived_then_purged(retention):
    system = ExternalSystemFactory()
    gone = [
        inbound(system, "applied-old", "applied", 40),
        inbound(system, "rejected-old", "rejected", 31),
        inbound(system, "applied-older", "applied", 400),
    ]
    kept = [
        inbound(system, "applied-young", "applied", 29),
        inbound(system, "received-old", "received", 400),
        inbound(system, "dead-old", "dead", 400),
    ]

    report = expired_messages_purge()

    assert report.purged["inbound"] == 3
    assert set(InboundMessage.objects.values_list("pk", flat=True)) == {m.pk for m in kept}
    rows = archived_rows(retention, "inbound")
    assert sorted(r["idempotency_key"] for r in rows) == sorted(m.idempotency_key for m in gone)
    assert json.loads(rows[0]["body"])["id"] == rows[0]["idempotency_key"]
    # A batch of 2: three rows make two files, each its own short transaction.
    assert len(list((retention / "inbound").rglob("*.jsonl.gz"))) == 2


def test_delivered_messages_go_with_their_attempts_undelivered_ones_stay(retention):
    delivered = outbound("delivered", 60)
    DeliveryAttempt.objects.create(
        message=delivered, number=1, started_at=timezone.now(), duration_ms=12, status_code=200
    )
    pending = outbound("pending", 60)
    dead = outbound("dead", 60)
    young = outbound("delivered", 5)

    report = expired_messages_purge()

    assert report.purged["outbound"] == 1
    assert set(OutboundMessage.objects.values_list("pk", flat=True)) == {
        pending.pk,
        dead.pk,
        young.pk,
    }
    assert not DeliveryAttempt.objects.exists()
    (row,) = archived_rows(retention, "outbound")
    assert row["id"] == delivered.pk and row["attempts"][0]["status_code"] == 200
    # The delivered message's event has no delivery left and is old: it is archived too.
    assert report.purged["events"] == 1
    assert not Event.objects.filter(pk=delivered.event_id).exists()
    assert Event.objects.filter(pk=pending.event_id).exists()


def test_an_undispatched_event_is_never_purged(retention):
    event = EventFactory(dispatched_at=None)
    Event.objects.filter(pk=event.pk).update(occurred_at=timezone.now() - timedelta(days=90))

    expired_messages_purge()

    assert Event.objects.filter(pk=event.pk).exists()


def test_a_second_run_finds_nothing_more(retention):
    system = ExternalSystemFactory()
    inbound(system, "a", "applied", 40)
    expired_messages_purge()

    again = expired_messages_purge()

    assert again.purged == {"inbound": 0, "outbound": 0, "events": 0}


def test_the_command_reports_what_it_purged(retention, capsys):
    system = ExternalSystemFactory()
    inbound(system, "a", "applied", 40)

    call_command("purge_expired_messages", verbosity=0)

    assert "inbound 1" in capsys.readouterr().out


def test_beat_runs_the_purge_every_night_on_a_consumed_queue():
    entry = django_settings.CELERY_BEAT_SCHEDULE["integrations-purge-expired-messages"]
    celery_app.loader.import_default_modules()

    assert entry["task"] in celery_app.tasks
    assert entry["options"]["queue"] == "default"
