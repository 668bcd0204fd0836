"""The base layer a map draws from our own data when no tile server is configured (intranets): area outlines
and name labels, roads (``BaseFeature``) and, from the apps above this one, named points such as buildings.

Everything is WGS84/CGCS2000 ``[lng, lat]`` GeoJSON-ish and small: outlines simplified to ~1 m, coordinates
rounded to 6 decimals (~0.1 m), at most ``MAX_POINTS`` points and ``MAX_LINES`` roads per answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shapely
from shapely.geometry import mapping, shape

from wangge.core.errors import InvalidInput

from .models import Area, BaseFeature, Level

MAX_POINTS = 1500
MAX_LINES = 600
MAX_AREAS = 800
SIMPLIFY_DEG = 0.00001  # ~1 m
# Half the side of the box read around a point (the report page of a resident, who has no area scope).
AROUND_DLAT, AROUND_DLNG = 0.012, 0.014  # ~1.3 km

# Named points inside an area, added by apps above this one (the registry adds its buildings). Each provider
# takes (viewer, code prefix, limit) and returns ``{"name", "lat", "lng", "kind"}`` dicts of rows the viewer
# may see. Registered in ``AppConfig.ready`` so that areas never imports them.
BASEMAP_POINTS: list[Callable[[Any, str, int], list[dict[str, Any]]]] = []


def _round(coords: Any) -> Any:
    if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
        return [round(float(coords[0]), 6), round(float(coords[1]), 6)]
    return [_round(c) for c in coords]


def _outline(boundary: dict[str, Any]) -> dict[str, Any] | None:
    try:
        geom = shape(boundary).simplify(SIMPLIFY_DEG, preserve_topology=True)
    except (ValueError, TypeError, AttributeError, KeyError):
        return None
    if geom.is_empty:
        return None
    out = dict(mapping(geom))
    return {"type": out["type"], "coordinates": _round(out["coordinates"])}


def _bbox_of(boundary: dict[str, Any]) -> tuple[float, float, float, float] | None:
    try:
        w, s, e, n = shape(boundary).bounds
    except (ValueError, TypeError, AttributeError, KeyError):
        return None
    return (w, s, e, n)


def _areas_out(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for a in rows[:MAX_AREAS]:
        outline = _outline(a["boundary"]) if a["boundary"] else None
        label = (
            [round(a["center_lat"], 6), round(a["center_lng"], 6)]
            if a["center_lat"] is not None and a["center_lng"] is not None
            else None
        )
        if outline is None and label is None:
            continue
        out.append(
            {"code": a["code"], "name": a["name"], "level": a["level"], "label": label, "outline": outline}
        )
    return out


def _lines_in(bbox: tuple[float, float, float, float]) -> list[dict[str, Any]]:
    w, s, e, n = bbox
    rows = (
        BaseFeature.objects.filter(west__lte=e, east__gte=w, south__lte=n, north__gte=s)
        .order_by("kind", "name", "pk")
        .values("kind", "name", "geometry")[:MAX_LINES]
    )
    return [
        {"kind": r["kind"], "name": r["name"], "coordinates": _round(r["geometry"].get("coordinates") or [])}
        for r in rows
    ]


def _frame(areas: list[dict[str, Any]]) -> list[float] | None:
    boxes = [b for b in (_bbox_of(a["outline"]) for a in areas if a["outline"]) if b]
    if not boxes:
        return None
    return [
        round(min(b[0] for b in boxes), 6),
        round(min(b[1] for b in boxes), 6),
        round(max(b[2] for b in boxes), 6),
        round(max(b[3] for b in boxes), 6),
    ]


_AREA_VALUES = ("code", "name", "level", "boundary", "center_lat", "center_lng")


def area_basemap(*, viewer: Any, code: str) -> dict[str, Any]:
    """The base layer of one area in the viewer's scope (404 outside it): its communities' and grids'
    outlines and labels, the roads crossing it and the named points (buildings) the viewer may see."""
    from .selectors import area_get

    area = area_get(viewer=viewer, code=code)
    levels = [Level.COMMUNITY, Level.GRID]
    if area.level in (Level.GRID, Level.MICROGRID):
        levels = [Level.GRID, Level.MICROGRID]
    rows = list(
        Area.objects.visible_to(viewer)
        .filter(code__startswith=area.code, level__in=levels)
        .order_by("code")
        .values(*_AREA_VALUES)
    )
    areas = _areas_out(rows)
    bbox = _frame(areas) or (_bbox_of(area.boundary) if area.boundary else None)
    points: list[dict[str, Any]] = []
    for provider in BASEMAP_POINTS:
        points.extend(provider(viewer, area.code, MAX_POINTS - len(points)))
        if len(points) >= MAX_POINTS:
            break
    return {
        "code": area.code,
        "bbox": list(bbox) if bbox else None,
        "areas": areas,
        "lines": _lines_in(tuple(bbox)) if bbox else [],  # type: ignore[arg-type]
        "points": [
            {
                "name": p["name"],
                "kind": p.get("kind", ""),
                "lat": round(p["lat"], 6),
                "lng": round(p["lng"], 6),
            }
            for p in points[:MAX_POINTS]
        ],
        "truncated": len(points) >= MAX_POINTS,
    }


def around_basemap(*, lat: float, lng: float) -> dict[str, Any]:
    """The public base layer around a point (WGS84), for maps of viewers without an area scope (a resident
    reporting a problem): grid and community outlines and names and the roads, never registry records."""
    from .selectors import grid_index

    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise InvalidInput.field("lat", "坐标超出范围")
    bbox = (lng - AROUND_DLNG, lat - AROUND_DLAT, lng + AROUND_DLNG, lat + AROUND_DLAT)
    index = grid_index()
    hits = index.grid_tree.query(shapely.box(*bbox)) if len(index) else []
    grid_codes = sorted({index.grid_codes[i] for i in list(hits)})[:MAX_AREAS]
    community_codes = sorted({c[:12] for c in grid_codes})
    rows = list(
        Area.objects.filter(code__in=grid_codes + community_codes).order_by("code").values(*_AREA_VALUES)
    )
    areas = _areas_out(rows)
    return {
        "code": "",
        "bbox": [round(v, 6) for v in bbox],
        "areas": areas,
        "lines": _lines_in(bbox),
        "points": [],
        "truncated": False,
    }
