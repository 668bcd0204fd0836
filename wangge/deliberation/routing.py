"""小事网格议、大事社区议: which council takes up a matter.

A matter has a scope: a building, a grid (or micro-grid) or the whole community. It goes to the council
*at* that level; where that level has no active council it goes up to the nearest one above (never down:
a community-wide matter is never settled by one grid). Building councils (楼栋议事) take only matters
that name their building. Owners' assemblies decide by vote, not by proposal, and are not routed to.
"""

from __future__ import annotations

from typing import Any

from wangge.areas.models import Level

from .models import Council

_LENGTHS = (6, 9, 12, 15, 17)


def matter_level(area: Any, building: Any = None) -> str:
    """The level a matter belongs to: ``building``, ``grid`` (grids and micro-grids) or the area's level."""
    if building is not None:
        return "building"
    if area.level in (Level.GRID, Level.MICROGRID):
        return Level.GRID
    return str(area.level)


def _ancestors(code: str) -> list[str]:
    return [code[:n] for n in _LENGTHS if len(code) >= n]


def route_council(*, area: Any, building: Any = None) -> Council | None:
    """The council for a matter scoped to ``area`` (and ``building`` if it names one): the active council
    whose area is the matter's own area or its nearest ancestor. A micro-grid's matter goes to its grid's
    council when the micro-grid has none."""
    if building is not None:
        council = (
            Council.objects.filter(active=True, kind=Council.Kind.BUILDING, building=building)
            .order_by("id")
            .first()
        )
        if council is not None:
            return council
        area = building.area
    codes = _ancestors(area.code)
    candidates = list(
        Council.objects.filter(active=True, kind=Council.Kind.PARTY_MASSES, area__code__in=codes)
        .select_related("area")
        .order_by("id")
    )
    if not candidates:
        return None
    # The nearest: the longest code; the oldest council at that area when there are several.
    return max(candidates, key=lambda c: (len(c.area.code), -c.pk))
