from django.urls import path

from . import views

app_name = "deliberation"
urlpatterns = [
    path("", views.home, name="home"),
    path("proposals/", views.proposals, name="proposals"),
    path("proposals/new/", views.proposal_new, name="proposal_new"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal"),
    path("conventions/", views.conventions, name="conventions"),
    path("conventions/new/", views.convention_new, name="convention_new"),
    path("conventions/<int:pk>/", views.convention_detail, name="convention"),
    path("councils/", views.councils, name="councils"),
    path("councils/<int:pk>/", views.council_detail, name="council"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/sign-in/", views.meeting_sign_in, name="sign_in"),
    path("mediations/", views.mediations, name="mediations"),
    path("mediations/new/", views.mediation_new, name="mediation_new"),
    path("mediations/stats/", views.mediation_stats, name="mediation_stats"),
    path("mediations/<int:pk>/", views.mediation_detail, name="mediation"),
]
