"""Project figures for assessment schemes (wangge/assessment/figures.py describes the contract).

Milestones on time (节点按期完成率), with the definitions of docs/projects.md: the milestones of approved
projects and later (the public states; declared and stopped ones count in nothing) in the subject's area, due
in [start, end], that were either done or past their date at the period's end (or today, if earlier). A
milestone is on time when ``done_on <= due_on``; an overdue one is past its date and not done. Evidence:
every milestone counted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils import timezone

from .models import Milestone
from .selectors import PUBLIC_STATES


def milestones_on_time(*, subject: Any, start: dt.date, end: dt.date) -> dict[str, Any]:
    as_of = min(timezone.localdate(), end + dt.timedelta(days=1))
    rows = list(
        Milestone.objects.filter(
            project__area__code__startswith=subject.code,
            project__state__in=PUBLIC_STATES,
            due_on__gte=start,
            due_on__lte=end,
        )
        .filter(Q(done_on__isnull=False) | Q(due_on__lt=as_of))
        .order_by("id")
        .values_list("pk", "project_id", "project__title", "title", "due_on", "done_on")
    )
    on_time = {pk for pk, _p, _t, _m, due, done in rows if done is not None and done <= due}
    return {
        "value": round(len(on_time) / len(rows), 4) if rows else None,
        "numerator": len(on_time),
        "denominator": len(rows),
        "evidence": [
            {
                "kind": "milestone",
                "id": pk,
                "label": f"{title[:30]} · {m[:30]} · 计划 {due.isoformat()} · "
                + ("按期完成" if pk in on_time else ("逾期完成" if done else "逾期未完成")),
                "url": f"/projects/{project}/",
            }
            for pk, project, title, m, due, done in rows
        ],
    }


FIGURES = {
    "projects.milestones_on_time": {
        "label": "项目节点按期完成率",
        "subjects": ("grid", "community", "street"),
        "fn": milestones_on_time,
    },
}
