"""Push: outbound subscriptions that call a partner's own API instead of a webhook.

An ApiCall names the event types it wants, the method and path (a template filled from the
event's data), the partner API (its URL, authentication and limits) and an outbound mapping
from the event's data to the partner's body. For each committed event of those types one
ApiCallMessage is made (by the outbox subscriber below, for a fan-out's events at once) and
sent by a Celery task; the partner's answer, its document number, is stored as an ExternalReference on the Weft object
(`planned_order` 4711 → the ERP's requisition PR1000001), where domain apps read it.

Retries: 429 waits the partner's Retry-After; 5xx, timeouts and refused connections back off
exponentially; an open circuit or a spent daily limit postpones the message to when calling
is allowed again without counting an attempt (nothing is lost); any other 4xx, or a mapping
that fails on the event, is dead at once with the answer kept; after `max_attempts` the
message is dead. The partner gets `Idempotency-Key: weft-event-<id>:<call>` on every attempt.
"""

import logging
import random
import string
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from integrations.connectors import limits
from integrations.connectors.auth import AuthenticationFailed
from integrations.connectors.client import PartnerClient, RetryLater
from integrations.connectors.mapping import MappingFailed, apply_expression, search
from integrations.correlation import correlation_scope
from integrations.errors import ApplicationError
from integrations.models import ApiCall, ApiCallMessage, Event, ExternalReference
from integrations.outbox import subscriber
from integrations.schemas import OUTBOUND_TYPES

log = logging.getLogger(__name__)
PENDING, DELIVERED, DEAD = (
    ApiCallMessage.Status.PENDING,
    ApiCallMessage.Status.DELIVERED,
    ApiCallMessage.Status.DEAD,
)
BACKOFF_BASE_SECONDS = 10.0
BACKOFF_CAP_SECONDS = 3600.0
KEEP_BYTES = 2048


@subscriber(*sorted(OUTBOUND_TYPES), batch=True)
def api_calls_for_event(events: list[Event]) -> list[int]:
    """Make one message per enabled ApiCall that wants an event (once per event and call).

    Takes a fan-out's events at once; it keeps its old name, under which tasks queued before
    batching still find it.
    """
    calls = list(ApiCall.objects.filter(enabled=True, api__system__enabled=True))
    wanted = [(event, call) for event in events for call in calls if call.wants(event.event_type)]
    if not wanted:
        return []
    made_already = set(
        ApiCallMessage.objects.filter(
            event__in=[event for event, _ in wanted], call__in=[call for _, call in wanted]
        ).values_list("event_id", "call_id")
    )
    now = timezone.now()
    with transaction.atomic():
        made = [
            message.pk
            for message in ApiCallMessage.objects.bulk_create(
                ApiCallMessage(call=call, event=event, next_attempt_at=now)
                for event, call in wanted
                if (event.pk, call.pk) not in made_already
            )
        ]
        from integrations.tasks.connectors import send_api_call_message

        transaction.on_commit(lambda: [send_api_call_message.delay(pk) for pk in made])
    return made


class _EventFields(dict):
    def __missing__(self, name: str):
        raise ApplicationError(
            f"The path template needs '{name}', which the event data does not have.",
            {"field": "path_template", "value": name},
        )


def request_path(call: ApiCall, data: dict) -> str:
    """The call's path with {field} filled from the event data (URL-quoted)."""
    from urllib.parse import quote

    fields = _EventFields(
        {k: quote(str(v), safe="") for k, v in data.items() if isinstance(v, (str, int))}
    )
    return string.Formatter().vformat(call.path_template, (), fields)


def _claim(message_id: int, lease: timedelta) -> ApiCallMessage | None:
    now = timezone.now()
    claimed = ApiCallMessage.objects.filter(
        pk=message_id, status=PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + lease, attempts=F("attempts") + 1)
    if not claimed:
        return None
    return ApiCallMessage.objects.select_related(
        "call__api__system", "call__mapping__active_version", "event"
    ).get(pk=message_id)


def api_call_message_send(*, message_id: int) -> str:
    """Make one attempt at a due message unless another worker holds it; return its status."""
    probe = ApiCallMessage.objects.filter(pk=message_id).select_related("call__api").first()
    if probe is None:
        return "missing"
    message = _claim(message_id, timedelta(seconds=2 * probe.call.api.timeout_seconds + 30))
    if message is None:
        return "not due"
    with correlation_scope(message.event.correlation_id):
        return _attempt(message)


def _attempt(message: ApiCallMessage) -> str:
    call, event = message.call, message.event
    version = call.mapping.active_version
    if version is None:
        return _dead(message, f"Mapping {call.mapping.name} has no active version.")
    try:
        body = apply_expression(version.expression, event.data)
        url = call.api.url(request_path(call, event.data))
    except MappingFailed as error:
        return _dead(message, f"Mapping {call.mapping.name} v{version.number}: {error}")
    except ApplicationError as error:
        return _dead(message, error.message)
    headers = {
        "Idempotency-Key": f"{event.idempotency_key}:{call.name}",
        "X-Correlation-ID": event.correlation_id,
    }
    try:
        with PartnerClient(call.api, max_wait_seconds=5) as client:
            answer = client.call(call.method, url, json_body=body, headers=headers)
    except limits.PartnerUnavailable as error:
        # Not the message's fault: try again when calling is allowed, without using an attempt.
        later = (
            datetime.fromtimestamp(error.until, tz=UTC)
            if error.until
            else timezone.now() + timedelta(seconds=60)
        )
        return _later(message, str(error), later, count_attempt=False)
    except RetryLater as error:
        return _retry(message, str(error), error.after, error.status_code)
    except AuthenticationFailed as error:
        return _retry(message, str(error), None, 401)
    message.last_status_code = answer.status_code
    message.response_body = answer.text[:KEEP_BYTES]
    if not 200 <= answer.status_code < 300:
        return _dead(message, f"{answer.status_code} from {call.api.system.code}: refused.")
    try:
        answer_body = answer.json()
    except ValueError:
        answer_body = None
    number = search(call.document_number_path, answer_body) if call.document_number_path else None
    return _delivered(message, None if number is None else str(number))


def _retry(message: ApiCallMessage, error: str, after: float | None, status: int | None) -> str:
    message.last_status_code = status
    if message.attempts >= message.call.max_attempts:
        return _dead(message, f"Gave up after {message.attempts} attempts; last: {error}")
    backoff = random.uniform(
        0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (message.attempts - 1))
    )
    wait = max(backoff, after or 0)
    return _later(message, error, timezone.now() + timedelta(seconds=wait), count_attempt=True)


def _later(message: ApiCallMessage, error: str, when, *, count_attempt: bool) -> str:
    message.last_error = error[:2000]
    message.next_attempt_at = when
    if not count_attempt:
        message.attempts -= 1
    message.save(
        update_fields=[
            "last_error",
            "next_attempt_at",
            "attempts",
            "last_status_code",
            "response_body",
        ]
    )
    return PENDING


def _dead(message: ApiCallMessage, error: str) -> str:
    message.status, message.last_error = DEAD, error[:2000]
    message.save(update_fields=["status", "last_error", "last_status_code", "response_body"])
    log.warning("API call message %s is dead: %s", message.pk, error)
    return DEAD


@transaction.atomic
def _delivered(message: ApiCallMessage, number: str | None) -> str:
    call = message.call
    message.status, message.delivered_at, message.last_error = DELIVERED, timezone.now(), ""
    message.document_number = number or ""
    message.save(
        update_fields=[
            "status",
            "delivered_at",
            "last_error",
            "document_number",
            "last_status_code",
            "response_body",
        ]
    )
    key = search(call.object_key_path, message.event.data)
    if number and key not in (None, ""):
        ExternalReference.objects.update_or_create(
            system=call.api.system,
            object_type=call.object_type,
            object_key=str(key),
            defaults={"external_number": number, "source_message": message},
        )
    return DELIVERED


def external_number(*, system_code: str, object_type: str, object_key: str) -> str | None:
    """The partner's number for a Weft object (e.g. the ERP requisition of a planned order)."""
    return (
        ExternalReference.objects.filter(
            system__code=system_code, object_type=object_type, object_key=object_key
        )
        .values_list("external_number", flat=True)
        .first()
    )


def due_api_call_messages_enqueue(*, limit: int = 500) -> list[int]:
    """Beat: queue the pending messages whose next attempt is due."""
    from integrations.tasks.connectors import send_api_call_message

    ids = list(
        ApiCallMessage.objects.due(timezone.now())
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )
    for message_id in ids:
        send_api_call_message.delay(message_id)
    return ids


@transaction.atomic
def api_call_create(
    *,
    api,
    name: str,
    event_types: list[str],
    path_template: str,
    mapping,
    object_type: str,
    method: str = ApiCall.Method.POST,
    document_number_path: str = "",
    object_key_path: str = "number",
    max_attempts: int = 10,
) -> ApiCall:
    """Subscribe a partner API endpoint to event types, with its outbound mapping."""
    unknown = [t for t in event_types if t not in OUTBOUND_TYPES]
    if not event_types or unknown:
        raise ApplicationError(
            f"Event types must be among {', '.join(sorted(OUTBOUND_TYPES))}.",
            {"field": "event_types", "value": unknown[0] if unknown else event_types},
        )
    if mapping.direction != mapping.Direction.OUTBOUND:
        raise ApplicationError(
            f"Mapping {mapping.name} maps inbound records; an API call needs an outbound one.",
            {"field": "mapping", "value": mapping.name},
        )
    if method not in ApiCall.Method.values:
        raise ApplicationError(
            f"method '{method}' is not one of {', '.join(ApiCall.Method.values)}.",
            {"field": "method", "value": method},
        )
    return ApiCall.objects.create(
        api=api,
        name=name,
        event_types=sorted(set(event_types)),
        method=method,
        path_template=path_template,
        mapping=mapping,
        document_number_path=document_number_path,
        object_type=object_type,
        object_key_path=object_key_path,
        max_attempts=max_attempts,
    )
