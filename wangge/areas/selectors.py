"""Reads for the area tree, and ``locate``: which grid (and micro-grid) holds a point."""

from __future__ import annotations

import threading
import time
from typing import Any

from django.db.models import QuerySet

from wangge.core.errors import InvalidInput, NotFound
from wangge.core.scoping import scope_for

from . import geo
from .models import Area, AreaIndexState, Level

_VERSION_CHECK_SECONDS = 2.0


class _IndexCache:
    """A per-process GridIndex, rebuilt when the boundary version in the database moves on.
    The version is read at most every couple of seconds so look-ups stay in memory."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.index: geo.GridIndex | None = None
        self.version: int | None = None
        self.checked_at = 0.0

    def invalidate(self) -> None:
        self.checked_at = 0.0
        self.version = None

    def get(self) -> geo.GridIndex:
        now = time.monotonic()
        if self.index is not None and now - self.checked_at < _VERSION_CHECK_SECONDS:
            return self.index
        with self.lock:
            version = AreaIndexState.objects.filter(pk=1).values_list("version", flat=True).first() or 0
            if self.index is None or version != self.version:
                self.index = build_index()
                self.version = version
            self.checked_at = now
            return self.index


_cache = _IndexCache()


def build_index() -> geo.GridIndex:
    grids: list[tuple[str, Any]] = []
    micros: list[tuple[str, Any]] = []
    rows = Area.objects.filter(level__in=[Level.GRID, Level.MICROGRID], boundary__isnull=False)
    for code, level, boundary in rows.values_list("code", "level", "boundary"):
        (grids if level == Level.GRID else micros).append((code, geo.parse_boundary(boundary)))
    return geo.GridIndex(grids, micros)


def grid_index() -> geo.GridIndex:
    return _cache.get()


def invalidate_index() -> None:
    _cache.invalidate()


def locate_codes(lat: float, lng: float, coord_system: str = "wgs84") -> geo.Located:
    try:
        wlat, wlng = geo.to_wgs84(float(lat), float(lng), coord_system)
    except ValueError as exc:
        raise InvalidInput.field("coord_system", str(exc)) from exc
    if not (-90 <= wlat <= 90 and -180 <= wlng <= 180):
        raise InvalidInput.field("lat", "坐标超出范围")
    return grid_index().locate(wlat, wlng)


def locate(lat: float, lng: float, coord_system: str = "wgs84") -> tuple[Area | None, Area | None]:
    """The grid and micro-grid containing the point (either may be None). Not scoped: routing needs it."""
    found = locate_codes(lat, lng, coord_system)
    codes = [c for c in (found.grid_code, found.microgrid_code) if c]
    by_code = {a.code: a for a in Area.objects.filter(code__in=codes)} if codes else {}
    return by_code.get(found.grid_code or ""), by_code.get(found.microgrid_code or "")


def area_list(*, viewer: Any, level: str | None = None, parent_code: str | None = None) -> QuerySet[Area]:
    """Areas inside the viewer's scope (a subtree is a code prefix)."""
    qs = Area.objects.filter(scope_for(viewer).q("code"))
    if level:
        qs = qs.filter(level=level)
    if parent_code:
        qs = qs.filter(parent__code=parent_code)
    return qs.order_by("code")


def area_get(*, viewer: Any, code: str) -> Area:
    area = Area.objects.filter(code=code).select_related("parent").first()
    if area is None or not scope_for(viewer).contains(area.code):
        raise NotFound("区域不存在或不在您的管辖范围内")
    return area


def area_tree(*, viewer: Any) -> list[dict[str, Any]]:
    """Nested dicts of the areas in scope; the roots are the viewer's top areas."""
    areas = list(area_list(viewer=viewer).values("id", "code", "name", "level", "parent_id", "grid_type"))
    nodes: dict[int, dict[str, Any]] = {a["id"]: {**a, "children": []} for a in areas}
    roots: list[dict[str, Any]] = []
    for node in nodes.values():
        parent = nodes.get(node["parent_id"])
        (parent["children"] if parent else roots).append(node)
    for node in nodes.values():
        node.pop("id")
        node.pop("parent_id")
    return roots


def area_geojson(*, viewer: Any, root_code: str | None = None, level: str | None = None) -> dict[str, Any]:
    """A FeatureCollection of the boundaries in scope (optionally under one area, optionally one level)."""
    qs = area_list(viewer=viewer, level=level).filter(boundary__isnull=False)
    if root_code:
        qs = qs.filter(code__startswith=root_code)
    features = [
        {
            "type": "Feature",
            "geometry": a["boundary"],
            "properties": {
                "code": a["code"],
                "name": a["name"],
                "level": a["level"],
                "grid_type": a["grid_type"],
            },
        }
        for a in qs.values("code", "name", "level", "grid_type", "boundary")
    ]
    return {"type": "FeatureCollection", "features": features}


def ancestors(area: Area) -> list[Area]:
    """The chain from the root down to ``area`` (one query)."""
    codes = [area.code[:n] for n in (6, 9, 12, 15, 17) if n <= len(area.code)]
    return list(Area.objects.filter(code__in=codes).order_by("code"))
