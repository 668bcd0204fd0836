from django.urls import path

from . import views

app_name = "patrols"
urlpatterns = [
    path("", views.home, name="home"),
    path("start/", views.start, name="start"),
    path("log/", views.log, name="log"),
    path("log/export/", views.log_export, name="log_export"),
    path("<int:pk>/", views.patrol_page, name="patrol"),
    path("<int:pk>/stop/", views.stop, name="stop"),
    path("<int:pk>/discover/", views.discover, name="discover"),
]
