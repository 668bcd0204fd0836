from django.urls import path

from . import views

app_name = "attendance"

urlpatterns = [
    path("", views.checkin, name="checkin"),
    path("cadres/", views.cadres, name="cadres"),
    path("<int:pk>/", views.record, name="record"),
    path("<int:pk>/record.xlsx", views.record_xlsx, name="record_xlsx"),
]
