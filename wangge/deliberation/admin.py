"""Admin: read-only views (changes go through the services, the pages and the API)."""

from django.contrib import admin

from .models import Convention, Council, Dispute, Meeting, Proposal


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Council)
class CouncilAdmin(_ReadOnly):
    list_display = ["id", "name", "kind", "area", "proposal_threshold", "active"]
    list_filter = ["kind", "active"]


@admin.register(Meeting)
class MeetingAdmin(_ReadOnly):
    list_display = ["id", "title", "council", "starts_at", "status"]
    list_filter = ["status"]
    exclude = ["signin_code"]


@admin.register(Proposal)
class ProposalAdmin(_ReadOnly):
    list_display = ["id", "title", "council", "status", "support_count", "threshold"]
    list_filter = ["status"]
    exclude = ["author"]


@admin.register(Convention)
class ConventionAdmin(_ReadOnly):
    list_display = ["id", "title", "area", "status", "adopted_at"]


@admin.register(Dispute)
class DisputeAdmin(_ReadOnly):
    list_display = ["id", "kind", "area", "status", "outcome", "opened_at"]
    list_filter = ["kind", "status", "outcome"]
