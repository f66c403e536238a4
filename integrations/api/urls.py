from django.urls import path
from rest_framework.routers import DefaultRouter

from integrations.api import files, inbound, messages

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("messages/inbound", messages.InboundMessageViewSet, basename="inbound-message")

urlpatterns = [
    path("inbound/", inbound.InboundView.as_view(), name="inbound"),
    path("inbound/batch/", inbound.InboundBatchView.as_view(), name="inbound-batch"),
    path("inbound/csv/<str:message_type>/", files.CsvInboundView.as_view(), name="inbound-csv"),
    path("inbound/edi/", files.EdiInboundView.as_view(), name="inbound-edi"),
    path("messages/stats/", messages.MessageStatsView.as_view(), name="message-stats"),
    path("trace/<str:correlation_id>/", messages.TraceView.as_view(), name="trace"),
    path("whoami/", messages.WhoAmIView.as_view(), name="whoami"),
    *router.urls,
]
