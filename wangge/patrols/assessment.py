"""Patrol figures for assessment schemes (wangge/assessment/figures.py describes the contract).

Definition of ``selectors.patrol_metrics`` (docs/patrols.md): coverage = the subject's buildings with
coordinates passed at least once in [start, end] / those buildings (a grid worker: the buildings of their
grids). Evidence: the patrols whose passes counted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils import timezone

from wangge.accounts.models import Post
from wangge.registry.models import Building
from wangge.visits.models import area_range

from .models import Patrol, PatrolPass


def _codes(subject: Any) -> list[str]:
    code = getattr(subject, "code", None)
    if code:
        return [code]
    grids = Post.objects.filter(user_id=subject.pk, kind=Post.Kind.GRID_WORKER, active=True)
    return sorted({c[:15] for c in grids.values_list("area__code", flat=True)})


def coverage(*, subject: Any, start: dt.date, end: dt.date) -> dict[str, Any]:
    """巡查覆盖率: buildings passed at least once in the period / buildings (with coordinates)."""
    codes = _codes(subject)
    passes_q, buildings_q = Q(pk__in=[]), Q(pk__in=[])
    for code in codes:
        passes_q |= area_range(code)
        buildings_q |= Q(area__code__startswith=code)
    buildings = Building.objects.filter(buildings_q, lat__isnull=False, lng__isnull=False).count()
    passes = PatrolPass.objects.filter(passes_q, day__gte=start, day__lte=end)
    passed = passes.values("building").distinct().count()
    patrol_ids = set(passes.values_list("patrol_id", flat=True).distinct())
    patrols = list(
        Patrol.objects.filter(pk__in=patrol_ids).order_by("id").values_list("pk", "started_at", "area_code")
    )
    return {
        "value": round(passed / buildings, 4) if buildings else None,
        "numerator": passed,
        "denominator": buildings,
        "evidence": [
            {
                "kind": "patrol",
                "id": pk,
                "label": f"巡查#{pk} {timezone.localtime(at).strftime('%Y-%m-%d %H:%M')} · 网格 {code}",
                "url": f"/patrols/{pk}/",
            }
            for pk, at, code in patrols
        ],
    }


FIGURES = {
    "patrols.coverage": {
        "label": "巡查覆盖率",
        "subjects": ("grid_worker", "grid", "community", "street"),
        "fn": coverage,
    },
}
