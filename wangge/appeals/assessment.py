"""Case-loop figures for assessment schemes (wangge/assessment/figures.py describes the contract).

The definitions are those of ``metrics.py`` (docs/metrics.md): the same filter expressions, taken from
``metrics._aggregates``, select the cases counted, so a figure here equals the metrics endpoint's figure for
the same cases. The population: cases *reported* in [start, end] in the subject's area (a subtree), or, for a
grid worker, the cases they lead (主办人). Evidence: every case in the denominator, its outcome in the label.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from . import metrics
from .models import Appeal

OUTCOME_SOLVED = {True: "已解决", False: "未解决", None: "未表态"}


def _cases(subject: Any, start: dt.date, end: dt.date) -> tuple[QuerySet[Appeal], dt.datetime]:
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time(0, 0), tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0, 0), tzinfo=tz)
    qs = Appeal.objects.filter(reported_at__gte=since, reported_at__lt=until)
    code = getattr(subject, "code", None)
    qs = qs.filter(area_code__startswith=code) if code else qs.filter(lead_user_id=subject.pk)
    return qs.order_by("id"), min(timezone.now(), until)


def _ratio(num: float, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _evidence(pk: int, description: str, outcome: str) -> dict[str, Any]:
    return {
        "kind": "appeal",
        "id": pk,
        "label": f"#{pk} {description[:30]} · {outcome}",
        "url": f"/appeals/{pk}/",
    }


def _filters(as_of: dt.datetime) -> dict[str, Q]:
    agg = metrics._aggregates(as_of)
    return {key: agg[key].filter for key in ("x_rated", "x_solved_n", "x_due", "x_closed_on_time")}


def resolution_rate(*, subject: Any, start: dt.date, end: dt.date) -> dict[str, Any]:
    """解决率: rated cases the resident says are solved / rated cases."""
    qs, as_of = _cases(subject, start, end)
    f = _filters(as_of)
    rows = list(qs.filter(f["x_rated"]).values_list("pk", "description", "solved"))
    solved = sum(1 for _, _, s in rows if s is True)
    return {
        "value": _ratio(solved, len(rows)),
        "numerator": solved,
        "denominator": len(rows),
        "evidence": [_evidence(pk, d, OUTCOME_SOLVED[s]) for pk, d, s in rows],
    }


def satisfaction_rate(*, subject: Any, start: dt.date, end: dt.date) -> dict[str, Any]:
    """满意率: (满意 + w × 基本满意) / rated cases (numerator: 满意 and 基本满意 cases)."""
    qs, as_of = _cases(subject, start, end)
    f = _filters(as_of)
    w = float(metrics.metrics_config()["basically_satisfied_weight"])
    rows = list(qs.filter(f["x_rated"]).values_list("pk", "description", "rating"))
    sat = sum(1 for *_, r in rows if r == Appeal.Rating.SATISFIED)
    basic = sum(1 for *_, r in rows if r == Appeal.Rating.BASICALLY)
    labels = dict(Appeal.Rating.choices)
    return {
        "value": round((sat + w * basic) / len(rows), 4) if rows else None,
        "numerator": sat + basic,
        "denominator": len(rows),
        "evidence": [_evidence(pk, d, str(labels.get(r, r))) for pk, d, r in rows],
    }


def on_time_close_rate(*, subject: Any, start: dt.date, end: dt.date) -> dict[str, Any]:
    """按期结案率: closed on time / (应结案 − 缓办)."""
    qs, as_of = _cases(subject, start, end)
    f = _filters(as_of)
    base = qs.filter(f["x_due"] & Q(held=False))
    on_time = set(base.filter(f["x_closed_on_time"]).values_list("pk", flat=True))
    rows = list(base.values_list("pk", "description"))
    return {
        "value": _ratio(len(on_time), len(rows)),
        "numerator": len(on_time),
        "denominator": len(rows),
        "evidence": [_evidence(pk, d, "按期结案" if pk in on_time else "未按期结案") for pk, d in rows],
    }


ALL = ("grid_worker", "grid", "community", "street")

FIGURES = {
    "appeals.resolution_rate": {"label": "诉求解决率", "subjects": ALL, "fn": resolution_rate},
    "appeals.satisfaction_rate": {"label": "诉求满意率", "subjects": ALL, "fn": satisfaction_rate},
    "appeals.on_time_close_rate": {"label": "诉求按期结案率", "subjects": ALL, "fn": on_time_close_rate},
}
