from django.urls import path

from . import views

app_name = "property"
urlpatterns = [
    path("", views.home, name="home"),
    path("board/<str:code>/", views.board, name="board"),
    path("evaluate/<int:company_id>/", views.evaluate, name="evaluate"),
    path("evaluations/<int:pk>/reply/", views.reply, name="reply"),
]
