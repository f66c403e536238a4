"""The partner API under /api/v1/: each app contributes its routes."""

from django.urls import include, path

urlpatterns = [
    path("", include("integrations.api.urls")),
    path("", include("integrations.api.outbound")),
    path("", include("masterdata.api.urls")),
    path("", include("procurement.api.urls")),
    path("", include("execution.api.urls")),
    path("", include("planning.api.urls")),
    path("", include("planning.api.mrp_urls")),
]
