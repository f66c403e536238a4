import django_filters as filters

from integrations.models import InboundMessage


class InboundMessageFilter(filters.FilterSet):
    system = filters.CharFilter(field_name="system__code")
    type = filters.CharFilter(field_name="message_type")
    received_since = filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    correlation_id = filters.CharFilter()

    class Meta:
        model = InboundMessage
        fields = ["status", "channel"]
