"""`/metrics` for Prometheus: django-prometheus' request metrics plus Weft's business figures.

Business figures are read from PostgreSQL at scrape time with a few aggregate queries, so every
web process answers the same numbers and nothing has to be counted along the way. The page is
not public: a scraper shows `Authorization: Bearer <WEFT_METRICS_TOKEN>`, comes from an address
in `WEFT_METRICS_ALLOWED_IPS`, or uses an API key with the `metrics:read` scope.
"""

import hmac
from datetime import timedelta

import prometheus_client
from django.conf import settings
from django.db.models import Count, Min, Sum
from django.http import HttpResponse
from django.utils import timezone
from django_prometheus.exports import ExportToDjangoView
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from rest_framework import exceptions

from execution.models import InventoryMismatch
from integrations.api.authentication import ApiKeyAuthentication
from integrations.models import DeliveryAttempt, InboundMessage, OutboundMessage

METRICS_SCOPE = "metrics:read"
RECENT = timedelta(hours=1)


def _age_seconds(oldest, now) -> float:
    return (now - oldest).total_seconds() if oldest else 0.0


class BusinessCollector:
    """Reads the message backbone's state; each family is one GROUP BY or aggregate."""

    def describe(self):
        return []

    def collect(self):
        now = timezone.now()
        inbound = GaugeMetricFamily(
            "weft_inbound_messages",
            "Inbound messages kept, by sending system, message type and status.",
            labels=["system", "type", "status"],
        )
        for row in InboundMessage.objects.values("system__code", "message_type", "status").annotate(
            n=Count("id")
        ):
            inbound.add_metric([row["system__code"], row["message_type"], row["status"]], row["n"])
        yield inbound

        outbound = GaugeMetricFamily(
            "weft_outbound_messages",
            "Outbound messages, by receiving system, event type and status.",
            labels=["system", "type", "status"],
        )
        for row in OutboundMessage.objects.values(
            "subscription__system__code", "event__event_type", "status"
        ).annotate(n=Count("id")):
            outbound.add_metric(
                [row["subscription__system__code"], row["event__event_type"], row["status"]],
                row["n"],
            )
        yield outbound

        backlog = GaugeMetricFamily(
            "weft_queue_backlog", "Messages waiting to be applied or delivered.", labels=["queue"]
        )
        oldest = GaugeMetricFamily(
            "weft_queue_oldest_pending_age_seconds",
            "Age of the oldest message still waiting.",
            labels=["queue"],
        )
        pending_in = InboundMessage.objects.filter(status=InboundMessage.Status.RECEIVED).aggregate(
            n=Count("id"), oldest=Min("received_at")
        )
        pending_out = OutboundMessage.objects.filter(
            status=OutboundMessage.Status.PENDING
        ).aggregate(n=Count("id"), oldest=Min("created_at"))
        for queue, figures in (("inbound", pending_in), ("outbound", pending_out)):
            backlog.add_metric([queue], figures["n"])
            oldest.add_metric([queue], _age_seconds(figures["oldest"], now))
        yield backlog
        yield oldest

        attempts = DeliveryAttempt.objects.aggregate(n=Count("id"), ms=Sum("duration_ms"))
        yield CounterMetricFamily(
            "weft_delivery_attempts", "Delivery attempts kept.", value=attempts["n"]
        )
        yield CounterMetricFamily(
            "weft_delivery_attempt_duration_seconds",
            "Total time spent in delivery attempts kept.",
            value=(attempts["ms"] or 0) / 1000,
        )
        recent = GaugeMetricFamily(
            "weft_delivery_attempts_last_hour",
            "Delivery attempts in the last hour, by answer class (2xx, 4xx, 5xx, none).",
            labels=["answer"],
        )
        by_class: dict[str, int] = {}
        for row in (
            DeliveryAttempt.objects.filter(started_at__gte=now - RECENT)
            .values("status_code")
            .annotate(n=Count("id"))
        ):
            code = row["status_code"]
            answer = f"{code // 100}xx" if code else "none"
            by_class[answer] = by_class.get(answer, 0) + row["n"]
        for answer, n in sorted(by_class.items()):
            recent.add_metric([answer], n)
        yield recent

        exceptions_open = GaugeMetricFamily(
            "weft_open_exceptions", "Conditions that need a person, by kind.", labels=["kind"]
        )
        exceptions_open.add_metric(
            ["dead_inbound_message"],
            InboundMessage.objects.filter(status=InboundMessage.Status.DEAD).count(),
        )
        exceptions_open.add_metric(
            ["dead_outbound_message"],
            OutboundMessage.objects.filter(status=OutboundMessage.Status.DEAD).count(),
        )
        exceptions_open.add_metric(
            ["inventory_mismatch"],
            InventoryMismatch.objects.filter(status=InventoryMismatch.Status.OPEN).count(),
        )
        yield exceptions_open


business_registry = prometheus_client.CollectorRegistry(auto_describe=False)
business_registry.register(BusinessCollector())


def _refusal(request) -> HttpResponse | None:
    """None when the caller may scrape; else the 401 or 403 to answer."""
    knobs = settings.WEFT
    if request.META.get("REMOTE_ADDR") in knobs.get("METRICS_ALLOWED_IPS", []):
        return None
    header = request.META.get("HTTP_AUTHORIZATION", "")
    token = knobs.get("METRICS_TOKEN") or ""
    if token and hmac.compare_digest(header.encode(), f"Bearer {token}".encode()):
        return None
    if header:
        try:
            found = ApiKeyAuthentication().authenticate(request)
        except exceptions.AuthenticationFailed:
            found = None
        if found is not None and found[0].has_scope(METRICS_SCOPE):
            return None
        if found is not None:
            return HttpResponse(f"This key lacks the scope '{METRICS_SCOPE}'.\n", status=403)
    response = HttpResponse("Metrics need a token, an allowed address or a key.\n", status=401)
    response["WWW-Authenticate"] = 'Bearer realm="weft-metrics"'
    return response


def metrics(request):
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    process = ExportToDjangoView(request)
    business = prometheus_client.generate_latest(business_registry)
    return HttpResponse(
        process.content + business, content_type=prometheus_client.CONTENT_TYPE_LATEST
    )
