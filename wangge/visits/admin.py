"""Admin: the checklist is configuration; visits and the schedule are read-only (services write them)."""

from django.contrib import admin

from .models import ChecklistItem, ScheduledVisit, Visit


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "tag", "sort_order", "active"]
    list_filter = ["active", "tag"]


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Visit)
class VisitAdmin(_ReadOnly):
    list_display = ["id", "household", "visitor", "kind", "visited_at", "verified"]
    list_filter = ["kind", "verified"]


@admin.register(ScheduledVisit)
class ScheduledVisitAdmin(_ReadOnly):
    list_display = ["id", "household", "due_on", "closes_on", "every_days", "state", "cancel_reason"]
    list_filter = ["state", "cancel_reason"]
