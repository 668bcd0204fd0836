from django.urls import path

from . import views

app_name = "voting"
urlpatterns = [
    path("", views.home, name="home"),
    path("votes/new/", views.vote_new, name="vote_new"),
    path("votes/<int:pk>/", views.vote_detail, name="vote"),
    path("votes/<int:pk>/cast/", views.vote_cast, name="cast"),
    path("votes/<int:pk>/paper/", views.vote_paper, name="paper"),
    path("votes/<int:pk>/step/<str:step>/", views.vote_step, name="step"),
    path("votes/<int:pk>/ballots/", views.vote_ballots, name="ballots"),
    path("votes/<int:pk>/export.xlsx", views.vote_export, name="vote_export"),
    path("surveys/new/", views.survey_new, name="survey_new"),
    path("surveys/<int:pk>/", views.survey_detail, name="survey"),
    path("surveys/<int:pk>/results/", views.survey_results, name="survey_results"),
    path("surveys/<int:pk>/export.xlsx", views.survey_export, name="survey_export"),
    path("answers/<int:pk>/moderate/", views.moderate, name="moderate"),
]
