"""Files partners send instead of JSON: CSV bulk files and EDI interchanges."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.api.inbound import RawBodyParser, calling_system, raw_body
from integrations.csv_intake import CSV_TYPES, FORECAST_PARAMETERS, csv_file_receive
from integrations.edi_intake import edi_interchange_receive

MESSAGE_ANSWERS = serializers.ListField(
    child=serializers.DictField(), help_text="One intake answer per message, with its http_status."
)
REFUSAL_FIELDS = {
    "id": serializers.IntegerField(),
    "status": serializers.CharField(help_text="received, applied, rejected or dead"),
    "url": serializers.CharField(),
    "detail": serializers.CharField(),
}
CSV_ANSWER = inline_serializer(
    "CsvIntakeAnswer", {"messages": MESSAGE_ANSWERS, "rows": serializers.IntegerField()}
)
CSV_REFUSAL = inline_serializer(
    "CsvRefusal",
    REFUSAL_FIELDS
    | {
        "errors": serializers.ListField(
            child=serializers.DictField(),
            help_text="{row, field, value, message}; the header is row 1.",
        ),
        "rows": serializers.IntegerField(),
    },
)
EDI_ANSWER = inline_serializer(
    "EdiIntakeAnswer", {"interchange": serializers.CharField(), "messages": MESSAGE_ANSWERS}
)
EDI_REFUSAL = inline_serializer(
    "EdiRefusal",
    REFUSAL_FIELDS
    | {
        "segment": serializers.CharField(allow_null=True),
        "position": serializers.IntegerField(allow_null=True),
        "errors": serializers.ListField(child=serializers.DictField(), required=False),
    },
)


class CsvInboundView(APIView):
    parser_classes = [RawBodyParser]
    required_scopes = {"write": "inbound:write"}

    @extend_schema(
        operation_id="inbound_csv_create",
        request={"text/csv": OpenApiTypes.STR},
        parameters=[
            OpenApiParameter("message_type", str, OpenApiParameter.PATH, enum=list(CSV_TYPES)),
            *(
                OpenApiParameter(
                    name,
                    str,
                    OpenApiParameter.QUERY,
                    required=False,
                    description="forecast.published only, required there",
                )
                for name in FORECAST_PARAMETERS
            ),
        ],
        responses={
            202: OpenApiResponse(
                CSV_ANSWER, description="Every message stored; processing follows"
            ),
            200: OpenApiResponse(CSV_ANSWER, description="The same file again: the first answers"),
            400: OpenApiResponse(
                CSV_REFUSAL, description="Refused whole, every row error listed; kept as rejected"
            ),
            404: OpenApiResponse(description="Not a type sent as CSV"),
        },
        description=(
            "Send a CSV file (UTF-8, `,` or `;`, header row) of items (code, description, base_uom, "
            "item_type, lifecycle, and per plant: plant, lead_time_days, safety_stock, lot_size_rule, "
            "lot_size_quantity, lot_size_periods, min_order_quantity, order_multiple; rows of one code "
            "make one message) or of one forecast (item, period_start, quantity, uom; plan, version, "
            "plant and bucket in the query string). Applied whole or not at all."
        ),
    )
    def post(self, request, message_type: str):
        if message_type not in CSV_TYPES:
            raise NotFound(
                f"No CSV intake for {message_type!r}; CSV files carry {' or '.join(CSV_TYPES)}."
            )
        intake = csv_file_receive(
            system=calling_system(request),
            message_type=message_type,
            raw=raw_body(request),
            parameters=request.query_params.dict(),
            correlation_id=getattr(request, "correlation_id", None),
        )
        return Response(intake.body, status=intake.http_status)


class EdiInboundView(APIView):
    parser_classes = [RawBodyParser]
    required_scopes = {"write": "inbound:write"}

    @extend_schema(
        operation_id="inbound_edi_create",
        request={"application/edi-x12": OpenApiTypes.STR, "application/edifact": OpenApiTypes.STR},
        responses={
            202: OpenApiResponse(EDI_ANSWER, description="Every set stored as a canonical message"),
            200: OpenApiResponse(
                EDI_ANSWER, description="The same interchange again: the first answers"
            ),
            400: OpenApiResponse(
                EDI_REFUSAL,
                description="Unreadable, a test interchange, or a set breaking the contract; kept as rejected",
            ),
            403: OpenApiResponse(
                EDI_REFUSAL,
                description="The interchange sender is not the calling system; kept as rejected",
            ),
        },
        description=(
            "Send one X12 (855, 856) or EDIFACT (ORDRSP, DESADV) interchange; each transaction set "
            "becomes one canonical message. The sender (ISA06, UNB) must be the calling system's EDI id."
        ),
    )
    def post(self, request):
        intake = edi_interchange_receive(
            system=calling_system(request),
            raw=raw_body(request),
            content_type=request.content_type,
            correlation_id=getattr(request, "correlation_id", None),
        )
        return Response(intake.body, status=intake.http_status)
