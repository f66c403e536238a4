from rest_framework.routers import DefaultRouter

from planning.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("forecast-versions", views.ForecastVersionViewSet, basename="forecast-version")
router.register("demand-orders", views.DemandOrderViewSet, basename="demand-order")

urlpatterns = router.urls
