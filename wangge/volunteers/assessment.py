"""Volunteer figures for assessment schemes (wangge/assessment/figures.py describes the contract).

Volunteer hours (志愿服务时长) with the definition of ``selectors.figures``: the approved hours
(``hours_approved_at`` set) of the sign-ups to tasks in the subject's area that started in [start, end].
Numerator and denominator: those sign-ups. Evidence: every sign-up counted.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from .models import Signup


def hours(*, subject: Any, start: dt.date, end: dt.date) -> dict[str, Any]:
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time(0, 0), tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0, 0), tzinfo=tz)
    rows = list(
        Signup.objects.filter(
            activity__area__code__startswith=subject.code,
            activity__starts_at__gte=since,
            activity__starts_at__lt=until,
            hours_approved_at__isnull=False,
        )
        .order_by("id")
        .values_list("pk", "activity_id", "activity__title", "hours")
    )
    total = sum((h or Decimal(0) for *_, h in rows), Decimal(0))
    return {
        "value": float(total) if rows else None,
        "numerator": len(rows),
        "denominator": len(rows),
        "evidence": [
            {
                "kind": "signup",
                "id": pk,
                "label": f"{title[:40]} · {h or 0} 小时",
                "url": f"/volunteers/tasks/{activity}/",
            }
            for pk, activity, title, h in rows
        ],
    }


FIGURES = {
    "volunteers.hours": {
        "label": "志愿服务时长（小时）",
        "subjects": ("grid", "community", "street"),
        "fn": hours,
    },
}
