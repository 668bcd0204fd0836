"""Visit figures for assessment schemes (wangge/assessment/figures.py describes the contract).

Definition of ``selectors.visit_metrics`` (docs/visits.md): the periods **due** in [start, end] and not
cancelled under the subject's area (a grid worker: the grids of their active grid-worker posts);
``completion = completed / due``. Evidence: every period counted, its outcome in the label.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q

from wangge.accounts.models import Post

from .models import ScheduledVisit, area_range

State = ScheduledVisit.State


def subject_codes(subject: Any) -> list[str]:
    code = getattr(subject, "code", None)
    if code:
        return [code]
    grids = Post.objects.filter(user_id=subject.pk, kind=Post.Kind.GRID_WORKER, active=True)
    return sorted({c[:15] for c in grids.values_list("area__code", flat=True)})


def completion(*, subject: Any, start: dt.date, end: dt.date) -> dict[str, Any]:
    """走访完成率: periods completed / periods due (not cancelled) in the period."""
    codes = subject_codes(subject)
    where = Q(pk__in=[])
    for code in codes:
        where |= area_range(code)
    rows = list(
        ScheduledVisit.objects.filter(where, due_on__gte=start, due_on__lte=end)
        .exclude(state=State.CANCELLED)
        .order_by("id")
        .values_list("pk", "household_id", "due_on", "state")
    )
    labels = dict(State.choices)
    done = sum(1 for *_, s in rows if s == State.COMPLETED)
    return {
        "value": round(done / len(rows), 4) if rows else None,
        "numerator": done,
        "denominator": len(rows),
        "evidence": [
            {
                "kind": "scheduled_visit",
                "id": pk,
                "label": f"户#{hh} 应访 {due.isoformat()} · {labels.get(s, s)}",
                "url": f"/visits/household/{hh}/",
            }
            for pk, hh, due, s in rows
        ],
    }


FIGURES = {
    "visits.completion": {
        "label": "走访完成率",
        "subjects": ("grid_worker", "grid", "community", "street"),
        "fn": completion,
    },
}
