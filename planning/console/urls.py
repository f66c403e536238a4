from django.urls import path

from planning.console import views

app_name = "console"

urlpatterns = [
    path("", views.exception_list, name="home"),
]
