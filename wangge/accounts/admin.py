from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from wangge.core.admin import ReadOnlyInlineMixin, ScopedAdmin
from wangge.core.pii import mask_phone

from .models import ApiToken, Post, Unit, User


class PostInline(admin.TabularInline):
    model = Post
    extra = 0
    autocomplete_fields = ["area"]


class ApiTokenInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = ApiToken
    extra = 0
    fields = ["prefix", "name", "created_at", "last_used_at", "revoked"]
    readonly_fields = ["prefix", "name", "created_at", "last_used_at", "revoked"]


@admin.register(User)
class UserAdmin(ScopedAdmin, BaseUserAdmin):
    """Accounts; staff see the people holding posts inside their scope. Phones are shown masked only."""

    scope_path = "posts__area__code"
    list_display = ["username", "display_name", "role", "unit", "is_active", "is_staff"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["username", "display_name"]
    readonly_fields = ["masked_phone", "last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("个人信息"), {"fields": ["display_name", "masked_phone", "email"]}),
        (_("角色与单位"), {"fields": ["role", "unit"]}),
        (_("权限"), {"fields": ["is_active", "is_staff", "is_superuser"]}),
        (_("时间"), {"fields": ["last_login", "date_joined"]}),
    ]
    inlines = [PostInline, ApiTokenInline]

    @admin.display(description=_("手机号"))
    def masked_phone(self, obj: User) -> str:
        return mask_phone(obj.phone)


@admin.register(Unit)
class UnitAdmin(ScopedAdmin):
    scope_path = "area__code"
    list_display = ["name", "kind", "area", "contact_name"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    exclude = ["contact_phone"]
    autocomplete_fields = ["area"]


@admin.register(Post)
class PostAdmin(ScopedAdmin):
    scope_path = "area__code"
    list_display = ["user", "kind", "area", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["user__username", "user__display_name", "area__name", "area__code"]
    autocomplete_fields = ["user", "area"]
    list_select_related = ["user", "area"]


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedAdmin):
    """Read-only: tokens are created through the API; only their hash is stored."""

    scope_path = "user__posts__area__code"
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked"]
    list_filter = ["revoked"]
    readonly_fields = ["user", "prefix", "name", "created_at", "last_used_at", "revoked"]
    exclude = ["key_hash"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
