from django.urls import path

from procurement.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("orders/", views.order_list, name="order-list"),
    path("orders/export.csv", views.order_export, name="order-export"),
    path("orders/<str:number>/", views.order_detail, name="order-detail"),
    path("orders/<str:number>/accept-all/", views.accept_all, name="accept-all"),
    path("orders/<str:number>/lines/<int:line>/", views.line_answer, name="line-answer"),
    path("orders/<str:number>/ship/", views.ship_notice, name="ship-notice"),
]
