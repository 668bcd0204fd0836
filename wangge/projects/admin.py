from django.contrib import admin

from .models import Milestone, Project


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "area", "state", "budget_yuan")
    list_filter = ("kind", "state")
    search_fields = ("title",)
    raw_id_fields = ("area", "owner", "unit", "resolution", "created_by", "approved_by")
    inlines = [MilestoneInline]
