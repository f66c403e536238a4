"""Outbound messages and subscriptions: status with every attempt, and replay of dead messages.

A partner key sees and replays only its own system's messages (404 for others');
planners and staff see all of them.
"""

import django_filters as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from integrations.api.authentication import SystemPrincipal
from integrations.delivery import outbound_replay
from integrations.errors import ApplicationError
from integrations.models import DeliveryAttempt, OutboundMessage, Subscription

REPLAYABLE = [OutboundMessage.Status.DEAD, OutboundMessage.Status.DELIVERED]


def caller_limited_to(request):
    """The partner system a caller is limited to, or None for people inside Weft."""
    return request.user.system if isinstance(request.user, SystemPrincipal) else None


def replayed_by(request) -> str:
    user = request.user
    return str(user) if isinstance(user, SystemPrincipal) else f"user {user.get_username()}"


class OutboundMessageFilter(filters.FilterSet):
    system = filters.CharFilter(field_name="subscription__system__code")
    event_type = filters.CharFilter(field_name="event__event_type")
    subscription = filters.NumberFilter(field_name="subscription_id")
    created_since = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = OutboundMessage
        fields = ["status", "aggregate_key"]


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["number", "started_at", "duration_ms", "status_code", "response_body", "error"]


class OutboundMessageSerializer(serializers.ModelSerializer):
    idempotency_key = serializers.CharField(source="event.idempotency_key", read_only=True)
    event_type = serializers.CharField(source="event.event_type", read_only=True)
    correlation_id = serializers.CharField(source="event.correlation_id", read_only=True)
    system = serializers.CharField(source="subscription.system.code", read_only=True)

    class Meta:
        model = OutboundMessage
        fields = [
            "id",
            "idempotency_key",
            "event_type",
            "aggregate_key",
            "correlation_id",
            "system",
            "subscription",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "created_at",
            "delivered_at",
            "replay_count",
            "replayed_at",
            "replayed_by",
        ]


class OutboundMessageDetailSerializer(OutboundMessageSerializer):
    envelope = serializers.JSONField(source="event.envelope", read_only=True)
    attempt_log = DeliveryAttemptSerializer(many=True, read_only=True)

    class Meta(OutboundMessageSerializer.Meta):
        fields = [*OutboundMessageSerializer.Meta.fields, "envelope", "attempt_log"]


class ReplayInput(serializers.Serializer):
    include_delivered = serializers.BooleanField(
        default=False, help_text="Send a delivered message again too (receivers dedupe on its id)."
    )


class ReplayMatchingInput(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=REPLAYABLE,
        default=OutboundMessage.Status.DEAD,
        help_text="Dead unless delivered messages are meant, explicitly.",
    )
    system = serializers.CharField(required=False)
    event_type = serializers.CharField(required=False)
    subscription = serializers.IntegerField(required=False)
    since = serializers.DateTimeField(required=False, help_text="Messages created since then.")


ReplayCount = inline_serializer("OutboundReplayCount", {"replayed": serializers.IntegerField()})
NOT_REPLAYABLE = OpenApiResponse(
    description="The message is pending, or delivered without include_delivered."
)


class OutboundMessageViewSet(viewsets.ReadOnlyModelViewSet):
    """Messages on their way to partner subscriptions, with their retry state and attempts."""

    filterset_class = OutboundMessageFilter
    lookup_value_regex = "[0-9]+"
    required_scopes = {
        "read": "messages:read",
        "replay": "messages:replay",
        "replay_matching": "messages:replay",
    }

    def get_queryset(self):
        messages = OutboundMessage.objects.select_related("event", "subscription__system")
        system = caller_limited_to(self.request)
        if system is not None:
            messages = messages.filter(subscription__system=system)
        if self.action != "list":
            messages = messages.prefetch_related("attempt_log")
        return messages

    def get_serializer_class(self):
        if self.action == "list":
            return OutboundMessageSerializer
        return OutboundMessageDetailSerializer

    @extend_schema(
        request=ReplayInput,
        responses={202: OutboundMessageDetailSerializer, 409: NOT_REPLAYABLE},
    )
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None, format=None):
        """Send a dead message again with the same event id; its attempts stay in the log."""
        payload = ReplayInput(data=request.data)
        payload.is_valid(raise_exception=True)
        include_delivered = payload.validated_data["include_delivered"]
        message = self.get_object()
        if not message.can_replay(include_delivered=include_delivered):
            raise ApplicationError(
                f"Outbound message {message.pk} is {message.status}: only a dead message, or a "
                "delivered one with include_delivered, is replayed.",
                {"field": "status", "value": message.status},
                status_code=status.HTTP_409_CONFLICT,
            )
        outbound_replay(
            messages=[message.pk], acting=replayed_by(request), include_delivered=include_delivered
        )
        message = self.get_queryset().get(pk=message.pk)
        return Response(self.get_serializer(message).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=ReplayMatchingInput,
        responses={202: ReplayCount},
        operation_id="messages_outbound_replay_matching",
    )
    @action(detail=False, methods=["post"], url_path="replay")
    def replay_matching(self, request, format=None):
        """Replay every message matching the filter (dead by default); answer how many."""
        payload = ReplayMatchingInput(data=request.data)
        payload.is_valid(raise_exception=True)
        wanted = payload.validated_data
        criteria = {
            "status": wanted["status"],
            "system": wanted.get("system"),
            "event_type": wanted.get("event_type"),
            "subscription": wanted.get("subscription"),
            "created_since": wanted.get("since"),
        }
        matching = OutboundMessageFilter(
            {name: value for name, value in criteria.items() if value is not None},
            self.get_queryset(),
        ).qs
        replayed = outbound_replay(
            messages=matching,
            acting=replayed_by(request),
            include_delivered=wanted["status"] == OutboundMessage.Status.DELIVERED,
        )
        return Response({"replayed": replayed}, status=status.HTTP_202_ACCEPTED)


class SubscriptionSerializer(serializers.ModelSerializer):
    system = serializers.CharField(source="system.code", read_only=True)

    class Meta:
        model = Subscription
        fields = [
            "id",
            "system",
            "event_types",
            "url",
            "format",
            "enabled",
            "max_attempts",
            "timeout_seconds",
            "created_at",
            "updated_at",
        ]


class SubscriptionViewSet(viewsets.ReadOnlyModelViewSet):
    """Which event types go to which URL, in which format; the secret is never shown here."""

    serializer_class = SubscriptionSerializer
    lookup_value_regex = "[0-9]+"
    required_scopes = {"read": "messages:read"}

    def get_queryset(self):
        subscriptions = Subscription.objects.select_related("system")
        system = caller_limited_to(self.request)
        return subscriptions.filter(system=system) if system is not None else subscriptions


router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("messages/outbound", OutboundMessageViewSet, basename="outbound-message")
router.register("subscriptions", SubscriptionViewSet, basename="subscription")

urlpatterns = router.urls
