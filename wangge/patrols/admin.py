"""Admin: the checklists are configuration; patrols and their tracks are read-only (services write them)."""

from django.contrib import admin

from .models import Patrol, PatrolChecklistItem


@admin.register(PatrolChecklistItem)
class PatrolChecklistItemAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "area", "sort_order", "active"]
    list_filter = ["active"]
    raw_id_fields = ["area"]


@admin.register(Patrol)
class PatrolAdmin(admin.ModelAdmin):
    list_display = ["id", "area_code", "worker", "state", "started_at", "ended_at", "auto_closed"]
    list_filter = ["state", "auto_closed"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
