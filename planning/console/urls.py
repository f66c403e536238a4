from django.urls import path

from planning.console import exceptions

app_name = "console"

urlpatterns = [
    path("", exceptions.exception_list, name="home"),
    path("exceptions/new-since/", exceptions.exception_new_since, name="exception-new-since"),
    path("exceptions/bulk/", exceptions.exception_bulk, name="exception-bulk"),
    path("exceptions/<int:pk>/", exceptions.exception_detail, name="exception-detail"),
    path(
        "exceptions/<int:pk>/triage/<slug:step>/",
        exceptions.exception_triage,
        name="exception-triage",
    ),
    path("exceptions/<int:pk>/fix/<slug:action>/", exceptions.exception_fix, name="exception-fix"),
]
