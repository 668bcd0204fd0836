from django.urls import URLPattern, URLResolver

app_name = "party"

urlpatterns: list[URLPattern | URLResolver] = []
