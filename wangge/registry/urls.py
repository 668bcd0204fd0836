from django.urls import path

from . import views

app_name = "registry"
urlpatterns = [
    path("", views.residents, name="home"),
    path("residents/", views.residents, name="residents"),
    path("residents/export/", views.resident_export, name="export"),
    path("residents/<int:pk>/", views.resident_detail, name="resident"),
    path("residents/<int:pk>/reveal/<str:field>/", views.resident_reveal, name="reveal"),
    path("households/", views.households, name="households"),
    path("households/<int:pk>/", views.household_detail, name="household"),
    path("buildings/", views.buildings, name="buildings"),
    path("import/", views.import_page, name="import"),
    path("import/template/", views.import_template, name="import_template"),
    path("import/annotated/<str:token>/", views.import_annotated, name="import_annotated"),
]
