"""Admin: categories (limits, handling unit, conditions) are edited here; cases are read-only here because
every change to a case goes through a service step with its timeline entry."""

from __future__ import annotations

from django.contrib import admin

from .models import Appeal, AppealEvent, Category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "parent",
        "handler_type",
        "department_name",
        "response_amount",
        "response_unit",
        "resolve_amount",
        "resolve_unit",
        "needs_onsite_check",
        "severity",
        "active",
    )
    list_filter = ("source", "handler_type", "severity", "active", "parent")
    search_fields = ("code", "name", "department_name")
    list_editable = ("active",)


class AppealEventInline(admin.TabularInline):
    model = AppealEvent
    extra = 0
    can_delete = False
    fields = ("at", "kind", "actor", "actor_role", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = ("id", "category", "state", "area_code", "reported_at", "overdue", "supervision_level")
    list_filter = ("state", "channel", "kind", "overdue", "supervision_level")
    search_fields = ("id", "area_code", "external_ref")
    inlines = [AppealEventInline]
    exclude = ("reporter_name", "reporter_phone")

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
