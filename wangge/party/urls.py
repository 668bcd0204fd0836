from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "party"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("orgs/<int:pk>/", views.org_detail, name="org"),
    path("orgs/<int:pk>/members/add/", views.member_add, name="member_add"),
    path("alliances/<int:pk>/", views.alliance_detail, name="alliance"),
]
