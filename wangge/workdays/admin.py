from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse

from wangge.workdays.models import CalendarYear, DayOverride, WorkingHours
from wangge.workdays.selectors import calendar_missing_years


class _MissingYearBanner:
    """Shows a warning banner on the calendar's admin pages while a year is missing."""

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        for y in calendar_missing_years():
            messages.warning(
                request, f"工作日历缺少 {y} 年的节假日安排，涉及该年的期限按周一至周五计算并已标记。"
            )
        return super().changelist_view(request, extra_context)  # type: ignore[misc]


@admin.register(CalendarYear)
class CalendarYearAdmin(_MissingYearBanner, admin.ModelAdmin):
    list_display = ["year", "complete", "source", "note", "updated_at"]
    list_filter = ["complete", "source"]


@admin.register(DayOverride)
class DayOverrideAdmin(_MissingYearBanner, admin.ModelAdmin):
    list_display = ["date", "name", "is_working_day", "source"]
    list_filter = ["is_working_day", "source"]
    search_fields = ["name"]
    date_hierarchy = "date"


@admin.register(WorkingHours)
class WorkingHoursAdmin(admin.ModelAdmin):
    """One row (pk=1) holds the working hours; without it the defaults apply."""

    list_display = ["__str__", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not WorkingHours.objects.exists()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.pk = 1
        super().save_model(request, obj, form, change)
