"""Django admin, scoped like everything else: staff who are not superusers see only their area subtree
(``scope_for(user).q(...)``) and may change only what their role permits. The audit log is read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from wangge.core.models import AuditLog, Job, Lease
from wangge.core.roles import user_can
from wangge.core.scoping import ScopedQuerySet, scope_for


class ScopedAdmin(admin.ModelAdmin):
    """``scope_path`` is the lookup to the area code of a row (``"code"``, ``"area__code"`` …); ``None``
    means the rows are not area-bound. ``view_perm``/``write_perm`` are role permissions (roles.py)."""

    scope_path: str | None = None
    view_perm = "areas.read"
    write_perm = "config.write"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        user = request.user
        if user.is_superuser or self.scope_path is None:
            return qs
        scope = scope_for(user)
        if scope.everything:
            return qs
        return qs.filter(scope.q(self.scope_path)).distinct()

    def _in_scope(self, request: HttpRequest, obj: Model | None) -> bool:
        if obj is None or request.user.is_superuser:
            return True
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or user_can(request.user, self.view_perm)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if request.user.is_superuser:
            return True
        can = user_can(request.user, self.view_perm) or user_can(request.user, self.write_perm)
        return can and self._in_scope(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return request.user.is_superuser or user_can(request.user, self.write_perm)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if request.user.is_superuser:
            return True
        return user_can(request.user, self.write_perm) and self._in_scope(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # Pickers of area-bound rows (areas included) offer only rows inside the viewer's scope. A related
        # model declares its scope itself (``visible_to``, or a ``scope_path`` to its area code), so core
        # needs to know no app.
        related = db_field.related_model
        if not request.user.is_superuser and related is not None:
            qs = related._default_manager.all()
            if isinstance(qs, ScopedQuerySet):
                kwargs["queryset"] = qs.visible_to(request.user)
            elif getattr(related, "scope_path", None):
                kwargs["queryset"] = qs.filter(scope_for(request.user).q(related.scope_path))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyInlineMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Append-only: viewable and filterable, never added, changed or deleted here."""

    list_display = ["at", "actor_name", "action", "object_type", "object_id", "object_repr", "ip"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_name", "object_id", "object_repr", "note"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditLog._meta.fields]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or user_can(request.user, "audit.read")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _OpsReadOnlyAdmin(admin.ModelAdmin):
    """Operations records (leases, background jobs): administrators look, nobody edits by hand."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or user_can(request.user, "config.write")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Lease)
class LeaseAdmin(_OpsReadOnlyAdmin):
    list_display = ["job", "period", "state", "holder", "fencing", "acquired_at", "finished_at"]
    list_filter = ["state", "job"]
    search_fields = ["job", "period", "holder"]


@admin.register(Job)
class JobAdmin(_OpsReadOnlyAdmin):
    list_display = [
        "id",
        "kind",
        "state",
        "done",
        "total",
        "message",
        "created_by",
        "created_at",
        "finished_at",
    ]
    list_filter = ["state", "kind"]
