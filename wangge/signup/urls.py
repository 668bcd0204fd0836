from django.urls import path

from . import views

app_name = "signup"
urlpatterns = [
    path("", views.signup_page, name="signup"),
    path("reset/", views.reset_page, name="reset"),
    path("privacy/", views.privacy_page, name="privacy"),
    path("links/", views.links_page, name="links"),
    path("links/<int:pk>/decide/", views.link_decide, name="link_decide"),
]
