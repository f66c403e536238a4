from rest_framework.routers import DefaultRouter

from execution.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("inventory/balances", views.InventoryBalanceViewSet, basename="inventory-balance")
router.register(
    "inventory/transactions", views.InventoryTransactionViewSet, basename="inventory-transaction"
)
router.register(
    "inventory/mismatches", views.InventoryMismatchViewSet, basename="inventory-mismatch"
)
router.register("work-orders", views.WorkOrderViewSet, basename="work-order")

urlpatterns = router.urls
