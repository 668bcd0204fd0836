from django.urls import URLPattern, URLResolver, path

from . import screen_views

app_name = "command"

urlpatterns: list[URLPattern | URLResolver] = [
    path("screen/", screen_views.screen_page, name="screen"),
]
