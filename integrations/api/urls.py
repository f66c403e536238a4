from django.urls import path
from rest_framework.routers import DefaultRouter

from integrations.api import inbound, messages

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("messages/inbound", messages.InboundMessageViewSet, basename="inbound-message")

urlpatterns = [
    path("inbound/", inbound.InboundView.as_view(), name="inbound"),
    path("inbound/batch/", inbound.InboundBatchView.as_view(), name="inbound-batch"),
    path("messages/stats/", messages.MessageStatsView.as_view(), name="message-stats"),
    path("trace/<str:correlation_id>/", messages.TraceView.as_view(), name="trace"),
    *router.urls,
]
