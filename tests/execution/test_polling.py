"""The beat pulls snapshots from systems configured for polling; they take the inbox road in."""

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from execution.models import InventoryMismatch, SystemInventorySettings
from execution.services import inventory_adjust
from execution.tasks import poll_inventory_snapshot, poll_inventory_snapshots
from integrations.models import InboundMessage
from tests.execution.factories import SystemInventorySettingsFactory
from tests.execution.snapshot_server import Reply, SnapshotServer

pytestmark = pytest.mark.django_db

SNAPSHOT = {
    "plant": "P100",
    "as_of": "2026-05-13T10:00:00+00:00",
    "balances": [{"item": "BOLT", "on_hand": "40", "uom": "EA"}],
}


@pytest.fixture
def partner():
    with SnapshotServer() as server:
        yield server


@pytest.fixture
def polled(mes, shop, partner):
    inventory_adjust(
        transaction_id="OPEN",
        plant="P100",
        item="BOLT",
        quantity=Decimal("50"),
        uom="EA",
        occurred_at=datetime.fromisoformat("2026-05-13T08:00:00+00:00"),
        writer="MES-1",
    )
    return SystemInventorySettingsFactory(system=mes, snapshot_url=partner.url)


def settings_row(row) -> SystemInventorySettings:
    return SystemInventorySettings.objects.get(pk=row.pk)


def test_the_beat_pulls_a_due_snapshot_through_the_inbox(polled, partner, after_commit):
    # given the partner's endpoint answers one snapshot that disagrees with Weft
    partner.answer(Reply(body=json.dumps(SNAPSHOT).encode()))

    # when the beat task runs
    assert after_commit(poll_inventory_snapshots.delay).get() == 1

    # then the snapshot was stored as a connector message, applied, and the mismatch recorded
    assert partner.requests == ["/inventory/snapshot"]
    message = InboundMessage.objects.get()
    assert (message.channel, message.message_type, message.status) == (
        "connector",
        "inventory.snapshot",
        "applied",
    )
    assert message.envelope["source"] == "MES-1"
    mismatch = InventoryMismatch.objects.get()
    assert (mismatch.weft_on_hand, mismatch.external_on_hand) == (50, 40)
    row = settings_row(polled)
    assert row.last_polled_at is not None and row.last_poll_error == ""


def test_a_system_polled_recently_is_not_due(polled, partner, after_commit):
    SystemInventorySettings.objects.filter(pk=polled.pk).update(last_polled_at=timezone.now())

    assert after_commit(poll_inventory_snapshots.delay).get() == 0
    assert partner.requests == []

    SystemInventorySettings.objects.filter(pk=polled.pk).update(
        last_polled_at=timezone.now() - timedelta(minutes=61)
    )
    assert poll_inventory_snapshots.delay().get() == 1


def test_the_same_snapshot_polled_twice_is_one_message(polled, partner, after_commit):
    partner.answer(Reply(body=json.dumps(SNAPSHOT).encode()))

    after_commit(poll_inventory_snapshot.delay, polled.pk)
    after_commit(poll_inventory_snapshot.delay, polled.pk)

    assert len(partner.requests) == 2
    assert InboundMessage.objects.count() == 1
    assert InventoryMismatch.objects.count() == 1


def test_a_list_of_snapshots_becomes_one_message_each(polled, partner, after_commit):
    other = SNAPSHOT | {"plant": "P200"}
    partner.answer(Reply(body=json.dumps([SNAPSHOT, other]).encode()))

    after_commit(poll_inventory_snapshot.delay, polled.pk)

    assert InboundMessage.objects.filter(status="applied").count() == 2
    assert InventoryMismatch.objects.count() == 2


def test_a_partner_that_does_not_answer_in_time_is_noted_for_the_next_poll(polled, partner):
    SystemInventorySettings.objects.filter(pk=polled.pk).update(poll_timeout_seconds=1)
    partner.answer(Reply(body=json.dumps(SNAPSHOT).encode(), delay_seconds=1.5))

    assert poll_inventory_snapshot.delay(polled.pk).get() == 0

    assert settings_row(polled).last_poll_error == "No answer within 1 s."
    assert not InboundMessage.objects.exists()


def test_an_error_answer_is_noted(polled, partner):
    partner.answer(Reply(status=503, body=b"{}"))

    poll_inventory_snapshot.delay(polled.pk)

    assert settings_row(polled).last_poll_error == f"{partner.url} answered 503."
    assert not InboundMessage.objects.exists()


def test_a_body_that_is_not_json_is_kept_as_refused(polled, partner):
    partner.answer(Reply(body=b"<html>maintenance</html>"))

    poll_inventory_snapshot.delay(polled.pk)

    message = InboundMessage.objects.get()
    assert (message.channel, message.status) == ("connector", "rejected")
    assert message.body == "<html>maintenance</html>"
    assert "is not JSON" in settings_row(polled).last_poll_error


def test_a_snapshot_that_breaks_the_contract_is_kept_as_rejected(polled, partner):
    partner.answer(Reply(body=json.dumps({"plant": "P100", "as_of": SNAPSHOT["as_of"]}).encode()))

    poll_inventory_snapshot.delay(polled.pk)

    message = InboundMessage.objects.get()
    assert message.status == "rejected"
    assert message.errors[0]["field"] == "data.balances"
    assert "data.balances" in settings_row(polled).last_poll_error


def test_a_metadata_address_is_never_called(polled):
    SystemInventorySettings.objects.filter(pk=polled.pk).update(
        snapshot_url="http://169.254.169.254/latest/meta-data/"
    )

    poll_inventory_snapshot.delay(polled.pk)

    assert settings_row(polled).last_poll_error.startswith("Refused:")
    assert not InboundMessage.objects.exists()
