from django.urls import path

from . import views

app_name = "places"

urlpatterns = [
    path("", views.home, name="home"),
    path("coverage/", views.coverage, name="coverage"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/duties/", views.duty_add, name="duty_add"),
    path("<int:pk>/duties/remove/", views.duty_remove, name="duty_remove"),
]
