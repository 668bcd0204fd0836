from django.urls import path

from . import views

app_name = "offline"
urlpatterns = [
    # At the site's root so that the service worker's scope covers every grid worker page.
    path("sw.js", views.service_worker, name="sw"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("offline/icon-<int:size>.png", views.icon, name="icon"),
    path("offline/", views.households, name="households"),
    path("offline/households/<int:pk>/correct/", views.correct, name="correct"),
]
