from django.urls import path

from . import job_views, views

app_name = "core"
urlpatterns = [
    path("audit/", views.audit, name="audit"),
    path("jobs/<int:pk>/", job_views.job_detail, name="job"),
    path("jobs/<int:pk>/download/", job_views.job_download, name="job_download"),
]
