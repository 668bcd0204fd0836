"""The project's URLs plus the notification pages, for tests, until the project includes them itself."""

from django.urls import include, path

from wangge.urls import urlpatterns as _project

urlpatterns = list(_project)
if not any(getattr(p, "namespace", None) == "notifications" for p in _project):
    urlpatterns.append(path("notifications/", include("wangge.notifications.urls")))
