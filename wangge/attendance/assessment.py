"""Figures the assessment app reads (the integration contract; this module imports nothing from it).

``attendance.weeks_met_share``: of the weeks that dispatched cadres of a community (or of a street's
communities) had to meet the rule, the share they met. A week counts when it is an ISO week (Monday–Sunday)
wholly inside [start, end] and wholly inside the assignment, and has been closed by the periodic job (an
``AttendanceWeek`` row: days counted against the rule in force that week). Evidence lists exactly those weeks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from .models import AttendanceWeek


def weeks_met_share(*, subject: Any, start: dt.date, end: dt.date) -> dict[str, Any]:
    first = start + dt.timedelta(days=(7 - start.weekday()) % 7)  # the first Monday on or after start
    last = end - dt.timedelta(days=6)  # a week starting after this runs past end
    weeks = list(
        AttendanceWeek.objects.filter(
            assignment__area__code__startswith=subject.code, week_start__gte=first, week_start__lte=last
        )
        .select_related("assignment__user")
        .order_by("assignment__area__code", "assignment_id", "week_start")
    )
    evidence = []
    for w in weeks:
        a = w.assignment
        _y, n, _d = w.week_start.isocalendar()
        url = (
            f"{reverse('attendance:record', args=[a.pk])}?month={_month_of(w.week_start)}#week-{w.week_start}"
        )
        evidence.append(
            {
                "kind": "attendance_week",
                "id": w.pk,
                "label": f"{a.user} 第{n}周 {w.days}/{w.required}天",
                "url": url,
            }
        )
    met = sum(1 for w in weeks if w.met)
    return {
        "value": met / len(weeks) if weeks else None,
        "numerator": met,
        "denominator": len(weeks),
        "evidence": evidence,
    }


def _month_of(monday: dt.date) -> str:
    """The month an ISO week belongs to: its Thursday's."""
    return f"{monday + dt.timedelta(days=3):%Y-%m}"


FIGURES = {
    "attendance.weeks_met_share": {
        "label": "下沉干部每周到岗达标率",
        "subjects": ("community", "street"),
        "fn": weeks_met_share,
    }
}
