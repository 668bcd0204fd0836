from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "assessment"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("schemes/<int:pk>/", views.scheme, name="scheme"),
    path("schemes/<int:pk>/ranking/", views.ranking, name="ranking"),
    path("schemes/<int:pk>/<slug:step>/", views.scheme_step, name="scheme_step"),
    path("scores/<int:pk>/", views.score, name="score"),
    path("scores/<int:pk>/items/<int:item_id>/", views.evidence, name="evidence"),
    path("scores/<int:pk>/nominate/", views.nominate, name="nominate"),
    path("grades/", views.grades, name="grades"),
    path("grades/<int:pk>/", views.grade_set, name="grade_set"),
    path("nominations/", views.nominations, name="nominations"),
    path("nominations/<int:pk>/<slug:step>/", views.decide, name="decide"),
]
