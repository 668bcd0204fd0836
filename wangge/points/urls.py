from django.urls import path

from . import views

app_name = "points"
urlpatterns = [
    path("", views.home, name="home"),
    path("rewards/<int:pk>/redeem/", views.redeem, name="redeem"),
    path("redemptions/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("manage/", views.manage, name="manage"),
]
