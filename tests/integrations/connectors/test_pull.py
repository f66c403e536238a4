"""Pulling the stand-in ERP's items over real HTTP into the inbox, with the watermark and overlap."""

from datetime import UTC, datetime, timedelta

import pytest

from integrations.connectors.pull import connector_sync, full_resync_request
from integrations.connectors.standin import EPOCH
from integrations.models import InboundMessage, PulledRecord, SyncRun
from masterdata.models import Item

pytestmark = pytest.mark.django_db


def test_a_run_pulls_every_page_and_the_items_arrive_through_the_inbox(
    make_connector, standin, after_commit
):
    # given the stand-in ERP with 120 items and a connector paging 50 at a time
    connector = make_connector()

    # when the connector runs (and what it stored is applied, as after a real commit)
    run = after_commit(connector_sync, connector=connector)

    # then three pages and 120 new records were stored once each, as connector messages
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert (run.pages, run.records, run.new, run.changed, run.rejected) == (3, 120, 120, 0, 0)
    assert run.duration_ms is not None and run.progress == "done"
    messages = InboundMessage.objects.filter(system=connector.api.system)
    assert messages.count() == 120
    assert set(messages.values_list("channel", flat=True)) == {"connector"}
    assert set(messages.values_list("correlation_id", flat=True)) == {run.correlation_id}
    assert messages.get(idempotency_key__startswith="items:SM-000007:").envelope["data"] == {
        "code": "SM-000007",
        "description": "Material 7",
        "base_uom": "KG",
        "item_type": "buy",
        "lifecycle": "active",
        "plants": [
            {
                "plant": "P200",
                "lead_time_days": 10,
                "safety_stock": "7",
                "lot_size_rule": "lot_for_lot",
                "lot_size_quantity": "0",
                "min_order_quantity": "15",
                "order_multiple": "1",
            }
        ],
    }
    # and the masterdata handler applied them: ownership, validation and history as for a push
    assert set(messages.values_list("status", flat=True)) == {"applied"}
    made = Item.objects.get(code="SM-000005")
    assert (made.item_type, made.description, made.base_uom.code) == ("make", "Material 5", "EA")
    assert made.history.first().history_system == "ERP-EU"
    assert Item.objects.get(code="SM-000097").lifecycle == "obsolete"
    # and the watermark is the newest record's updated-at
    connector.refresh_from_db()
    assert connector.watermark == EPOCH + timedelta(seconds=120)
    assert run.watermark_after == connector.watermark


def test_the_next_run_asks_from_the_watermark_less_the_overlap_and_tells_changed_from_unchanged(
    make_connector, standin
):
    # given a first run, then one item changed in the ERP
    connector = make_connector(overlap_seconds=10)
    connector_sync(connector=connector)
    changed_at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    standin.touch(["SM-000003"], at=changed_at)

    # when the connector runs again
    run = connector_sync(connector=connector)

    # then it asked for records updated since the watermark less ten seconds
    asked = standin.requests_to("/items")[-1].query["updated_since"]
    assert asked == "2026-01-01T00:01:50Z"
    # and the overlap's eleven records were known, the touched one is a change
    assert (run.records, run.new, run.changed, run.unchanged) == (12, 0, 1, 11)
    assert InboundMessage.objects.filter(system=connector.api.system).count() == 121
    connector.refresh_from_db()
    assert connector.watermark == changed_at
    assert PulledRecord.objects.get(connector=connector, record_id="SM-000003").updated_at == (
        changed_at
    )


def test_a_rerun_pulls_nothing_new(make_connector):
    connector = make_connector(overlap_seconds=3600)
    connector_sync(connector=connector)

    rerun = connector_sync(connector=connector)

    assert rerun.status == SyncRun.Status.SUCCEEDED
    assert (rerun.records, rerun.new, rerun.changed, rerun.unchanged) == (120, 0, 0, 120)
    assert InboundMessage.objects.filter(system=connector.api.system).count() == 120


def test_a_full_resync_ignores_the_watermark_and_finds_everything_known(make_connector, standin):
    connector = make_connector()
    connector_sync(connector=connector)
    full_resync_request(connector=connector)

    run = connector_sync(connector=connector)

    assert run.full_resync is True and run.updated_since is None
    assert "updated_since" not in standin.requests_to("/items")[-1].query
    assert (run.records, run.unchanged, run.new) == (120, 120, 0)
    connector.refresh_from_db()
    assert connector.resync_requested is False


def test_rejected_records_are_counted_kept_and_not_counted_again(make_connector, standin):
    # given records the mapping cannot make valid: no unit, no updated-at, a bad procurement plant
    later = "2026-01-01T00:05:00Z"
    standin.put({"id": "BAD-1", "material": "BAD-1", "procurement_type": "F", "updated_at": later})
    standin.put({"id": "BAD-2", "material": "BAD-2", "unit": "EA", "procurement_type": "F"})
    connector = make_connector()

    # when the connector runs
    run = connector_sync(connector=connector)

    # then both are rejected and kept in the inbox with the reason, and the rest stored
    assert run.status == SyncRun.Status.SUCCEEDED
    assert (run.records, run.new, run.rejected) == (122, 120, 2)
    rejected = InboundMessage.objects.filter(system=connector.api.system, status="rejected")
    reasons = sorted(rejected.values_list("reason", flat=True))
    assert any("base_uom" in reason for reason in reasons), reasons
    assert any("Record BAD-2: no ISO 8601 instant at 'updated_at'" in r for r in reasons), reasons
    no_unit = rejected.get(idempotency_key__startswith="items:BAD-1:")
    assert no_unit.errors[0]["field"] == "data.base_uom"
    # and the watermark moved past the stored (rejected) record too
    connector.refresh_from_db()
    assert connector.watermark == datetime(2026, 1, 1, 0, 5, tzinfo=UTC)

    # when it runs again over the same records
    full_resync_request(connector=connector)
    again = connector_sync(connector=connector)

    # then nothing is rejected twice, and nothing new is stored
    assert (again.rejected, again.new, again.unchanged) == (0, 0, 122)
    assert InboundMessage.objects.filter(system=connector.api.system).count() == 122


def test_429_with_retry_after_and_500_are_retried_and_every_record_is_stored_once(
    make_connector, standin
):
    connector = make_connector()
    standin.fail_next(429, retry_after=1)
    standin.fail_next(500, 503)

    run = connector_sync(connector=connector)

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert run.retries == 3
    assert InboundMessage.objects.filter(system=connector.api.system).count() == 120
    assert [s.status for s in standin.served[:4]] == [429, 500, 503, 200]


def test_a_failed_page_ends_the_run_with_the_watermark_past_only_what_was_stored(
    make_connector, standin
):
    # given a partner that goes down after the first page
    connector = make_connector(page_attempts=2)

    def after_page(run):
        if run.pages == 1:
            standin.outage(500)

    # when the connector runs
    run = connector_sync(connector=connector, progress=after_page)

    # then the run failed on page 2, naming the answer, after page 1 was stored
    assert run.status == SyncRun.Status.FAILED
    assert run.failed_page == 2
    assert "Page 2 failed 2 times" in run.error and "500" in run.error
    assert (run.pages, run.records) == (1, 50)
    connector.refresh_from_db()
    assert connector.watermark == EPOCH + timedelta(seconds=50)

    # when the partner is back, the next run goes on from there and nothing is lost
    standin.outage(None)
    resumed = connector_sync(connector=connector)
    assert resumed.status == SyncRun.Status.SUCCEEDED
    assert resumed.new == 70
    assert InboundMessage.objects.filter(system=connector.api.system).count() == 120


def test_a_partner_without_order_moves_the_watermark_only_after_a_finished_run(
    make_connector, standin
):
    connector = make_connector(ordered_by_updated_at=False, page_attempts=1)

    def after_page(run):
        if run.pages == 1:
            standin.outage(503)

    run = connector_sync(connector=connector, progress=after_page)

    assert run.status == SyncRun.Status.FAILED
    connector.refresh_from_db()
    assert connector.watermark is None


def test_a_mapping_without_an_active_version_fails_the_run_plainly(make_connector, item_mapping):
    item_mapping.active_version = None
    item_mapping.save()
    connector = make_connector()

    run = connector_sync(connector=connector)

    assert run.status == SyncRun.Status.FAILED
    assert "has no active version" in run.error


def test_no_partner_listening_fails_the_run_with_a_clear_error(make_connector, standin):
    connector = make_connector(page_attempts=2)
    standin.stop()

    run = connector_sync(connector=connector)

    assert run.status == SyncRun.Status.FAILED
    assert "Page 1 failed 2 times; last: Could not connect" in run.error
