"""Reads of the message backbone that the API and the console share."""

from django.db.models import Count, Min, QuerySet
from django.utils import timezone

from integrations.filters import InboundMessageFilter
from integrations.models import Event, InboundMessage, OutboundMessage


def inbound_messages_visible_to(principal_system) -> QuerySet[InboundMessage]:
    """A partner sees its own system's messages; people inside Weft see all."""
    messages = InboundMessage.objects.select_related("system")
    return messages.filter(system=principal_system) if principal_system is not None else messages


def inbound_message_list(*, filters: dict, system=None) -> QuerySet[InboundMessage]:
    return InboundMessageFilter(filters, inbound_messages_visible_to(system)).qs


def message_stats(*, system=None) -> dict:
    """Counts by system, type and status; the oldest pending age; dead messages in and out."""
    inbound = inbound_messages_visible_to(system)
    outbound = OutboundMessage.objects.all()
    if system is not None:
        outbound = outbound.filter(subscription__system=system)
    now = timezone.now()
    oldest_inbound = inbound.filter(status=InboundMessage.Status.RECEIVED).aggregate(
        at=Min("received_at")
    )["at"]
    oldest_outbound = outbound.filter(status=OutboundMessage.Status.PENDING).aggregate(
        at=Min("created_at")
    )["at"]
    return {
        "inbound": [
            {
                "system": row["system__code"],
                "type": row["message_type"],
                "status": row["status"],
                "count": row["count"],
            }
            for row in inbound.values("system__code", "message_type", "status")
            .annotate(count=Count("id"))
            .order_by("system__code", "message_type", "status")
        ],
        "outbound": [
            {
                "system": row["subscription__system__code"],
                "type": row["event__event_type"],
                "status": row["status"],
                "count": row["count"],
            }
            for row in outbound.values("subscription__system__code", "event__event_type", "status")
            .annotate(count=Count("id"))
            .order_by("subscription__system__code", "event__event_type", "status")
        ],
        "oldest_pending_inbound_seconds": round((now - oldest_inbound).total_seconds())
        if oldest_inbound
        else None,
        "oldest_pending_outbound_seconds": round((now - oldest_outbound).total_seconds())
        if oldest_outbound
        else None,
        "dead_inbound": inbound.filter(status=InboundMessage.Status.DEAD).count(),
        "dead_outbound": outbound.filter(status=OutboundMessage.Status.DEAD).count(),
    }


def correlation_trace(*, correlation_id: str, system=None) -> list[dict]:
    """Everything that happened under one correlation id, in time order."""
    entries = []
    for message in inbound_messages_visible_to(system).filter(correlation_id=correlation_id):
        entries.append(
            {
                "at": message.received_at,
                "kind": "inbound",
                "id": message.pk,
                "system": message.system.code,
                "type": message.message_type,
                "status": message.status,
                "detail": message.reason,
            }
        )
    if system is None:
        for event in Event.objects.filter(correlation_id=correlation_id):
            entries.append(
                {
                    "at": event.occurred_at,
                    "kind": "event",
                    "id": event.pk,
                    "system": "weft",
                    "type": event.event_type,
                    "status": "dispatched" if event.dispatched_at else "pending",
                    "detail": event.aggregate_key,
                }
            )
    outbound = OutboundMessage.objects.filter(event__correlation_id=correlation_id).select_related(
        "event", "subscription__system"
    )
    if system is not None:
        outbound = outbound.filter(subscription__system=system)
    for message in outbound:
        entries.append(
            {
                "at": message.created_at,
                "kind": "outbound",
                "id": message.pk,
                "system": message.subscription.system.code,
                "type": message.event.event_type,
                "status": message.status,
                "detail": message.last_error
                or (f"HTTP {message.last_status_code}" if message.last_status_code else ""),
            }
        )
    return sorted(entries, key=lambda entry: (entry["at"], entry["kind"] != "inbound", entry["id"]))
