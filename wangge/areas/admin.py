from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from wangge.core.admin import ScopedAdmin
from wangge.core.audit import audit
from wangge.core.errors import InvalidInput

from . import services
from .models import Area, BaseFeature, PartyOrg


class AreaForm(forms.ModelForm):
    """Boundaries are validated exactly as the services do (closed, valid, inside the parent, no overlap)."""

    class Meta:
        model = Area
        fields = ["code", "name", "level", "parent", "grid_type", "dedicated_kind", "hotline", "boundary"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        boundary = data.get("boundary")
        if boundary and "boundary" in self.changed_data:
            probe = Area(pk=self.instance.pk, parent=data.get("parent"), level=data.get("level") or "")
            try:
                services._check_boundary(probe, boundary)
            except InvalidInput as exc:
                self.add_error("boundary", exc.errors[0]["message"] if exc.errors else exc.detail)
        return data


class PartyOrgInline(admin.TabularInline):
    model = PartyOrg
    extra = 0


@admin.register(Area)
class AreaAdmin(ScopedAdmin):
    """Areas in the viewer's subtree. Boundaries are edited as GeoJSON; the services validate tilings, so
    administrators should prefer the import commands for large changes."""

    scope_path = "code"
    write_perm = "areas.write"
    list_display = ["code", "name", "level", "grid_type", "parent"]
    list_filter = ["level", "grid_type"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["center_lat", "center_lng"]
    inlines = [PartyOrgInline]
    list_select_related = ["parent"]
    form = AreaForm

    def save_model(self, request: HttpRequest, obj: Area, form: Any, change: bool) -> None:
        boundary_changed = "boundary" in form.changed_data
        if boundary_changed and obj.boundary:
            c = services.geo.parse_boundary(obj.boundary).representative_point()
            obj.center_lat, obj.center_lng = c.y, c.x
        super().save_model(request, obj, form, change)
        if boundary_changed:
            services.bump_index_version()
        audit("update" if change else "create", obj, by=request.user, changes={"fields": form.changed_data})


@admin.register(PartyOrg)
class PartyOrgAdmin(ScopedAdmin):
    scope_path = "area__code"
    write_perm = "mobilisation.manage"
    list_display = ["name", "kind", "area", "secretary_name", "member_count"]
    list_filter = ["kind"]
    search_fields = ["name", "area__code", "secretary_name"]
    autocomplete_fields = ["area"]
    list_select_related = ["area"]


@admin.register(BaseFeature)
class BaseFeatureAdmin(ScopedAdmin):
    """Roads of the base map drawn without a tile server (geometry: a GeoJSON LineString, [lng, lat])."""

    scope_path = "area__code"
    write_perm = "areas.write"
    list_display = ["name", "kind", "area"]
    list_filter = ["kind"]
    search_fields = ["name", "area__name"]
    autocomplete_fields = ["area"]
    list_select_related = ["area"]
