from django.contrib import admin

from .models import EarningRule, PointAccount, PointEntry, Redemption, Reward


@admin.register(EarningRule)
class EarningRuleAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "points_per_unit", "unit_label", "active"]


@admin.register(PointEntry)
class PointEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "kind", "points", "balance_after", "rule_code", "source_key"]
    list_filter = ["kind", "rule_code"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


admin.site.register(PointAccount)
admin.site.register(Reward)
admin.site.register(Redemption)
