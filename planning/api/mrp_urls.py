from django.urls import path
from rest_framework.routers import DefaultRouter

from planning.api import mrp

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("mrp/runs", mrp.MrpRunViewSet, basename="mrp-run")
router.register("mrp/messages", mrp.MrpMessageViewSet, basename="mrp-message")
router.register("planned-orders", mrp.PlannedOrderViewSet, basename="planned-order")

urlpatterns = [
    *router.urls,
    path("mrp/record/", mrp.MrpRecordView.as_view(), name="mrp-record"),
    path("atp/", mrp.AtpView.as_view(), name="atp"),
]
