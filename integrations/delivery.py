"""Outbound delivery: each OutboundMessage reaches its subscription's URL at least once.

Outcome of one attempt (MESSAGES.md, "HTTP"): a 2xx answer is delivered; 429, 5xx, a refused
connection and a timeout are tried again; any other answer (3xx, 4xx) is dead at once, its
answer kept. A refused destination (link-local or metadata address, also after DNS) and a body
that cannot be written (EDI) are dead too. After `subscription.max_attempts` tries since the
last replay, the message is dead. Every attempt is a DeliveryAttempt row.

Retry timing: exponential backoff with full jitter, a random delay in
[0, min(cap, base * 2^(attempt-1))] (defaults: base 10 s, cap 1 h; settings
`WEFT["DELIVERY_BACKOFF_BASE_SECONDS"]` and `..._CAP_SECONDS`). A `Retry-After` (seconds or
HTTP date) wins when it is later, up to a day. The due time lives in `next_attempt_at`; a beat
task queues due messages, since long Celery countdowns duplicate under Redis visibility timeouts.

One attempt at a time: a worker claims a message with one conditional UPDATE (pending, due,
no older pending message of its aggregate) that moves `next_attempt_at` to the end of a lease
(twice the timeout plus a margin) and counts the attempt. The HTTP call runs outside any
transaction; the outcome is written only if the message still carries that attempt's number,
so a worker whose lease ran out cannot overwrite a newer attempt. A worker that dies mid-call
leaves the lease to expire and the beat queues the message again: at least once, and receivers
dedupe on `Idempotency-Key`, the event id, which a retry and a replay keep.

Ordering: per subscription, a message waits while an older event (lower event id) of the same
aggregate key is still pending or not yet dispatched; when that one finishes, the next is woken
at once. A *dead* predecessor does not block: the newer state is what the partner needs, and
the dead message stays visible and replayable. SAP-style queues that stop behind a failed
message trade that for strict order; Weft's events carry the whole state of their object, so
a later one supersedes an earlier one, and an operator replays the dead one only on purpose.
"""

import json
import logging
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from integrations import webhooks
from integrations.codecs.errors import EdiError
from integrations.correlation import correlation_scope
from integrations.errors import ApplicationError
from integrations.models import (
    DeliveryAttempt,
    Event,
    ExternalSystem,
    OutboundMessage,
    Subscription,
)
from integrations.schemas import OUTBOUND_TYPES

log = logging.getLogger(__name__)

PENDING = OutboundMessage.Status.PENDING
DELIVERED = OutboundMessage.Status.DELIVERED
DEAD = OutboundMessage.Status.DEAD

EDI_MESSAGE_TYPES = frozenset({"purchase_order.issued", "purchase_order.change_requested"})
EDI_CONTENT_TYPES = {
    Subscription.Format.X12: "application/edi-x12",
    Subscription.Format.EDIFACT: "application/edifact",
}
USER_AGENT = "Weft-Webhooks/1"
MAX_ATTEMPTS_LIMIT = 50
TIMEOUT_LIMIT_SECONDS = 60


@dataclass(frozen=True)
class DeliveryPolicy:
    backoff_base_seconds: float = 10.0
    backoff_cap_seconds: float = 3600.0
    retry_after_max_seconds: float = 86400.0
    lease_margin_seconds: float = 30.0
    ordering_recheck_seconds: float = 5.0
    requeue_after_seconds: float = 300.0
    response_keep_bytes: int = 2048
    edi_sender_id: str = "WEFT"


def delivery_policy() -> DeliveryPolicy:
    """The policy from `settings.WEFT["DELIVERY_*"]`, read on each use so tests can shrink it."""
    configured = getattr(settings, "WEFT", {})
    defaults = DeliveryPolicy()
    return DeliveryPolicy(
        **{
            name: type(getattr(defaults, name))(configured[f"DELIVERY_{name.upper()}"])
            for name in DeliveryPolicy.__dataclass_fields__
            if f"DELIVERY_{name.upper()}" in configured
        }
    )


@transaction.atomic
def subscription_create(
    *,
    system: ExternalSystem,
    url: str,
    event_types: list[str],
    format: str = Subscription.Format.JSON,
    max_attempts: int = 10,
    timeout_seconds: int = 10,
    enabled: bool = True,
) -> tuple[Subscription, str]:
    """Subscribe a system's URL to event types; return it with its signing secret, shown once."""
    webhooks.refuse_unsafe_url(url, field="url")
    unknown = [t for t in event_types if t != "*" and t not in OUTBOUND_TYPES]
    if not event_types or unknown:
        raise ApplicationError(
            f"Event types must be '*' or among {', '.join(sorted(OUTBOUND_TYPES))}.",
            {"field": "event_types", "value": unknown[0] if unknown else event_types},
        )
    if format not in Subscription.Format.values:
        raise ApplicationError(
            f"format '{format}' is not one of {', '.join(Subscription.Format.values)}.",
            {"field": "format", "value": format},
        )
    if not 1 <= max_attempts <= MAX_ATTEMPTS_LIMIT:
        raise ApplicationError(
            f"max_attempts must be 1 to {MAX_ATTEMPTS_LIMIT}.",
            {"field": "max_attempts", "value": max_attempts},
        )
    if not 1 <= timeout_seconds <= TIMEOUT_LIMIT_SECONDS:
        raise ApplicationError(
            f"timeout_seconds must be 1 to {TIMEOUT_LIMIT_SECONDS}.",
            {"field": "timeout_seconds", "value": timeout_seconds},
        )
    secret = webhooks.new_secret()
    subscription = Subscription.objects.create(
        system=system,
        url=url,
        event_types=sorted(set(event_types)),
        secret=secret,
        format=format,
        max_attempts=max_attempts,
        timeout_seconds=timeout_seconds,
        enabled=enabled,
    )
    return subscription, secret


def outbound_message_deliver(*, message_id: int) -> str:
    """Make one attempt at a due message, unless another worker holds it; return what happened."""
    try:
        message = OutboundMessage.objects.select_related("subscription__system", "event").get(
            pk=message_id
        )
    except OutboundMessage.DoesNotExist:
        return "not pending"
    if message.status != PENDING:
        return "not pending"
    if not message.subscription.enabled:
        return "subscription disabled"
    policy = delivery_policy()
    number = _claim(message, policy)
    if number is None:
        return _hold_back_if_blocked(message, policy)
    message.attempts = number
    with correlation_scope(message.event.correlation_id):
        result = _attempt(message, policy)
        return _record(message, result, policy)


def _older_pending():
    return OutboundMessage.objects.filter(
        subscription_id=OuterRef("subscription_id"),
        aggregate_key=OuterRef("aggregate_key"),
        status=PENDING,
        event_id__lt=OuterRef("event_id"),
    )


def _older_undispatched():
    return Event.objects.filter(
        aggregate_key=OuterRef("aggregate_key"),
        dispatched_at__isnull=True,
        id__lt=OuterRef("event_id"),
    )


def _lease(message: OutboundMessage, policy: DeliveryPolicy) -> timedelta:
    return timedelta(seconds=2 * message.subscription.timeout_seconds + policy.lease_margin_seconds)


# The hot path of every attempt, so one plain statement rather than ORM expressions compiled
# anew each time. Portable SQL: PostgreSQL in production, SQLite on the embedded default.
_CLAIM_SQL = """
UPDATE {message} SET next_attempt_at = %s, enqueued_at = NULL, attempts = attempts + 1
WHERE id = %s AND status = %s AND next_attempt_at <= %s AND attempts = %s
  AND NOT EXISTS (
    SELECT 1 FROM {message} AS older
    WHERE older.subscription_id = {message}.subscription_id
      AND older.aggregate_key = {message}.aggregate_key
      AND older.status = %s
      AND older.event_id < {message}.event_id)
  AND NOT EXISTS (
    SELECT 1 FROM {event} AS older_event
    WHERE older_event.aggregate_key = {message}.aggregate_key
      AND older_event.dispatched_at IS NULL
      AND older_event.id < {message}.event_id)
"""


def _claim(message: OutboundMessage, policy: DeliveryPolicy) -> int | None:
    """Take the message for one attempt and return its number, or None when it is not free.

    Free means pending, due, not taken by anyone since it was read (same attempts count), and
    no older message or undispatched event of its aggregate ahead of it. The conditions sit on
    the row itself, so two workers' UPDATEs serialise on its lock and the second matches nothing.
    """
    now = timezone.now()
    quote, adapt = connection.ops.quote_name, connection.ops.adapt_datetimefield_value
    sql = _CLAIM_SQL.format(
        message=quote(OutboundMessage._meta.db_table), event=quote(Event._meta.db_table)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                adapt(now + _lease(message, policy)),
                message.pk,
                PENDING,
                adapt(now),
                message.attempts,
                PENDING,
            ],
        )
        claimed = cursor.rowcount == 1
    return message.attempts + 1 if claimed else None


def _hold_back_if_blocked(message: OutboundMessage, policy: DeliveryPolicy) -> str:
    """A due message behind an older one of its aggregate sleeps until that one finishes.

    The older message wakes it when it is delivered or dead; the wait set here is only the
    safety net: just past the older one's next attempt (lease included), or a short recheck
    when what it waits for is an event still being dispatched.
    """
    now = timezone.now()
    older = (
        OutboundMessage.objects.filter(
            subscription_id=message.subscription_id,
            aggregate_key=message.aggregate_key,
            status=PENDING,
            event_id__lt=message.event_id,
        )
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    wait_until = now + timedelta(seconds=policy.ordering_recheck_seconds)
    if older is not None:
        wait_until = max(wait_until, older + _lease(message, policy))
    held = (
        OutboundMessage.objects.filter(pk=message.pk, status=PENDING, next_attempt_at__lte=now)
        .filter(Exists(_older_pending()) | Exists(_older_undispatched()))
        .update(next_attempt_at=wait_until, enqueued_at=None)
    )
    return "waiting for an older message" if held else "not due"


@dataclass(frozen=True)
class AttemptResult:
    started_at: datetime
    duration_ms: int
    status_code: int | None = None
    response_body: str = ""
    error: str = ""
    retry_after: str | None = None
    retryable: bool = False


def webhook_body(message: OutboundMessage, policy: DeliveryPolicy) -> tuple[bytes, str]:
    """The bytes and content type a subscription receives for its event."""
    event, subscription = message.event, message.subscription
    if subscription.format in EDI_CONTENT_TYPES and event.event_type in EDI_MESSAGE_TYPES:
        return _edi_body(message, policy), EDI_CONTENT_TYPES[subscription.format]
    body = json.dumps(event.envelope(), separators=(",", ":"), ensure_ascii=False)
    return body.encode(), "application/json"


def _edi_body(message: OutboundMessage, policy: DeliveryPolicy) -> bytes:
    # The control number follows the message, so a retry or replay repeats the same interchange.
    event, system = message.event, message.subscription.system
    common = {
        "sender_id": policy.edi_sender_id,
        "receiver_id": system.edi_sender_id or system.code,
        "message_type": event.event_type,
        "prepared_at": event.occurred_at,
    }
    if message.subscription.format == Subscription.Format.X12:
        from integrations.codecs.x12 import write_850

        control_number = message.pk % 10**9 or 1
        return write_850(event.data, control_number=control_number, **common).encode()
    from integrations.codecs.edifact import write_orders

    return write_orders(event.data, control_reference=str(message.pk)[-14:], **common).encode()


def webhook_headers(message: OutboundMessage, body: bytes, content_type: str) -> dict[str, str]:
    return {
        "Content-Type": content_type,
        "Idempotency-Key": message.event.idempotency_key,
        "X-Correlation-ID": message.event.correlation_id,
        webhooks.SIGNATURE_HEADER: webhooks.sign_with_each(
            message.subscription.signing_secrets(), body, time.time()
        ),
        "User-Agent": USER_AGENT,
    }


def _attempt(message: OutboundMessage, policy: DeliveryPolicy) -> AttemptResult:
    started_at, clock = timezone.now(), time.monotonic()

    def elapsed_ms() -> int:
        return int((time.monotonic() - clock) * 1000)

    try:
        body, content_type = webhook_body(message, policy)
    except (EdiError, KeyError, TypeError, ValueError) as error:
        return AttemptResult(
            started_at, elapsed_ms(), error=f"The {message.subscription.format} body: {error!r}"
        )
    subscription = message.subscription
    try:
        answer = webhooks.post(
            subscription.url,
            body,
            webhook_headers(message, body, content_type),
            timeout_seconds=subscription.timeout_seconds,
            keep_bytes=policy.response_keep_bytes,
        )
    except webhooks.UnsafeDestination as error:
        return AttemptResult(started_at, elapsed_ms(), error=f"Refused: {error.message}")
    except webhooks.TransportError as error:
        return AttemptResult(started_at, elapsed_ms(), error=str(error), retryable=error.retryable)
    code = answer.status_code
    return AttemptResult(
        started_at,
        elapsed_ms(),
        status_code=code,
        response_body=answer.body,
        retry_after=answer.retry_after,
        retryable=code == 429 or code >= 500,
    )


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """`Retry-After` as seconds from now: delta-seconds or an HTTP date; None when unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def retry_delay(
    attempt: int,
    policy: DeliveryPolicy,
    *,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))], or Retry-After when later."""
    ceiling = min(policy.backoff_cap_seconds, policy.backoff_base_seconds * 2 ** (attempt - 1))
    delay = (rng or random).uniform(0, ceiling)
    if retry_after is not None:
        delay = max(delay, min(retry_after, policy.retry_after_max_seconds))
    return delay


def _outcome(message: OutboundMessage, result: AttemptResult, policy: DeliveryPolicy, now):
    """The message's next state after an attempt, as fields to write."""
    code = result.status_code
    if code is not None and 200 <= code < 300:
        return {"status": DELIVERED, "delivered_at": now, "last_error": ""}
    reason = result.error or f"HTTP {code}"
    if not result.retryable:
        return {"status": DEAD, "last_error": reason}
    if message.attempts_since_replay() >= message.subscription.max_attempts:
        return {
            "status": DEAD,
            "last_error": f"{reason}; gave up after {message.attempts} attempts",
        }
    delay = retry_delay(
        message.attempts_since_replay(),
        policy,
        retry_after=retry_after_seconds(result.retry_after, now),
    )
    return {"next_attempt_at": now + timedelta(seconds=delay), "last_error": reason}


@transaction.atomic
def _record(message: OutboundMessage, result: AttemptResult, policy: DeliveryPolicy) -> str:
    DeliveryAttempt.objects.create(
        message=message,
        number=message.attempts,
        started_at=result.started_at,
        duration_ms=result.duration_ms,
        status_code=result.status_code,
        response_body=result.response_body,
        error=result.error,
    )
    now = timezone.now()
    fields = _outcome(message, result, policy, now)
    written = OutboundMessage.objects.filter(
        pk=message.pk, status=PENDING, attempts=message.attempts
    ).update(last_status_code=result.status_code, enqueued_at=None, **fields)
    if not written:
        log.warning(
            "Attempt %s of outbound message %s outlived its lease; its outcome is only logged",
            message.attempts,
            message.pk,
            extra={"message_id": message.pk},
        )
        return "lease lost"
    status = fields.get("status", "retry")
    if status != "retry":
        _wake_next_of_aggregate(message, now)
    return status


_NEXT_OF_AGGREGATE_SQL = """
SELECT id, attempts, attempts_at_replay, next_attempt_at > %s FROM {message}
WHERE subscription_id = %s AND aggregate_key = %s AND status = %s AND event_id > %s
ORDER BY event_id LIMIT 1
"""


def _wake_next_of_aggregate(message: OutboundMessage, now: datetime) -> None:
    """The next message of the same aggregate was only waiting for this one: send it now."""
    sql = _NEXT_OF_AGGREGATE_SQL.format(
        message=connection.ops.quote_name(OutboundMessage._meta.db_table)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                connection.ops.adapt_datetimefield_value(now),
                message.subscription_id,
                message.aggregate_key,
                PENDING,
                message.event_id,
            ],
        )
        following = cursor.fetchone()
    if following is None:
        return
    following_id, attempts, attempts_at_replay, waiting = following
    if attempts > attempts_at_replay:
        return  # it has failed on its own since the last replay: its backoff stands
    if waiting:
        OutboundMessage.objects.filter(pk=following_id, attempts=attempts).update(
            next_attempt_at=now, enqueued_at=now
        )
    _enqueue_after_commit([following_id])


def _enqueue_after_commit(message_ids: list[int]) -> None:
    if not message_ids:
        return
    from integrations.tasks.delivery import deliver_outbound_message

    def enqueue() -> None:
        for message_id in message_ids:
            deliver_outbound_message.delay(message_id)

    transaction.on_commit(enqueue)


@transaction.atomic
def due_outbound_messages_enqueue(*, limit: int = 1000) -> list[int]:
    """Queue a delivery task for due messages not queued recently; the beat runs this."""
    now = timezone.now()
    stale = now - timedelta(seconds=delivery_policy().requeue_after_seconds)
    ids = list(
        OutboundMessage.objects.due(now)
        .filter(subscription__enabled=True)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=stale))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    OutboundMessage.objects.filter(pk__in=ids).update(enqueued_at=now)
    _enqueue_after_commit(ids)
    return ids


@transaction.atomic
def outbound_replay(
    *,
    messages: QuerySet[OutboundMessage] | Iterable[int],
    acting: str,
    include_delivered: bool = False,
) -> int:
    """Send dead (or, when asked, delivered) messages again with the same event id; return how many.

    The attempt log stays; the retry budget starts afresh.
    """
    chosen = messages.values("pk") if isinstance(messages, QuerySet) else list(messages)
    statuses = [DEAD, DELIVERED] if include_delivered else [DEAD]
    now = timezone.now()
    ids = list(
        OutboundMessage.objects.filter(pk__in=chosen, status__in=statuses)
        .select_for_update()
        .values_list("pk", flat=True)
    )
    OutboundMessage.objects.filter(pk__in=ids).update(
        status=PENDING,
        next_attempt_at=now,
        enqueued_at=now,
        delivered_at=None,
        replay_count=F("replay_count") + 1,
        replayed_at=now,
        replayed_by=acting[:200],
        attempts_at_replay=F("attempts"),
    )
    _enqueue_after_commit(ids)
    return len(ids)
