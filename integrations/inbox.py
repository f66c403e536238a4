"""The inbox: store every message raw first, answer once per idempotency key, apply exactly once.

Intake never raises for bad input: a body that is not JSON, an unknown type, a source that is
not the caller's system are all stored as rejected with the reason and answered 4xx.
Processing runs the owning app's handler in one transaction with the message's new status; a
refusal (ApplicationError) rolls the handler's writes back and marks the message rejected, an
infrastructure error propagates so Celery retries, and anything else parks it as dead.
"""

import contextlib
import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache

from celery.exceptions import SoftTimeLimitExceeded
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from integrations.atomic import enclosing_savepoint
from integrations.codemaps import apply_code_maps, code_map_table
from integrations.correlation import correlation_scope, new_correlation_id, valid_correlation_id
from integrations.errors import ApplicationError
from integrations.handlers import registration_for
from integrations.history import acting_as
from integrations.inbox_queue import enqueue_processing
from integrations.inbox_store import insert_messages
from integrations.memo import forget_memoized, memoized
from integrations.models import ExternalSystem, InboundMessage
from integrations.ownership import ownership_check
from integrations.schemas import INBOUND_TYPES, envelope_errors, known_types, message_errors

log = logging.getLogger(__name__)
Status = InboundMessage.Status
MAX_KEY_LENGTH = 200
MAX_PROCESSING_ATTEMPTS = 10


@cache
def _message_url_template() -> str:
    return reverse("inbound-message-detail", args=[0]).replace("/0/", "/{}/")


def message_url(message_id: int) -> str:
    """The status URL of a message (one reverse() per process, not per message)."""
    return _message_url_template().format(message_id)


@dataclass
class Intake:
    """What the partner is told about one message."""

    message: InboundMessage
    http_status: int
    errors: list[dict] = field(default_factory=list)
    detail: str = ""

    def answer(self) -> dict:
        body = {
            "id": self.message.pk,
            "status": self.message.status,
            "url": message_url(self.message.pk),
        }
        if self.detail:
            body["detail"] = self.detail
        if self.errors:
            body["errors"] = self.errors
        return body


@dataclass
class Parsed:
    raw_text: str
    envelope: dict | None
    digest: str
    errors: list[dict]


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


def strict_json_loads(text: str | bytes):
    """JSON as the standard has it: Python's NaN and Infinity extensions are refused."""
    return json.loads(text, parse_constant=_refuse_constant)


def parse_envelope(raw: bytes | str, *, system: ExternalSystem, check_data: bool = True) -> Parsed:
    """Decode and validate one envelope without touching the database."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            text = storable_text(raw)
            return Parsed(
                text,
                None,
                _digest_raw(text),
                [_error(None, f"The body is not UTF-8: {error.reason} at byte {error.start}.")],
            )
    else:
        text = raw
    if "\x00" in text:
        # JSON never carries a raw NUL, and PostgreSQL text cannot hold one.
        text = storable_text(text)
        return Parsed(
            text,
            None,
            _digest_raw(text),
            [_error(None, "The body contains NUL bytes; it is not valid JSON.")],
        )
    try:
        envelope = strict_json_loads(text)
    except (ValueError, RecursionError) as error:
        return Parsed(
            text, None, _digest_raw(text), [_error(None, f"The body is not valid JSON: {error}.")]
        )
    return check_envelope(envelope, system=system, raw_text=text, check_data=check_data)


def check_envelope(
    envelope, *, system: ExternalSystem, raw_text: str | None = None, check_data: bool = True
) -> Parsed:
    text = (
        raw_text
        if raw_text is not None
        else json.dumps(envelope, separators=(",", ":"), ensure_ascii=False)
    )
    if not isinstance(envelope, dict):
        return Parsed(
            text,
            None,
            _digest_raw(text),
            [_error(None, "The body must be a JSON object (an envelope).")],
        )
    nul_at = _nul_path(envelope)
    if nul_at is not None:
        # PostgreSQL's jsonb cannot hold U+0000, and no business value carries one.
        where = nul_at or "the body"
        return Parsed(
            text,
            None,
            _digest_raw(text),
            [_error(nul_at or None, f"{where} contains the NUL character (\\u0000).")],
        )
    digest = hashlib.sha256(
        json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()
    errors = (
        message_errors(envelope, types=INBOUND_TYPES)
        if check_data
        else _envelope_only_errors(envelope)
    )
    source = envelope.get("source")
    if isinstance(source, str) and source != system.code:
        errors.append(
            {
                "field": "source",
                "value": source,
                "message": f"source must be the caller's own system, {system.code}.",
            }
        )
    return Parsed(text, envelope, digest, errors)


def _nul_path(value, path: str = "") -> str | None:
    """The dotted path of the first string (or key) holding U+0000, or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, child in value.items():
            shown = key.replace("\x00", "\\u0000")
            child_path = f"{path}.{shown}" if path else shown
            if "\x00" in key:
                return child_path
            found = _nul_path(child, child_path)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, child in enumerate(value):
            found = _nul_path(child, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


def _envelope_only_errors(envelope: dict) -> list[dict]:
    errors = envelope_errors(envelope)
    message_type, version = envelope.get("type"), envelope.get("version")
    if isinstance(message_type, str) and message_type not in INBOUND_TYPES:
        errors.append(
            {
                "field": "type",
                "value": message_type,
                "message": f"Message type {message_type!r} is not accepted here.",
            }
        )
    elif (
        isinstance(message_type, str)
        and isinstance(version, int)
        and version not in known_types().get(message_type, [])
    ):
        errors.append(
            {
                "field": "version",
                "value": version,
                "message": f"Version {version} of {message_type} is not accepted.",
            }
        )
    return errors


def storable_text(raw: bytes | str) -> str:
    """The body as text PostgreSQL can store: undecodable bytes and NULs become U+FFFD."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    return text.replace("\x00", "\ufffd")


def _digest_raw(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="replace")).hexdigest()


def _error(field_name, message: str) -> dict:
    return {"field": field_name, "message": message}


def _idempotency_key(parsed: Parsed, header_key: str | None) -> str:
    if header_key:
        return header_key[:MAX_KEY_LENGTH]
    envelope_id = (parsed.envelope or {}).get("id")
    if isinstance(envelope_id, str) and 0 < len(envelope_id) <= MAX_KEY_LENGTH:
        return envelope_id
    # No usable key: the body itself is the key, so the same bad body is still stored once.
    return f"sha256:{parsed.digest}"


def _new_message(
    parsed: Parsed, *, system, key: str, channel: str, correlation_id: str | None
) -> InboundMessage:
    envelope = parsed.envelope or {}
    message_type = envelope.get("type") if isinstance(envelope.get("type"), str) else ""
    version = envelope.get("version") if isinstance(envelope.get("version"), int) else None
    cid = valid_correlation_id(
        envelope.get("correlation_id") if isinstance(envelope.get("correlation_id"), str) else None
    )
    rejected = bool(parsed.errors)
    return InboundMessage(
        system=system,
        idempotency_key=key,
        channel=channel,
        message_type=message_type[:100],
        version=version if version is None or 0 < version < 2**31 else None,
        correlation_id=cid or correlation_id or new_correlation_id(),
        occurred_at=_instant(envelope.get("occurred_at")),
        body=parsed.raw_text,
        body_sha256=parsed.digest,
        envelope=parsed.envelope,
        status=Status.REJECTED if rejected else Status.RECEIVED,
        reason=_summary(parsed.errors) if rejected else "",
        errors=parsed.errors,
        processed_at=timezone.now() if rejected else None,
        response_status=400 if rejected else 202,
    )


def _instant(value):
    from django.utils.dateparse import parse_datetime

    if not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    return parsed if parsed is not None and parsed.tzinfo is not None else None


def _summary(errors: list[dict]) -> str:
    first = errors[0]
    where = f"{first['field']}: " if first.get("field") else ""
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}{first['message']}{more}"


def _repeat_or_conflict(existing: InboundMessage, parsed: Parsed, new: InboundMessage) -> Intake:
    if existing.body_sha256 == parsed.digest:
        status = 200 if existing.response_status == 202 else existing.response_status
        return Intake(
            existing,
            status,
            existing.errors if status >= 400 else [],
            existing.reason if status >= 400 else "",
        )
    # Keep the refused body too (nothing a partner sends is lost), under a key of its own.
    new.idempotency_key = f"{existing.idempotency_key}#conflict:{parsed.digest[:16]}"[
        :MAX_KEY_LENGTH
    ]
    new.status, new.response_status, new.processed_at = Status.REJECTED, 409, timezone.now()
    new.reason = f"Idempotency key '{existing.idempotency_key}' was used before with another body (message {existing.pk})."
    new.errors = [{"field": "id", "value": existing.idempotency_key, "message": new.reason}]
    stored, _ = InboundMessage.objects.get_or_create(
        system=new.system, idempotency_key=new.idempotency_key, defaults=_field_values(new)
    )
    return Intake(stored, 409, stored.errors, stored.reason)


def _field_values(message: InboundMessage) -> dict:
    return {
        f.attname: getattr(message, f.attname)
        for f in message._meta.concrete_fields
        if f.attname not in ("id", "system_id", "idempotency_key")
    }


def inbound_receive(
    *,
    system: ExternalSystem,
    raw: bytes | str,
    channel: str = InboundMessage.Channel.API,
    idempotency_key: str | None = None,
    correlation_id: str | None = None,
) -> Intake:
    """Store one message, answer it, and queue it for processing when it is valid."""
    parsed = parse_envelope(raw, system=system)
    return _store(
        parsed,
        system=system,
        channel=channel,
        idempotency_key=idempotency_key,
        correlation_id=correlation_id,
    )


def inbound_refuse(
    *, system: ExternalSystem, raw: bytes | str, channel: str, reason: str
) -> Intake:
    """Store a body refused before it could be read as envelopes (e.g. a malformed batch)."""
    text = storable_text(raw)
    parsed = Parsed(text, None, _digest_raw(text), [_error(None, reason)])
    return _store(parsed, system=system, channel=channel, idempotency_key=None, correlation_id=None)


def first_occurred_at(system: ExternalSystem, key: str) -> str:
    """For envelopes Weft builds from a file: a file sent again makes the same messages, down to
    the time they were first given, so the resend is an exact repeat."""
    earlier = (
        InboundMessage.objects.filter(system=system, idempotency_key=key)
        .values_list("envelope__occurred_at", flat=True)
        .first()
    )
    return earlier or timezone.now().isoformat()


def inbound_receive_envelope(
    *, system: ExternalSystem, envelope: dict, channel: str, correlation_id: str | None = None
) -> Intake:
    """Store an envelope built by Weft from a file (CSV, EDI) or a connector, like any other."""
    parsed = check_envelope(envelope, system=system)
    return _store(
        parsed, system=system, channel=channel, idempotency_key=None, correlation_id=correlation_id
    )


def _store(parsed: Parsed, *, system, channel, idempotency_key, correlation_id) -> Intake:
    key = _idempotency_key(parsed, idempotency_key)
    message = _new_message(
        parsed, system=system, key=key, channel=channel, correlation_id=correlation_id
    )
    # Alone, the insert runs in autocommit (one round trip); inside a caller's transaction it
    # needs a savepoint so a duplicate key does not break that transaction.
    guard = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
    try:
        with guard:
            message.save(force_insert=True)
            if message.status == Status.RECEIVED:
                enqueue_processing([message.pk])
    except IntegrityError:
        # Another request stored this key first (its transaction has committed by now).
        existing = InboundMessage.objects.get(system=system, idempotency_key=key)
        return _repeat_or_conflict(existing, parsed, message)
    if message.status == Status.REJECTED:
        return Intake(message, 400, parsed.errors, message.reason)
    return Intake(message, 202)


def inbound_receive_batch(
    *,
    system: ExternalSystem,
    envelopes: list,
    channel: str = InboundMessage.Channel.BATCH,
    correlation_id: str | None = None,
) -> list[Intake]:
    """Store up to a thousand envelopes in one insert; answer each in order.

    The envelope is checked here; each message's data is checked by its schema when it is
    processed, so a data error shows as `rejected` with every error at its status URL.
    """
    parsed = [check_envelope(envelope, system=system, check_data=False) for envelope in envelopes]
    keys = [_idempotency_key(p, None) for p in parsed]
    existing = {
        m.idempotency_key: m
        for m in InboundMessage.objects.filter(system=system, idempotency_key__in=set(keys))
    }
    results: list[Intake | None] = [None] * len(parsed)
    fresh: dict[str, tuple[int, InboundMessage]] = {}
    repeated_in_batch: list[tuple[int, str, Parsed, InboundMessage]] = []
    for index, (item, key) in enumerate(zip(parsed, keys, strict=True)):
        message = _new_message(
            item, system=system, key=key, channel=channel, correlation_id=correlation_id
        )
        if key in existing:
            results[index] = _repeat_or_conflict(existing[key], item, message)
        elif key in fresh:
            repeated_in_batch.append((index, key, item, message))
        else:
            fresh[key] = (index, message)
    try:
        with transaction.atomic():
            insert_messages([m for _, m in fresh.values()])
            enqueue_processing([m.pk for _, m in fresh.values() if m.status == Status.RECEIVED])
    except IntegrityError:
        # A concurrent request stored some of these keys meanwhile: take the careful road.
        return [
            _store(
                item,
                system=system,
                channel=channel,
                idempotency_key=None,
                correlation_id=correlation_id,
            )
            for item in parsed
        ]
    for index, message in fresh.values():
        results[index] = Intake(
            message,
            400 if message.status == Status.REJECTED else 202,
            message.errors,
            message.reason,
        )
    for index, key, item, message in repeated_in_batch:
        results[index] = _repeat_or_conflict(fresh[key][1], item, message)
    return results


def inbound_message_process(*, message_id: int) -> str | None:
    """Apply one received message exactly once; return its final status."""
    with transaction.atomic():
        # Only the message's row: locking the joined system row too would make every drain of
        # one sender's messages wait for the others.
        message = (
            InboundMessage.objects.select_for_update(of=("self",))
            .select_related("system")
            .filter(pk=message_id)
            .first()
        )
        if message is None or message.status != Status.RECEIVED:
            return message.status if message else None
        _process(message)
        return message.status


# A message of a chunk waits this long at most for a row lock another transaction holds (see
# inbound_messages_process); well below PostgreSQL's deadlock_timeout (1 s by default).
CHUNK_LOCK_TIMEOUT_MS = 200
# A chunk commits after this long even when messages are left, so the locks it holds are held
# briefly however slow a loaded machine makes it; the rest go on in the next chunk.
CHUNK_SECONDS = 0.25


def inbound_messages_process(*, message_ids: list[int]) -> int:
    """Apply received messages in id order, a chunk of them in one transaction; return how many.

    Each message runs in a savepoint of the chunk's transaction with its status change, so a
    rejected or failed message rolls back alone and its neighbours still apply, and a message's
    status never commits without its effects (or the reverse). One commit per chunk instead of
    one per message is the point.

    A chunk holds the row locks of all its messages until it commits, so two chunks (two
    partitions' drains) could wait on each other. A chunk therefore commits after CHUNK_SECONDS,
    and a message waits for a lock at most CHUNK_LOCK_TIMEOUT_MS: past that, its savepoint is
    rolled back, the chunk commits what it applied (freeing its locks), the message is applied
    alone in its own transaction, waiting as long as it takes (as every single message always
    did), and the rest start a new chunk.
    """
    remaining = sorted(message_ids)
    while remaining:
        position, alone = _process_chunk(remaining)
        if alone:
            inbound_message_process(message_id=remaining[position])
            position += 1
        remaining = remaining[position:]
    return len(message_ids)


def _process_chunk(message_ids: list[int]) -> tuple[int, bool]:
    """Process a prefix of the ids in one transaction.

    Returns where the next chunk starts, and whether the message there met a held lock (so it
    is to be applied alone first).
    """
    started = time.monotonic()
    position, alone = len(message_ids), False
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = {int(CHUNK_LOCK_TIMEOUT_MS)}")
        messages = {
            message.pk: message
            for message in InboundMessage.objects.select_for_update(of=("self",))
            .select_related("system")
            .filter(pk__in=message_ids, status=Status.RECEIVED)
        }
        for index, message_id in enumerate(message_ids):
            if index and time.monotonic() - started > CHUNK_SECONDS:
                position = index
                break
            message = messages.get(message_id)
            if message is not None and not _process(message, chunked=True):
                position, alone = index, True
                break
        # Deferred checks (Django's foreign keys are DEFERRABLE INITIALLY DEFERRED) run at commit,
        # outside any message's savepoint: there they wait for locks like any transaction, and
        # the caller's transaction (when nested) goes on with the session's lock timeout.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout TO DEFAULT")
    return position, alone


def _process(message: InboundMessage, *, chunked: bool = False) -> bool:
    """Apply a locked, received message and record its new status, in the caller's transaction.

    False (and nothing written) when `chunked` and the message met a lock it may not wait for.
    """
    message.attempts += 1
    try:
        with transaction.atomic():
            _apply(message)
    except ApplicationError as error:
        forget_memoized()
        _finish(
            message,
            Status.REJECTED,
            error.message,
            [error.extra] if error.extra.get("field") else [],
        )
    except _RETRYABLE as error:
        forget_memoized()
        if chunked and _lock_not_available(error):
            message.attempts -= 1
            return False
        raise
    except SoftTimeLimitExceeded:
        # The worker's time limit, not the message: it stays received for the next drain.
        raise
    except Exception as error:  # a defect, not bad data: park it for a person, keep it replayable
        forget_memoized()
        log.exception("Inbound message %s failed in its handler", message.pk)
        _finish(
            message,
            Status.DEAD,
            f"Internal error while applying: {type(error).__name__}: {error}",
            [],
        )
    else:
        _finish(message, Status.APPLIED, "", [])
    return True


def _lock_not_available(error: BaseException) -> bool:
    from psycopg.errors import LockNotAvailable

    return isinstance(error.__cause__, LockNotAvailable)


def _apply(message: InboundMessage) -> None:
    envelope = message.envelope or {}
    if message.channel == InboundMessage.Channel.BATCH:
        errors = message_errors(envelope, types=INBOUND_TYPES)
        if errors:
            message.errors = errors
            raise ApplicationError(_summary(errors), errors[0] if errors[0].get("field") else {})
    registration = registration_for(message.message_type)
    if registration is None:
        raise ApplicationError(
            f"Weft does not apply {message.message_type} messages yet.",
            {"field": "type", "value": message.message_type},
        )
    day = timezone.localdate()
    table = memoized(
        ("code_map_table", message.system_id, day), lambda: code_map_table(message.system, day)
    )
    data = apply_code_maps(message.message_type, envelope.get("data") or {}, table)
    if registration.object_type:
        ownership_check(object_type=registration.object_type, writer=message.system.code)
    with (
        acting_as(system_code=message.system.code, message_id=str(message.pk)),
        correlation_scope(message.correlation_id),
        enclosing_savepoint(),  # the caller's: any error rolls the whole message back
    ):
        registration.handler(message, data)
    if not registration.shares_lookups:
        # It may have changed what the batch memoized: the next message reads fresh.
        forget_memoized()


def _finish(message: InboundMessage, status: str, reason: str, errors: list[dict]) -> None:
    message.status = status
    message.reason = reason
    if errors or status != Status.REJECTED or not message.errors:
        message.errors = errors
    message.processed_at = timezone.now()
    message.save(update_fields=["status", "reason", "errors", "attempts", "processed_at"])


def _retryable_errors() -> tuple[type[BaseException], ...]:
    from django.db import InterfaceError, OperationalError

    return (OperationalError, InterfaceError, ConnectionError)


_RETRYABLE = _retryable_errors()


@transaction.atomic
def inbound_message_replay(*, message: InboundMessage) -> InboundMessage:
    """Process a rejected or dead message again (after its cause was fixed); applied stays applied."""
    message = InboundMessage.objects.select_for_update().get(pk=message.pk)
    if message.status == Status.APPLIED:
        raise ApplicationError(
            f"Message {message.pk} was applied already; it is not applied twice.",
            {"field": "status", "value": message.status},
        )
    if message.envelope is None or (
        message.response_status in (400, 409) and message.channel != InboundMessage.Channel.BATCH
    ):
        raise ApplicationError(
            f"Message {message.pk} was refused at intake ({message.reason}); the sender must send it corrected.",
            {"field": "status", "value": message.status},
        )
    message.status, message.reason, message.errors = Status.RECEIVED, "", []
    message.save(update_fields=["status", "reason", "errors"])
    enqueue_processing([message.pk])
    return message


def stale_received_messages_requeue(
    *, older_than: timedelta = timedelta(minutes=2), limit: int = 1000
) -> int:
    """Beat sweep: wake the drains of partitions with old received messages; park the hopeless."""
    cutoff = timezone.now() - older_than
    stale = InboundMessage.objects.pending().filter(received_at__lte=cutoff).order_by("id")
    hopeless = list(
        stale.filter(attempts__gte=MAX_PROCESSING_ATTEMPTS).values_list("id", flat=True)[:limit]
    )
    for message_id in hopeless:
        with transaction.atomic():
            message = InboundMessage.objects.select_for_update().get(pk=message_id)
            _finish(
                message, Status.DEAD, f"Gave up after {message.attempts} attempts to apply it.", []
            )
    retry = list(
        stale.filter(attempts__lt=MAX_PROCESSING_ATTEMPTS).values_list("id", flat=True)[:limit]
    )
    with transaction.atomic():
        enqueue_processing(retry)
    return len(retry)
