from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from wangge.api import api
from wangge.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("", core_views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/", include("wangge.accounts.urls")),
    path("core/", include("wangge.core.urls")),
    path("areas/", include("wangge.areas.urls")),
    path("registry/", include("wangge.registry.urls")),
    path("appeals/", include("wangge.appeals.urls")),
    path("volunteers/", include("wangge.volunteers.urls")),
    path("points/", include("wangge.points.urls")),
    path("wishes/", include("wangge.wishes.urls")),
    path("pairing/", include("wangge.pairing.urls")),
    path("signup/", include("wangge.signup.urls")),
    path("deliberation/", include("wangge.deliberation.urls")),
    path("voting/", include("wangge.voting.urls")),
    path("property/", include("wangge.property.urls")),
    path("visits/", include("wangge.visits.urls")),
    path("places/", include("wangge.places.urls")),
    path("projects/", include("wangge.projects.urls")),
    path("", include("wangge.offline.urls")),
    path("patrols/", include("wangge.patrols.urls")),
    path("cards/", include("wangge.cards.urls")),
    path("command/", include("wangge.command.urls")),
    path("attendance/", include("wangge.attendance.urls")),
    path("assessment/", include("wangge.assessment.urls")),
    path("party/", include("wangge.party.urls")),
    path("notifications/", include("wangge.notifications.urls")),
    path("open311/v2/", include("wangge.appeals.open311_urls")),
]

# Styled error pages in Chinese, each with a way back (wangge/core/error_views.py).
handler400 = "wangge.core.error_views.bad_request"
handler403 = "wangge.core.error_views.permission_denied"
handler404 = "wangge.core.error_views.page_not_found"
handler500 = "wangge.core.error_views.server_error"
