from django.urls import URLPattern, URLResolver, path

from . import map_views, screen_views

app_name = "command"

urlpatterns: list[URLPattern | URLResolver] = [
    path("map/", map_views.map_page, name="map"),
    path("map/layers/upload/", map_views.map_layer_upload, name="map_layer_upload"),
    path("screen/", screen_views.screen_page, name="screen"),
]
