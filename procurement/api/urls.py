from rest_framework.routers import DefaultRouter

from procurement.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("purchase-orders", views.PurchaseOrderViewSet, basename="purchase-order")
router.register("proposals", views.ProposalViewSet, basename="supplier-proposal")
router.register(
    "stale-acknowledgements", views.StaleAcknowledgementViewSet, basename="stale-acknowledgement"
)
router.register("asns", views.AsnViewSet, basename="asn")
router.register("receipts", views.ReceiptViewSet, basename="receipt")

urlpatterns = router.urls
