"""Retention: old finished messages are archived to gzip JSON Lines files, then purged in batches.

Only what is finished and older than `WEFT["RETENTION_DAYS"]` goes: inbound messages applied or
rejected, outbound messages delivered or cancelled (their attempts with them), and dispatched
events no delivery points to any more. Received, dead or pending rows are never touched, so a
message not yet applied or delivered cannot be lost. Each batch is one short transaction that
locks only its own rows (`SKIP LOCKED`), and its archive file is written and flushed to disk
before the rows are deleted: a crash leaves at worst a file whose rows are purged again later.

A purged inbound message frees its idempotency key: keep the retention longer than any partner
would resend a message.
"""

import gzip
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from integrations.models import DeliveryAttempt, Event, InboundMessage, OutboundMessage


@dataclass
class PurgeReport:
    cutoff: datetime
    purged: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


def retention_cutoff(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.WEFT["RETENTION_DAYS"])


def expired_inbound(cutoff: datetime) -> models.QuerySet:
    finished = [InboundMessage.Status.APPLIED, InboundMessage.Status.REJECTED]
    return InboundMessage.objects.filter(status__in=finished, received_at__lt=cutoff)


def expired_outbound(cutoff: datetime) -> models.QuerySet:
    finished = [OutboundMessage.Status.DELIVERED, OutboundMessage.Status.CANCELLED]
    return OutboundMessage.objects.filter(status__in=finished, created_at__lt=cutoff)


def expired_events(cutoff: datetime) -> models.QuerySet:
    return Event.objects.filter(
        occurred_at__lt=cutoff, dispatched_at__isnull=False, deliveries__isnull=True
    )


def _archive(kind: str, rows: list[dict], now: datetime) -> Path:
    folder = Path(settings.WEFT["ARCHIVE_DIR"]) / kind / now.strftime("%Y/%m/%d")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kind}-{rows[0]['id']}-{rows[-1]['id']}-{now:%H%M%S%f}.jsonl.gz"
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb") as archive:
        for row in rows:
            archive.write(json.dumps(row, cls=DjangoJSONEncoder).encode() + b"\n")
        archive.flush()
        raw.flush()
        os.fsync(raw.fileno())
    return path


def _outbound_rows(ids: list[int]) -> list[dict]:
    attempts: dict[int, list] = {}
    for attempt in DeliveryAttempt.objects.filter(message_id__in=ids).values().order_by("id"):
        attempts.setdefault(attempt["message_id"], []).append(attempt)
    rows = list(OutboundMessage.objects.filter(id__in=ids).values().order_by("id"))
    for row in rows:
        row["attempts"] = attempts.get(row["id"], [])
    return rows


def _purge_batch(
    kind: str, expired: models.QuerySet, rows_of: Callable[[list[int]], list[dict]], batch: int
) -> tuple[int, Path | None]:
    with transaction.atomic():
        ids = list(
            expired.order_by("id")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("id", flat=True)[:batch]
        )
        if not ids:
            return 0, None
        path = _archive(kind, rows_of(ids), timezone.now())
        # The rows are locked: their state cannot change between the archive and the delete.
        expired.model.objects.filter(id__in=ids).delete()
    return len(ids), path


def expired_messages_purge(
    *, now: datetime | None = None, max_batches: int | None = None, progress=None
) -> PurgeReport:
    """Archive, then delete, every finished message and event older than the retention."""
    cutoff = retention_cutoff(now)
    batch = settings.WEFT["RETENTION_BATCH"]
    report = PurgeReport(cutoff=cutoff)
    plans = [
        (
            "inbound",
            expired_inbound(cutoff),
            lambda ids: list(InboundMessage.objects.filter(id__in=ids).values().order_by("id")),
        ),
        ("outbound", expired_outbound(cutoff), _outbound_rows),
        (
            "events",
            expired_events(cutoff),
            lambda ids: list(Event.objects.filter(id__in=ids).values().order_by("id")),
        ),
    ]
    for kind, expired, rows_of in plans:
        report.purged[kind] = 0
        batches = 0
        while max_batches is None or batches < max_batches:
            count, path = _purge_batch(kind, expired, rows_of, batch)
            if not count:
                break
            batches += 1
            report.purged[kind] += count
            report.files.append(str(path))
            if progress is not None:
                progress(kind, count)
    return report
