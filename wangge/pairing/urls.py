from django.urls import path

from . import views

app_name = "pairing"
urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.new, name="new"),
    path("missed/", views.missed, name="missed"),
    path("resident/<int:resident_id>/", views.history, name="history"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/visit/", views.visit, name="visit"),
    path("<int:pk>/handover/", views.handover, name="handover"),
]
