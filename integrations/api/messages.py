"""Message status, replay, stats and correlation traces for partners and operators."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.api.authentication import SystemPrincipal
from integrations.filters import InboundMessageFilter
from integrations.inbox import inbound_message_replay
from integrations.models import InboundMessage
from integrations.selectors import correlation_trace, inbound_messages_visible_to, message_stats


def principal_system(request):
    """The partner system a request is limited to, or None for people inside Weft."""
    return request.user.system if isinstance(request.user, SystemPrincipal) else None


class InboundMessageSerializer(serializers.ModelSerializer):
    system = serializers.SlugRelatedField(slug_field="code", read_only=True)
    type = serializers.CharField(source="message_type")
    id_key = serializers.CharField(source="idempotency_key")

    class Meta:
        model = InboundMessage
        fields = [
            "id",
            "id_key",
            "system",
            "channel",
            "type",
            "version",
            "status",
            "reason",
            "errors",
            "correlation_id",
            "occurred_at",
            "received_at",
            "processed_at",
            "attempts",
        ]


class InboundMessageDetailSerializer(InboundMessageSerializer):
    class Meta(InboundMessageSerializer.Meta):
        fields = [*InboundMessageSerializer.Meta.fields, "body"]


class InboundMessageViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """`received | applied | rejected | dead` with the reason; a partner sees its own messages."""

    serializer_class = InboundMessageSerializer
    filterset_class = InboundMessageFilter
    required_scopes = {"read": "messages:read", "replay": "messages:replay"}

    def get_queryset(self):
        return inbound_messages_visible_to(principal_system(self.request))

    def get_serializer_class(self):
        return (
            InboundMessageDetailSerializer
            if self.action == "retrieve"
            else InboundMessageSerializer
        )

    @extend_schema(request=None, responses={202: InboundMessageSerializer})
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None, format=None):
        """Apply a rejected or dead message again, after its cause was fixed."""
        message = inbound_message_replay(message=self.get_object())
        message.refresh_from_db()
        return Response(InboundMessageSerializer(message).data, status=202)


class MessageStatsView(APIView):
    required_scopes = {"read": "messages:read"}

    @extend_schema(
        responses=inline_serializer(
            "MessageStats",
            {
                "inbound": serializers.ListField(child=serializers.DictField()),
                "outbound": serializers.ListField(child=serializers.DictField()),
                "oldest_pending_inbound_seconds": serializers.IntegerField(allow_null=True),
                "oldest_pending_outbound_seconds": serializers.IntegerField(allow_null=True),
                "dead_inbound": serializers.IntegerField(),
                "dead_outbound": serializers.IntegerField(),
            },
        )
    )
    def get(self, request):
        return Response(message_stats(system=principal_system(request)))


class TraceView(APIView):
    required_scopes = {"read": "messages:read"}

    @extend_schema(
        responses=inline_serializer(
            "Trace",
            {
                "correlation_id": serializers.CharField(),
                "entries": serializers.ListField(child=serializers.DictField()),
            },
        )
    )
    def get(self, request, correlation_id: str):
        """Everything that happened under one correlation id, in order: inbound, events, outbound."""
        entries = correlation_trace(correlation_id=correlation_id, system=principal_system(request))
        return Response({"correlation_id": correlation_id, "entries": entries})


class WhoAmIView(APIView):
    """Who the API takes the caller for: a partner's first call, to check its key and scopes."""

    required_scopes = {"read": "messages:read"}

    @extend_schema(
        responses=inline_serializer(
            "WhoAmI",
            {
                "system": serializers.CharField(allow_null=True),
                "user": serializers.CharField(allow_null=True),
                "scopes": serializers.ListField(child=serializers.CharField()),
            },
        )
    )
    def get(self, request):
        if isinstance(request.user, SystemPrincipal):
            return Response(
                {
                    "system": request.user.system_code,
                    "user": None,
                    "scopes": request.user.api_key.scopes,
                }
            )
        return Response({"system": None, "user": request.user.get_username(), "scopes": ["*"]})
