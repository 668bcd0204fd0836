from django.urls import path

from . import views

app_name = "visits"
urlpatterns = [
    path("today/", views.today, name="today"),
    path("missed/", views.missed, name="missed"),
    path("figures/", views.figures, name="figures"),
    path("household/<int:household_id>/", views.record, name="record"),
    path("due/<int:pk>/cancel/", views.cancel, name="cancel"),
]
