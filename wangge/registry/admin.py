"""Django admin: the tag catalogue (configuration) and the registry, scoped like the selectors and masked.

Staff see only the records in their area scope (through ``selectors``); ID numbers and phones are shown
masked and are not editable here (use the services through the pages or the API, which validate them).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from wangge.accounts.roles import user_can
from wangge.core.pii import mask_id_number, mask_phone

from . import selectors
from .models import Building, House, Household, Resident, Tag


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "colour",
        "visit_every_days",
        "sensitive",
        "applies_to",
        "needs_care",
        "active",
    )
    list_editable = ("visit_every_days", "active")
    search_fields = ("name", "code")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_can(request.user, "config.write")

    has_add_permission = has_change_permission  # type: ignore[assignment]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # tags are switched off (active=False), never deleted: taggings refer to their codes

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_can(request.user, "registry.read") or user_can(request.user, "config.write")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)


class ScopedReadOnlyAdmin(admin.ModelAdmin):
    """Read-only, scoped by the selectors: writes go through the services (pages, API, import)."""

    selector: Any = None

    def get_queryset(self, request: HttpRequest) -> Any:
        return type(self).selector(viewer=request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_can(request.user, "registry.read")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Building)
class BuildingAdmin(ScopedReadOnlyAdmin):
    selector = staticmethod(selectors.building_list)
    list_display = ("name", "address", "area", "entrances")
    search_fields = ("name", "address")


@admin.register(House)
class HouseAdmin(ScopedReadOnlyAdmin):
    selector = staticmethod(selectors.house_list)
    list_display = ("__str__", "exclusive_area", "use")


@admin.register(Household)
class HouseholdAdmin(ScopedReadOnlyAdmin):
    selector = staticmethod(selectors.household_list)
    list_display = ("__str__", "house", "is_party_center", "active")
    list_filter = ("is_party_center", "active")


@admin.register(Resident)
class ResidentAdmin(ScopedReadOnlyAdmin):
    selector = staticmethod(selectors.resident_list)
    list_display = (
        "name",
        "gender",
        "masked_id_number",
        "masked_phone",
        "residence_type",
        "political_status",
    )
    list_filter = ("residence_type", "political_status", "gender")
    search_fields = ("name",)
    fields = (
        "household",
        "name",
        "gender",
        "birth_date",
        "masked_id_number",
        "masked_phone",
        "political_status",
        "relation",
        "residence_type",
        "active",
    )
    readonly_fields = fields

    @admin.display(description="身份证号")
    def masked_id_number(self, obj: Resident) -> str:
        return mask_id_number(obj.id_number)

    @admin.display(description="联系电话")
    def masked_phone(self, obj: Resident) -> str:
        return mask_phone(obj.phone)
