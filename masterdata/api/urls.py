from rest_framework.routers import DefaultRouter

from masterdata.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("plants", views.PlantViewSet)
router.register("units", views.UnitOfMeasureViewSet)
router.register("unit-conversions", views.UomConversionViewSet)
router.register("items", views.ItemViewSet)
router.register("item-plants", views.ItemPlantViewSet)
router.register("suppliers", views.SupplierViewSet)
router.register("sourcing-rules", views.SourcingRuleViewSet)
router.register("boms", views.BomViewSet)

urlpatterns = router.urls
