from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router

from . import basemap, selectors
from .schemas import AreaDetailOut, AreaNode, BasemapOut, LocateOut

router = Router(tags=["areas"])


@router.get("", response=list[AreaNode])
def area_tree(request: HttpRequest) -> Any:
    """The area tree in the viewer's scope; the roots are the viewer's top areas."""
    return selectors.area_tree(viewer=request.user)


# Declared before "/{code}" so that "locate" is not taken for an area code.
@router.get("/locate", response=LocateOut, url_name="area_locate")
def locate(
    request: HttpRequest,
    lat: float = Query(..., ge=-90, le=90, description="纬度"),
    lng: float = Query(..., ge=-180, le=180, description="经度"),
    coord_system: Literal["wgs84", "gcj02", "cgcs2000"] = Query("wgs84"),
) -> Any:
    """The grid and micro-grid containing a point (nulls when it lies outside every grid). GCJ-02 (WeChat,
    Chinese map SDKs) is converted to WGS84 first. Not scoped: reporting a problem needs routing anywhere."""
    grid, micro = selectors.locate(lat, lng, coord_system)
    return {
        "grid": {"code": grid.code, "name": grid.name} if grid else None,
        "microgrid": {"code": micro.code, "name": micro.name} if micro else None,
        "lat": lat,
        "lng": lng,
        "coord_system": coord_system,
    }


@router.get("/basemap", response=BasemapOut)
def basemap_around(
    request: HttpRequest,
    lat: float = Query(..., ge=-90, le=90, description="纬度"),
    lng: float = Query(..., ge=-180, le=180, description="经度"),
) -> Any:
    """The public base layer around a WGS84 point (~1.3 km each way): grid and community outlines and names and
    the roads. For maps of viewers without an area (a resident reporting a problem); no registry records."""
    return basemap.around_basemap(lat=lat, lng=lng)


@router.get("/{code}/basemap", response=BasemapOut)
def area_basemap(request: HttpRequest, code: str) -> Any:
    """The base layer of one area in scope (404 outside it), drawn when no tile server is configured: community
    and grid outlines and labels, roads, and the buildings the viewer may see (names and points only)."""
    return basemap.area_basemap(viewer=request.user, code=code)


@router.get("/{code}", response=AreaDetailOut)
def area_detail(request: HttpRequest, code: str) -> Any:
    """One area: its parents, children, party organisations, posts (names masked) and counts."""
    d = selectors.area_detail(viewer=request.user, code=code)
    a = d["area"]
    return {
        "code": a.code,
        "name": a.name,
        "level": a.level,
        "level_label": a.get_level_display(),
        "grid_type": a.grid_type,
        "dedicated_kind": a.dedicated_kind,
        "center_lat": a.center_lat,
        "center_lng": a.center_lng,
        "boundary": a.boundary,
        "parents": d["ancestors"],
        "children": d["children"],
        "party_orgs": [
            {
                "kind": o.kind,
                "kind_label": o.get_kind_display(),
                "name": o.name,
                "secretary_name": o.secretary_name,
                "member_count": o.member_count,
            }
            for o in d["party_orgs"]
        ],
        "posts": d["posts"],
        "counts": d["counts"],
    }


@router.get("/{code}/geojson")
def area_geojson(
    request: HttpRequest, code: str, levels: str = "", include_self: bool | None = None
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the areas below ``code`` (``levels``: comma-separated, e.g.
    ``grid,microgrid``; by default the grids, plus micro-grids from a community down)."""
    wanted = [lv.strip() for lv in levels.split(",") if lv.strip()] or None
    return selectors.descendants_geojson(
        viewer=request.user, code=code, levels=wanted, include_self=include_self
    )
