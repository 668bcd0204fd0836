"""Admin: seasons (their time limits are data) and units' resources are edited here; wishes and claims are
read-only (every state change goes through the services)."""

from django.contrib import admin

from .models import Resource, Season, Wish, WishClaim


@admin.register(Season)
class SeasonAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "name",
        "starts_on",
        "ends_on",
        "active",
        "auto_confirm_days",
        "claim_lapse_days",
    ]


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ["title", "unit", "community", "kind", "quantity", "active"]
    list_filter = ["kind", "active"]


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Wish)
class WishAdmin(_ReadOnly):
    list_display = ["id", "public_label", "status", "kind", "season", "created_at"]
    list_filter = ["status", "kind", "season"]
    exclude = ["beneficiary", "reason", "lat", "lng"]


@admin.register(WishClaim)
class WishClaimAdmin(_ReadOnly):
    list_display = ["id", "wish", "status", "claimant_user", "claimant_unit", "active", "created_at"]
    list_filter = ["status", "active"]
