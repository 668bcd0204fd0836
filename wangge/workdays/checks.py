"""System check: warn when this year's (or, from November, next year's) holiday schedule is missing.

It reads the calendar from the database, so it is a database check: it runs with ``wangge migrate`` and
``wangge check --database default`` (and the admin shows a banner), not in the static ``check --deploy``."""

from __future__ import annotations

from typing import Any

from django.core.checks import Tags, Warning, register
from django.db import DatabaseError


@register(Tags.database)
def calendar_years_check(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    if "databases" in kwargs and not kwargs["databases"]:
        return []  # Django runs database checks only when asked for databases (migrate, check --database)
    from django.utils import timezone

    from wangge.workdays.calendar import Calendar
    from wangge.workdays.selectors import calendar_current

    try:
        cal = calendar_current()
    except DatabaseError:  # tables not migrated yet: judge by the package alone
        cal = Calendar.build()
    today = timezone.localdate()
    years = [today.year] + ([today.year + 1] if today.month >= 11 else [])
    return [
        Warning(
            f"工作日历缺少 {y} 年的节假日安排：期限将按周一至周五计算并标记。",
            hint="在管理后台“工作日历”中录入该年放假和调休上班日并标记“已完整录入”，"
            "或升级 chinesecalendar 后运行 `wangge calendar seed`。",
            id="workdays.W001",
        )
        for y in years
        if not cal.is_covered(y)
    ]
