"""A sync run: pull a partner resource page by page into the same inbox as pushed messages.

Each record becomes a canonical envelope through the connector's active mapping, with the
idempotency key `<resource>:<record id>:<updated at>:m<mapping version>`: the same record
pulled again (the overlap window, a rerun, a full resync) is the same message and the inbox
answers it once; a changed record (new updated-at) is a new message. The mapping version is
part of the key so a corrected mapping makes new messages instead of conflicting with old ones.

Records that cannot be mapped, or whose mapped data fails the message's schema, are stored in
the inbox as rejected with the reason (kept, never dropped) and counted as rejected. Ownership,
code maps, validation, history and replay then apply as to any inbound message.

The watermark: the run asks for records updated since (watermark - overlap) and, page by page
in the same transaction as the page's messages, moves the watermark to the highest updated-at
among the records it stored. A page that fails (after its retries) ends the run there: the
watermark stays past what was stored and not past anything else. When a partner does not give
records oldest first (`ordered_by_updated_at` off), the watermark moves only at the end of a
run that finished.
"""

import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from integrations.connectors import limits
from integrations.connectors.auth import AuthenticationFailed
from integrations.connectors.client import PartnerClient, RetryLater
from integrations.connectors.mapping import MappingFailed, apply_expression, search
from integrations.connectors.pagination import Pager
from integrations.correlation import new_correlation_id
from integrations.inbox import (
    inbound_receive_batch,
    inbound_receive_envelope,
    inbound_refuse,
)
from integrations.models import Connector, InboundMessage, MappingVersion, PulledRecord, SyncRun
from integrations.schemas import data_errors

log = logging.getLogger(__name__)
CHANNEL = InboundMessage.Channel.CONNECTOR
# A run holds its connector's lock at most this long (a crashed worker's lock frees itself).
RUN_LOCK_SECONDS = 3600

Progress = Callable[[SyncRun], None]


class PageFailed(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Record:
    raw: dict
    record_id: str | None
    updated_at: datetime | None
    envelope: dict | None
    problem: str


def run_lock_name(connector_id: int) -> str:
    return f"connector-run:{connector_id}"


def connector_sync(
    *,
    connector: Connector,
    full_resync: bool = False,
    trigger: str = "schedule",
    progress: Progress | None = None,
) -> SyncRun | None:
    """Pull the connector's resource once; None when another run of it is going on."""
    with limits.exclusive(run_lock_name(connector.pk), RUN_LOCK_SECONDS) as held:
        if not held:
            log.info("Connector %s is running already; this run is skipped.", connector)
            return None
        connector = Connector.objects.select_related("api__system", "mapping__active_version").get(
            pk=connector.pk
        )
        full_resync = full_resync or connector.resync_requested
        return _run(connector, full_resync=full_resync, trigger=trigger, progress=progress)


def _run(connector: Connector, *, full_resync: bool, trigger: str, progress) -> SyncRun:
    started = time.monotonic()
    since = None
    if not full_resync and connector.watermark is not None:
        since = connector.watermark - timedelta(seconds=connector.overlap_seconds)
    run = SyncRun.objects.create(
        connector=connector,
        full_resync=full_resync,
        trigger=trigger,
        correlation_id=new_correlation_id(),
        updated_since=since,
        watermark_before=connector.watermark,
        progress="starting",
    )
    version = connector.mapping.active_version
    try:
        if version is None:
            raise PageFailed(
                f"Mapping {connector.mapping.name} has no active version; test and activate one."
            )
        if not connector.api.system.enabled:
            raise PageFailed(f"System {connector.api.system.code} is disabled.")
        highest = _pull(connector, run, version, since, progress)
    except PageFailed as failure:
        _finish(run, connector, started, error=failure.message)
    except Exception as error:
        _finish(run, connector, started, error=f"Internal error: {type(error).__name__}: {error}")
        raise
    else:
        if not connector.ordered_by_updated_at and highest is not None:
            _move_watermark(connector, highest)
        _finish(run, connector, started, error="", full_resync=full_resync)
    if progress:
        progress(run)
    return run


def _finish(run: SyncRun, connector: Connector, started: float, *, error: str, full_resync=False):
    run.status = SyncRun.Status.FAILED if error else SyncRun.Status.SUCCEEDED
    run.error = error
    run.finished_at = timezone.now()
    run.duration_ms = int((time.monotonic() - started) * 1000)
    run.watermark_after = Connector.objects.values_list("watermark", flat=True).get(pk=connector.pk)
    run.progress = (
        f"failed on page {run.failed_page}" if error and run.failed_page else error[:200] or "done"
    )
    run.save()
    if full_resync and not error:
        # Only a finished full resync answers the request for one (saved, so its history shows).
        connector.resync_requested = False
        connector.save(update_fields=["resync_requested", "updated_at"])


def _pull(connector, run, version, since, progress) -> datetime | None:
    api = connector.api
    params = dict(connector.extra_params or {})
    if since is not None and connector.updated_since_param:
        params[connector.updated_since_param] = since.isoformat().replace("+00:00", "Z")
    pager = Pager(connector, api.url(connector.path), params)
    highest = None
    with PartnerClient(api, max_wait_seconds=connector.max_wait_seconds) as client:
        while True:
            page_number = run.pages + 1
            answer, body = _fetch(client, connector, run, pager, page_number)
            records = search(connector.records_path, body)
            if not isinstance(records, list):
                run.failed_page = page_number
                raise PageFailed(
                    f"Page {page_number}: no list of records at '{connector.records_path}' "
                    f"in the answer: {answer.text[:200]}"
                )
            page_highest = _store_page(connector, run, version, records)
            if page_highest is not None and (highest is None or page_highest > highest):
                highest = page_highest
            if progress:
                progress(run)
            if not records or not pager.advance(answer, body, records):
                return highest


def _fetch(client: PartnerClient, connector: Connector, run: SyncRun, pager: Pager, number: int):
    """One page, retried on 429 (after its Retry-After) and on failures (with backoff)."""
    for attempt in range(1, connector.page_attempts + 1):
        url, params = pager.request()
        try:
            answer = client.call("GET", url, params=params)
        except RetryLater as error:
            if attempt == connector.page_attempts:
                run.failed_page = number
                raise PageFailed(f"Page {number} failed {attempt} times; last: {error}") from error
            run.retries += 1
            if error.status_code != 429:  # a 429's wait is shared by every caller in request_permit
                wait = min(
                    connector.max_wait_seconds,
                    connector.retry_base_seconds * 2 ** (attempt - 1) * random.uniform(0.5, 1.0),
                )
                time.sleep(wait)
            continue
        except (limits.PartnerUnavailable, AuthenticationFailed) as error:
            run.failed_page = number
            raise PageFailed(f"Page {number}: {error}") from error
        if answer.status_code != 200:
            run.failed_page = number
            raise PageFailed(f"Page {number}: {answer.status_code} {answer.text[:300]}")
        try:
            return answer, answer.json()
        except ValueError as error:
            run.failed_page = number
            raise PageFailed(
                f"Page {number}: the answer is not JSON: {answer.text[:200]}"
            ) from error
    raise AssertionError("unreachable")


def _instant(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = parse_datetime(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def _record(connector: Connector, version: MappingVersion, raw) -> Record:
    if not isinstance(raw, dict):
        return Record({"record": raw}, None, None, None, "The record is not a JSON object.")
    record_id = search(connector.record_id_path, raw)
    updated_at = _instant(search(connector.updated_at_path, raw))
    if record_id in (None, "") or isinstance(record_id, (dict, list, bool)):
        return Record(raw, None, updated_at, None, f"No record id at '{connector.record_id_path}'.")
    record_id = str(record_id)
    if updated_at is None:
        return Record(
            raw,
            record_id,
            None,
            None,
            f"Record {record_id}: no ISO 8601 instant at '{connector.updated_at_path}'.",
        )
    try:
        data = apply_expression(version.expression, raw)
    except MappingFailed as error:
        return Record(raw, record_id, updated_at, None, f"Record {record_id}: {error}")
    stamp = updated_at.isoformat()
    envelope = {
        "type": connector.mapping.message_type,
        "version": 1,
        "id": f"{connector.resource}:{record_id}:{stamp}:m{version.number}"[:200],
        "source": connector.api.system.code,
        "occurred_at": stamp,
        "data": data,
    }
    return Record(raw, record_id, updated_at, envelope, "")


def _store_page(connector: Connector, run: SyncRun, version: MappingVersion, raws: list):
    """Store one page's records and move the watermark, in one transaction; the page's highest
    updated-at."""
    system = connector.api.system
    records = [_record(connector, version, raw) for raw in raws]
    valid, invalid = [], []
    for record in records:
        if record.envelope is None:
            continue
        # The envelope is Weft's own making; only the mapped data can be wrong.
        if data_errors(record.envelope["type"], 1, record.envelope["data"]):
            invalid.append(record)
        else:
            valid.append(record)
    stored_since = run.started_at
    with transaction.atomic():
        intakes = inbound_receive_batch(
            system=system,
            envelopes=[r.envelope for r in valid],
            channel=CHANNEL,
            correlation_id=run.correlation_id,
        )
        for record in invalid:
            intake = inbound_receive_envelope(
                system=system,
                envelope=record.envelope,
                channel=CHANNEL,
                correlation_id=run.correlation_id,
            )
            _count_rejected(run, intake, stored_since)
        for record in records:
            if record.envelope is None:
                intake = inbound_refuse(
                    system=system,
                    raw=json.dumps(record.raw, ensure_ascii=False, sort_keys=True),
                    channel=CHANNEL,
                    reason=record.problem,
                )
                _count_rejected(run, intake, stored_since)
        fresh = {}
        for record, intake in zip(valid, intakes, strict=True):
            if intake.http_status == 202:
                fresh[record.record_id] = (record, intake.message.pk)
            elif intake.http_status == 200:
                run.unchanged += 1
            else:
                _count_rejected(run, intake, stored_since)
        _count_new_and_changed(connector, run, fresh)
        stamps = [r.updated_at for r in records if r.updated_at is not None]
        highest = max(stamps) if stamps else None
        if highest is not None and connector.ordered_by_updated_at:
            _move_watermark(connector, highest)
        run.pages += 1
        run.records += len(raws)
        run.progress = (
            f"page {run.pages}: {run.records:,} records "
            f"({run.new:,} new, {run.changed:,} changed, {run.rejected:,} rejected)"
        )
        run.save()
    return highest


def _count_rejected(run: SyncRun, intake, stored_since) -> None:
    """A record refused in this run is rejected; one refused in an earlier run is unchanged."""
    if intake.message.received_at >= stored_since:
        run.rejected += 1
    else:
        run.unchanged += 1


def _count_new_and_changed(connector: Connector, run: SyncRun, fresh: dict) -> None:
    if not fresh:
        return
    known = set(
        PulledRecord.objects.filter(connector=connector, record_id__in=list(fresh)).values_list(
            "record_id", flat=True
        )
    )
    run.new += len(fresh.keys() - known)
    run.changed += len(fresh.keys() & known)
    PulledRecord.objects.bulk_create(
        [
            PulledRecord(
                connector=connector,
                record_id=record_id,
                updated_at=record.updated_at,
                message_id=message_id,
            )
            for record_id, (record, message_id) in fresh.items()
        ],
        update_conflicts=True,
        unique_fields=["connector", "record_id"],
        update_fields=["updated_at", "message_id"],
    )


def _move_watermark(connector: Connector, highest: datetime) -> None:
    if connector.watermark is None or highest > connector.watermark:
        connector.watermark = highest
        # Not save(): the watermark is left out of the connector's history on purpose, and a
        # history row per page would bury the configuration changes it is there for.
        Connector.objects.filter(pk=connector.pk).update(watermark=highest)


def full_resync_request(*, connector: Connector) -> Connector:
    """Ask for the next run to pull everything again, ignoring the watermark."""
    connector.resync_requested = True
    connector.save(update_fields=["resync_requested", "updated_at"])
    return connector
