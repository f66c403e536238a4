from django.urls import path

from execution import views

app_name = "execution"

urlpatterns = [
    path("items/<str:item>/<str:plant>/", views.item_plant, name="item-plant"),
]
