from django.urls import path

from . import views

app_name = "cards"
urlpatterns = [
    path("", views.index, name="index"),
    path("grid/<str:code>/pdf/", views.grid_pdf, name="grid_pdf"),
    path("mine/", views.mine, name="mine"),
]
