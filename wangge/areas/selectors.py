"""Reads for the area tree, and ``locate``: which grid (and micro-grid) holds a point."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext

from wangge.core.cache import VersionedCache, instance
from wangge.core.errors import InvalidInput
from wangge.core.scoping import get_visible_or_404, scope_for

from . import geo
from .models import Area, AreaIndexState, Level, PartyOrg

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
    return area_cached(found.grid_code), area_cached(found.microgrid_code)


_AREA_FIELDS = [f.attname for f in Area._meta.concrete_fields]
# Area rows by code, per process (a fresh instance per call); any change to an area moves the ``area`` stamp.
_areas: VersionedCache[dict[str, Any] | None] = VersionedCache(["area"])


def area_cached(code: str | None) -> Area | None:
    """The area with this code from the per-process cache (no query while no area has changed)."""
    if not code:
        return None
    values = _areas.get(code, lambda: Area.objects.filter(code=code).values(*_AREA_FIELDS).first())
    return instance(Area, values) if values is not None else None


def area_list(*, viewer: Any, level: str | None = None, parent_code: str | None = None) -> QuerySet[Area]:
    """Areas inside the viewer's scope (a subtree is a code prefix)."""
    qs = Area.objects.visible_to(viewer)
    if level:
        qs = qs.filter(level=level)
    if parent_code:
        qs = qs.filter(parent__code=parent_code)
    return qs.order_by("code")


# The code length of the level below each level (GB/T 30428.1): district → street → community → grid → micro-grid.
CHILD_LENGTH = {6: 9, 9: 12, 12: 15, 15: 17}


def default_area_code(viewer: Any) -> str:
    """The area a figures page shows when none is chosen: the root for the whole scope, else the viewer's one
    area; a viewer with several areas must choose (422 naming ``area``)."""
    scope = scope_for(viewer)
    if scope.everything:
        root = (
            Area.objects.filter(parent__isnull=True).order_by("code").values_list("code", flat=True).first()
        )
        if root:
            return root
    if len(scope.codes) == 1:
        return scope.codes[0]
    raise InvalidInput.field("area", "请选择区域")


def figures_area(viewer: Any, code: str | None) -> dict[str, Any]:
    """The area a figures read is for (``code``, else the viewer's default) as ``{code, name, level}``. Out of
    scope answers like missing: 422 naming ``area`` (an area is chosen in a form, so it is input, not a record)."""
    code = code or default_area_code(viewer)
    node = (
        Area.objects.filter(code=code).values("code", "name", "level").first()
        if scope_for(viewer).contains(code)
        else None
    )
    if node is None:
        raise InvalidInput.field("area", gettext("区域不存在或不在您的管辖范围内"))
    return node


def area_get(*, viewer: Any, code: str) -> Area:
    return get_visible_or_404(Area.objects.select_related("parent"), viewer, code=code)


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


def descendants_geojson(
    *, viewer: Any, code: str, levels: list[str] | None = None, include_self: bool | None = None
) -> dict[str, Any]:
    """A FeatureCollection of the areas below ``code`` (404 outside the viewer's scope).

    By default: the communities and grids below a district or street; the grids and micro-grids below a
    community; a grid itself with its micro-grids. ``bbox`` (a GeoJSON foreign member) frames them all."""
    area = area_get(viewer=viewer, code=code)
    wanted: list[str] = list(levels or [])
    if not wanted:
        defaults: dict[str, list[str]] = {
            Level.DISTRICT: [Level.COMMUNITY, Level.GRID],
            Level.STREET: [Level.COMMUNITY, Level.GRID],
            Level.COMMUNITY: [Level.GRID, Level.MICROGRID],
        }
        wanted = defaults.get(area.level, [Level.GRID, Level.MICROGRID])
    if include_self is None:
        include_self = area.level in (Level.GRID, Level.MICROGRID)
    unknown = [lv for lv in wanted if lv not in Level.values]
    if unknown:
        raise InvalidInput.field("levels", f"未知层级: {', '.join(unknown)}")
    visible = Area.objects.visible_to(viewer)
    qs = visible.filter(code__startswith=area.code, level__in=wanted, boundary__isnull=False)
    if not include_self:
        qs = qs.exclude(pk=area.pk)
    elif area.boundary is not None and area.level not in wanted:
        qs = qs | visible.filter(pk=area.pk)
    features = []
    west = south = 180.0
    east = north = -180.0
    props = ["code", "name", "level", "grid_type", "dedicated_kind", "center_lat", "center_lng"]
    for row in qs.order_by("code").values_list(*props, "boundary"):
        boundary: dict[str, Any] = row[-1]
        features.append(
            {"type": "Feature", "geometry": boundary, "properties": dict(zip(props, row, strict=False))}
        )
        polys = [boundary["coordinates"]] if boundary["type"] == "Polygon" else boundary["coordinates"]
        for ring in (poly[0] for poly in polys):  # exteriors frame the holes
            for lng, lat, *_ in ring:
                west, east = min(west, lng), max(east, lng)
                south, north = min(south, lat), max(north, lat)
    out: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if features:
        out["bbox"] = [west, south, east, north]
    return out


# What lies inside an area, counted by the apps above this one (the registry adds buildings, households,
# residents and party members): each counter takes the ids of the subtree's areas and returns named counts.
# Apps register theirs in ``AppConfig.ready`` so that areas never imports them.
AREA_COUNTERS: list[Callable[[list[int]], dict[str, int]]] = []


def area_counts(area: Area) -> dict[str, int]:
    """How much lies inside ``area``'s subtree: sub-areas by level, plus what the registered counters add.

    The subtree's area ids are resolved first (at most a few thousand), so the counters join on indexed
    foreign keys instead of matching a code prefix row by row."""
    below = list(Area.objects.filter(code__startswith=area.code).values_list("pk", "level"))
    ids = [pk for pk, _ in below]
    by_level: dict[str, int] = {}
    for pk, level in below:
        if pk != area.pk:
            by_level[level] = by_level.get(level, 0) + 1
    out = {
        "streets": by_level.get(Level.STREET, 0),
        "communities": by_level.get(Level.COMMUNITY, 0),
        "grids": by_level.get(Level.GRID, 0),
        "microgrids": by_level.get(Level.MICROGRID, 0),
    }
    for counter in AREA_COUNTERS:
        out.update(counter(ids))
    return out


def area_detail(*, viewer: Any, code: str) -> dict[str, Any]:
    """Everything the detail page and API show about one area in the viewer's scope."""
    from wangge.accounts.models import Post
    from wangge.core.pii import mask_name

    area = area_get(viewer=viewer, code=code)
    posts = (
        Post.objects.visible_to(viewer)
        .filter(area=area, active=True)
        .select_related("user")
        .order_by("kind", "user__username")
    )
    return {
        "area": area,
        "ancestors": [a for a in ancestors(area) if a.pk != area.pk],
        "children": list(Area.objects.visible_to(viewer).filter(parent=area).order_by("code")),
        "party_orgs": list(PartyOrg.objects.visible_to(viewer).filter(area=area)),
        "posts": [
            {
                "kind": p.kind,
                "kind_label": p.get_kind_display(),
                "name": mask_name(p.user.display_name or p.user.username),
                "username": p.user.username,
            }
            for p in posts
        ],
        "counts": area_counts(area),
    }
