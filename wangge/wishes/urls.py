from django.urls import path

from . import views

app_name = "wishes"
urlpatterns = [
    path("", views.wall, name="wall"),
    path("new/", views.new, name="new"),
    path("mine/", views.mine, name="mine"),
    path("review/", views.review, name="review"),
    path("lists/", views.lists, name="lists"),
    path("figures/", views.figures, name="figures"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/claim/", views.claim, name="claim"),
    path("<int:pk>/deliver/", views.deliver, name="deliver"),
    path("<int:pk>/confirm/", views.confirm, name="confirm"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/review/", views.review_do, name="review_do"),
    path("<int:pk>/photo/", views.photo, name="photo"),
]
