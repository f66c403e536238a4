"""The inbox over HTTP, exactly as MESSAGES.md promises partners."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.api.authentication import SystemPrincipal
from integrations.api.parsers import json_depth_exceeds, max_json_depth
from integrations.inbox import (
    Intake,
    inbound_receive,
    inbound_receive_batch,
    inbound_refuse,
    strict_json_loads,
)
from integrations.models import InboundMessage

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Wins over the envelope's id.",
)
INTAKE_ANSWER = inline_serializer(
    "InboundAnswer",
    {
        "id": serializers.IntegerField(),
        "status": serializers.ChoiceField(choices=InboundMessage.Status.values),
        "url": serializers.CharField(),
        "detail": serializers.CharField(required=False),
        "errors": serializers.ListField(child=serializers.DictField(), required=False),
    },
)


class RawBodyParser(BaseParser):
    """Hands the view the bytes: a message is stored exactly as sent, even when it is not JSON."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read() if stream is not None else b""


def raw_body(request) -> bytes:
    """The body as sent; DRF skips the parser for an empty body and hands over an empty dict."""
    return request.data if isinstance(request.data, bytes) else b""


def calling_system(request):
    if not isinstance(request.user, SystemPrincipal):
        raise PermissionDenied("Inbound messages come from a partner system's API key.")
    return request.user.system


def intake_response(intake: Intake) -> Response:
    response = Response(intake.answer(), status=intake.http_status)
    if intake.http_status == status.HTTP_202_ACCEPTED:
        response["Location"] = intake.answer()["url"]
    return response


def depth_reason() -> str:
    return f"The body nests JSON deeper than {max_json_depth()} levels."


def too_deep(raw: bytes) -> bool:
    """Only a body that parses can be too deep; the inbox itself rejects one that does not."""
    try:
        return json_depth_exceeds(strict_json_loads(raw), max_json_depth())
    except (ValueError, RecursionError):
        return False


class InboundView(APIView):
    parser_classes = [RawBodyParser]
    required_scopes = {"write": "inbound:write"}

    @extend_schema(
        operation_id="inbound_create",
        request={"application/json": OpenApiTypes.OBJECT},
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            202: OpenApiResponse(INTAKE_ANSWER, description="Stored; processing follows"),
            200: OpenApiResponse(
                INTAKE_ANSWER, description="A repeat of the same body: the first answer"
            ),
            400: OpenApiResponse(
                INTAKE_ANSWER, description="Invalid: every error listed; stored as rejected"
            ),
            409: OpenApiResponse(
                INTAKE_ANSWER, description="The key was used before with another body"
            ),
        },
        description="Send one canonical envelope (MESSAGES.md).",
    )
    def post(self, request):
        system, raw = calling_system(request), raw_body(request)
        if too_deep(raw):
            intake = inbound_refuse(
                system=system, raw=raw, channel=InboundMessage.Channel.API, reason=depth_reason()
            )
            return Response(intake.answer(), status=status.HTTP_400_BAD_REQUEST)
        intake = inbound_receive(
            system=system,
            raw=raw,
            idempotency_key=request.headers.get("Idempotency-Key") or None,
            correlation_id=getattr(request, "correlation_id", None),
        )
        return intake_response(intake)


class InboundBatchView(APIView):
    parser_classes = [RawBodyParser]
    required_scopes = {"write": "inbound:write"}
    limit = settings.WEFT["INBOUND_BATCH_LIMIT"]

    @extend_schema(
        operation_id="inbound_batch_create",
        request=inline_serializer(
            "InboundBatch",
            {"messages": serializers.ListField(child=serializers.DictField(), max_length=1000)},
        ),
        responses={
            200: inline_serializer(
                "InboundBatchAnswer",
                {
                    "results": serializers.ListField(child=serializers.DictField()),
                    "accepted": serializers.IntegerField(),
                    "refused": serializers.IntegerField(),
                },
            ),
            400: OpenApiResponse(
                INTAKE_ANSWER, description="The batch itself is malformed; stored as rejected"
            ),
        },
        description="Send up to 1,000 envelopes; one result per message, in order, each with its HTTP status.",
    )
    def post(self, request):
        system = calling_system(request)
        raw = raw_body(request)
        refusal = self._refusal(raw)
        if refusal is not None:
            intake = inbound_refuse(
                system=system,
                raw=raw,
                channel=InboundMessage.Channel.BATCH,
                reason=refusal,
            )
            return Response(intake.answer(), status=status.HTTP_400_BAD_REQUEST)
        envelopes = strict_json_loads(raw)["messages"]
        results = inbound_receive_batch(
            system=system,
            envelopes=envelopes,
            correlation_id=getattr(request, "correlation_id", None),
        )
        answers = [r.answer() | {"http_status": r.http_status} for r in results]
        accepted = sum(1 for r in results if r.http_status < 400)
        return Response(
            {"results": answers, "accepted": accepted, "refused": len(results) - accepted}
        )

    def _refusal(self, raw: bytes) -> str | None:
        try:
            body = strict_json_loads(raw)
        except (ValueError, RecursionError) as error:
            return f"The body is not valid JSON: {error}."
        if json_depth_exceeds(body, max_json_depth()):
            return depth_reason()
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return 'The body must be {"messages": [envelope, ...]}.'
        if not body["messages"]:
            return "messages is empty."
        if len(body["messages"]) > self.limit:
            return (
                f"messages has {len(body['messages'])} envelopes; at most {self.limit} per batch."
            )
        return None
