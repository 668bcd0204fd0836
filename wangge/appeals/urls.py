from django.urls import path

from . import export_views, views

app_name = "appeals"
urlpatterns = [
    path("", views.home, name="home"),
    path("report/", views.report, name="report"),
    path("report/subcategories/", views.subcategories, name="subcategories"),
    path("mine/", views.mine, name="mine"),
    path("inbox/", views.inbox, name="inbox"),
    path("board/", views.board, name="board"),
    path("figures/", views.figures, name="figures"),
    path("export/", export_views.export_page, name="export"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<slug:step>/", views.step, name="step"),
]
