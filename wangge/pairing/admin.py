"""Admin: read-only views of pairings and visits (changes go through the services and pages)."""

from django.contrib import admin

from .models import Handover, MissedVisit, Pairing, Visit


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Pairing)
class PairingAdmin(_ReadOnly):
    list_display = [
        "id",
        "care_kind",
        "volunteer",
        "visit_every_days",
        "starts_on",
        "status",
        "last_visit_at",
    ]
    list_filter = ["status", "care_kind"]
    exclude = ["resident"]


@admin.register(Visit)
class VisitAdmin(_ReadOnly):
    list_display = ["id", "pairing", "volunteer", "visited_at", "duration_minutes", "mode"]


@admin.register(Handover)
class HandoverAdmin(_ReadOnly):
    list_display = ["id", "pairing", "from_volunteer", "to_volunteer", "handed_on", "overlap_until"]


@admin.register(MissedVisit)
class MissedVisitAdmin(_ReadOnly):
    list_display = ["id", "pairing", "due_on", "flagged_at", "resolved_at"]
