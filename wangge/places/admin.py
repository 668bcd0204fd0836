from django.contrib import admin

from .models import Place, PlaceRequest, PlaceService


@admin.register(PlaceService)
class PlaceServiceAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "sort_order")


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "area", "active")
    list_filter = ("kind", "active")
    search_fields = ("name", "address")
    raw_id_fields = ("area",)
    filter_horizontal = ("services",)


@admin.register(PlaceRequest)
class PlaceRequestAdmin(admin.ModelAdmin):
    list_display = ("place", "service", "appeal", "created_at")
    raw_id_fields = ("place", "appeal")
