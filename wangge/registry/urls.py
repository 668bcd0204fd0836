from django.urls import path

from . import edit_views, views

app_name = "registry"
urlpatterns = [
    path("", views.residents, name="home"),
    path("residents/", views.residents, name="residents"),
    path("residents/export/", views.resident_export, name="export"),
    path("residents/export/job/", views.resident_export_job, name="export_job"),
    path("residents/<int:pk>/", views.resident_detail, name="resident"),
    path("residents/<int:pk>/reveal/<str:field>/", views.resident_reveal, name="reveal"),
    path("households/", views.households, name="households"),
    path("households/<int:pk>/", views.household_detail, name="household"),
    path("buildings/", views.buildings, name="buildings"),
    path("import/", views.import_page, name="import"),
    path("import/template/", views.import_template, name="import_template"),
    path("import/annotated/<str:token>/", views.import_annotated, name="import_annotated"),
]

# Editing where it changes (phone pages), history and the corrections queue: see edit_views.
urlpatterns += [
    path("residents/<int:pk>/card/", edit_views.resident_card, name="resident_card"),
    path("residents/<int:pk>/history/", edit_views.resident_history, name="resident_history"),
    path("households/<int:pk>/card/", edit_views.household_card, name="household_card"),
    path("households/<int:pk>/history/", edit_views.household_history, name="household_history"),
    path("houses/<int:house_pk>/add-household/", edit_views.household_add, name="household_add"),
    path("changes/", edit_views.changes, name="changes"),
    path("changes/<int:pk>/<str:action>/", edit_views.change_decide, name="change_decide"),
]
