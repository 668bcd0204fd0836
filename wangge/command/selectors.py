"""Reads of the one map (全市一张图). Every read goes through the viewer's scope (``visible_to``); the map's
case counts come from the cell table (``cells``), the grid figures from the apps' own figure selectors."""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from shapely.geometry import Point
from shapely.strtree import STRtree

from wangge.appeals.models import Appeal, State, Supervision
from wangge.areas import geo
from wangge.areas.models import Area, Level
from wangge.areas.selectors import area_get, figures_area
from wangge.core.errors import Forbidden, InvalidInput
from wangge.core.roles import user_can
from wangge.core.scoping import get_visible_or_404, scope_for

from . import cells
from .models import CaseCell, CaseCellState, GridLayerLink, LayerFeature, MapLayer

# At this zoom and above the map shows the cases themselves when the box holds at most RAW_LIMIT of them.
RAW_ZOOM = 17
RAW_LIMIT = 1000
LIVE_STATES = [s for s in State.values if s not in (State.CANCELLED, State.MERGED)]
MAX_CELLS = 40_000  # a box wider than this many cells at the chosen level is refused (a bad request)


def suppress_below() -> int:
    from wangge.places.selectors import suppress_below as places_suppress_below

    return places_suppress_below()


def require_map(viewer: Any) -> None:
    if not (user_can(viewer, "appeals.read") or user_can(viewer, "registry.read")):
        raise Forbidden(_("无权查看指挥地图"))


# --- case clusters ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    west: float
    south: float
    east: float
    north: float

    def q(self, prefix: str = "") -> Q:
        return Q(
            **{
                f"{prefix}lng__gte": self.west,
                f"{prefix}lng__lt": self.east,
                f"{prefix}lat__gte": self.south,
                f"{prefix}lat__lt": self.north,
            }
        )

    def as_list(self) -> list[float]:
        return [self.west, self.south, self.east, self.north]


def parse_box(bbox: str) -> Box:
    try:
        west, south, east, north = (float(x) for x in bbox.split(","))
    except ValueError:
        raise InvalidInput.field("bbox", _("范围格式应为 西,南,东,北（经纬度）")) from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InvalidInput.field("bbox", _("范围超出经纬度界限或西≥东、南≥北"))
    return Box(west, south, east, north)


def parse_choices(field: str, raw: str | None, allowed: list[str], default: list[str]) -> list[str]:
    if not raw:
        return default
    if raw == "all":
        return list(allowed)
    wanted = [x for x in raw.split(",") if x]
    unknown = [x for x in wanted if x not in allowed]
    if unknown or not wanted:
        raise InvalidInput.field(field, _("未知取值: %(v)s") % {"v": ", ".join(unknown)[:80]})
    return wanted


def case_clusters(
    *, viewer: Any, bbox: str, zoom: int, states: str | None = None, supervision: str | None = None
) -> dict[str, Any]:
    """The located cases in the box as clusters (counts by state and supervision level, at the centroid of
    their cases) or, at zoom ≥ ``RAW_ZOOM`` with few cases, the cases themselves.

    Clusters add up whole cells, so the box is widened to the cells' edges: the answer's ``box`` is the box
    its counts are exact for (at the time ``as_of`` of the last cell rebuild)."""
    if not user_can(viewer, "appeals.read"):
        raise Forbidden(_("无权查看诉求"))
    box = parse_box(bbox)
    if not 0 <= zoom <= 22:
        raise InvalidInput.field("zoom", _("缩放级别应在0到22之间"))
    wanted_states = parse_choices("states", states, list(State.values), LIVE_STATES)
    wanted_sup = parse_choices("supervision", supervision, list(Supervision.values), list(Supervision.values))
    state_row = CaseCellState.objects.filter(pk=1).values_list("built_at", flat=True).first()
    level = cells.level_for(min(zoom, cells.FINEST))
    x0, y0 = cells.cell_of(box.south, box.west, level)
    x1, y1 = cells.cell_of(box.north, box.east, level)
    # The east/north edges are exclusive: a box ending exactly on a cell edge does not take the next cell.
    if cells.cell_edge(x1, level) >= box.east:
        x1 -= 1
    if cells.cell_edge(y1, level) >= box.north:
        y1 -= 1
    if (x1 - x0 + 1) * (y1 - y0 + 1) > MAX_CELLS:
        raise InvalidInput.field("zoom", _("范围过大：请放大地图"))
    base = CaseCell.objects.visible_to(viewer).filter(
        level=level, cx__gte=x0, cx__lte=x1, cy__gte=y0, cy__lte=y1
    )
    if len(wanted_sup) < len(Supervision.values):
        base = base.filter(supervision__in=wanted_sup)
    sums = {f"n_{st}": Sum(f"s_{st}") for st in wanted_states}
    rows = list(
        base.values("cx", "cy", "supervision")
        .annotate(slat=Sum("sum_lat"), slng=Sum("sum_lng"), all_n=Sum("n"), **sums)
        .order_by()
    )
    out: dict[str, Any] = {
        "zoom": zoom,
        "level": level,
        "as_of": state_row.isoformat() if state_row else None,
        "mode": "clusters",
    }
    groups: dict[tuple[int, int], dict[str, Any]] = {}
    total = 0
    for r in rows:
        n = sum(r[k] for k in sums)
        if not n:
            continue
        total += n
        g = groups.setdefault(
            (r["cx"], r["cy"]), {"n": 0, "slat": 0.0, "slng": 0.0, "all": 0, "by_state": defaultdict(int),
                                 "by_supervision": defaultdict(int)}
        )  # fmt: skip
        g["n"] += n
        g["slat"] += r["slat"]
        g["slng"] += r["slng"]
        g["all"] += r["all_n"]
        g["by_supervision"][r["supervision"]] += n
        for st in wanted_states:
            if r[f"n_{st}"]:
                g["by_state"][st] += r[f"n_{st}"]
    if zoom >= RAW_ZOOM and total <= RAW_LIMIT:
        return {**out, **_raw_cases(viewer, box, wanted_states, wanted_sup)}
    clusters = [
        {
            # At the centroid of the cell's cases (of every state: the position, not a count).
            "lat": round(g["slat"] / g["all"], 6),
            "lng": round(g["slng"] / g["all"], 6),
            "cell": [cx, cy],
            "n": g["n"],
            "by_state": dict(g["by_state"]),
            "by_supervision": dict(g["by_supervision"]),
        }
        for (cx, cy), g in sorted(groups.items())
    ]
    snapped = Box(
        cells.cell_edge(x0, level),
        cells.cell_edge(y0, level),
        cells.cell_edge(x1 + 1, level),
        cells.cell_edge(y1 + 1, level),
    )
    return {**out, "box": snapped.as_list(), "total": total, "clusters": clusters}


def _raw_cases(viewer: Any, box: Box, states: list[str], sup: list[str]) -> dict[str, Any]:
    qs = (
        Appeal.objects.visible_to(viewer)
        .filter(box.q(), state__in=states, supervision_level__in=sup)
        .order_by("id")
        .values("id", "lat", "lng", "state", "supervision_level")[: RAW_LIMIT + 1]
    )
    rows = list(qs)
    points = [
        {
            "id": r["id"],
            "lat": r["lat"],
            "lng": r["lng"],
            "state": r["state"],
            "supervision": r["supervision_level"],
        }
        for r in rows[:RAW_LIMIT]
    ]
    return {
        "mode": "cases",
        "box": box.as_list(),
        "total": len(points),
        "truncated": len(rows) > RAW_LIMIT,
        "cases": points,
        "clusters": [],
    }


# --- other networks' layers -------------------------------------------------------------------------------


class _FeatureIndex:
    """Per process: every layer's polygons in one STRtree, rebuilt when a layer is imported again."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.stamp: Any = None
        self.tree: STRtree | None = None
        self.items: list[tuple[str, str, str, str, Any]] = []

    def get(self) -> tuple[STRtree | None, list[tuple[str, str, str, str, Any]]]:
        stamp = MapLayer.objects.aggregate(m=Max("updated_at"), k=Max("id"))
        with self.lock:
            if stamp != self.stamp:
                items = []
                rows = LayerFeature.objects.select_related("layer").order_by("layer__key", "code")
                for f in rows:
                    try:
                        items.append(
                            (f.layer.key, f.layer.name, f.code, f.name, geo.parse_boundary(f.geometry))
                        )
                    except geo.BoundaryError:  # pragma: no cover - imports validate every geometry
                        continue
                self.items = items
                self.tree = STRtree([i[4] for i in items]) if items else None
                self.stamp = stamp
            return self.tree, self.items


_features = _FeatureIndex()


def layer_features_at(lat: float, lng: float) -> list[dict[str, str]]:
    """The features of every imported layer containing the point (a case's 警格): point-in-polygon in memory."""
    tree, items = _features.get()
    if tree is None:
        return []
    pt = Point(lng, lat)
    found = []
    for i in sorted(int(i) for i in tree.query(pt)):
        layer_key, layer_name, code, name, geom = items[i]
        if geom.covers(pt):
            found.append({"layer": layer_key, "layer_name": layer_name, "code": code, "name": name})
    return found


def case_popup(*, viewer: Any, pk: int) -> dict[str, Any]:
    """What the map shows for one case: its state, supervision, grid and the other networks' grids it lies in."""
    case = get_visible_or_404(Appeal.objects.select_related("grid", "category"), viewer, pk=pk)
    located = case.lat is not None and case.lng is not None
    return {
        "id": case.pk,
        "title": case.description[:60],
        "category": case.category.name,
        "state": case.state,
        "state_label": case.get_state_display(),
        "supervision": case.supervision_level,
        "supervision_label": case.get_supervision_level_display(),
        "reported_at": case.reported_at,
        "lat": case.lat,
        "lng": case.lng,
        "grid_code": case.grid.code if case.grid else case.area_code,
        "grid_name": case.grid.name if case.grid else "",
        "other_grids": layer_features_at(case.lat, case.lng) if located else [],  # type: ignore[arg-type]
        "url": f"/appeals/{case.pk}/",
    }


def layer_list(*, viewer: Any) -> list[dict[str, Any]]:
    """The map's layers: our own (grids, cases, places, special households per grid, volunteers on duty)
    and the imported layers of other networks."""
    require_map(viewer)
    own = [
        ("grids", _("网格"), "builtin"),
        ("cases", _("诉求案件"), "builtin"),
        ("places", _("服务阵地"), "builtin"),
        ("special_households", _("重点关爱户（按网格计数）"), "builtin"),
        ("volunteers", _("在岗志愿者"), "builtin"),
    ]
    out: list[dict[str, Any]] = [
        {"key": k, "name": str(n), "kind": kind, "features": None} for k, n, kind in own
    ]
    for key, name, kind, count in (
        MapLayer.objects.order_by("key").annotate(c=Count("features")).values_list("key", "name", "kind", "c")
    ):
        out.append({"key": key, "name": name, "kind": kind, "features": count})
    return out


def layer_geojson(*, viewer: Any, key: str) -> dict[str, Any]:
    """One imported layer as a FeatureCollection: each feature with its own code and the grids of ours it
    overlaps (those inside the viewer's scope), with the overlap's share of our grid."""
    require_map(viewer)
    layer = MapLayer.objects.filter(key=key).first()
    if layer is None:
        from wangge.core.errors import NotFound

        raise NotFound(_("未找到"))
    scope = scope_for(viewer)
    links: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for fid, code, share in (
        GridLayerLink.objects.filter(feature__layer=layer, grid_code__in=_visible_grid_codes(viewer))
        .order_by("grid_code")
        .values_list("feature_id", "grid_code", "share")
    ):
        if scope.contains(code):
            links[fid].append({"grid_code": code, "share": round(share, 4)})
    features = [
        {
            "type": "Feature",
            "geometry": geometry,
            "properties": {"code": code, "name": name, "grids": links.get(fid, [])},
        }
        for fid, code, name, geometry in layer.features.order_by("code").values_list(
            "id", "code", "name", "geometry"
        )
    ]
    return {
        "type": "FeatureCollection",
        "layer": {"key": layer.key, "name": layer.name, "kind": layer.kind},
        "features": features,
    }


def _visible_grid_codes(viewer: Any) -> Any:
    return Area.objects.visible_to(viewer).filter(level=Level.GRID).values("code")


def grid_other_grids(*, viewer: Any, code: str) -> list[dict[str, Any]]:
    """The other networks' grids one of our grids overlaps, largest share first (404 out of scope)."""
    area = area_get(viewer=viewer, code=code)
    return [
        {"layer": lk, "code": c, "name": n, "share": round(s, 4)}
        for lk, c, n, s in GridLayerLink.objects.filter(grid_code=area.code)
        .order_by("-share", "feature__code")
        .values_list("feature__layer__key", "feature__code", "feature__name", "share")
    ]


# --- built-in point layers --------------------------------------------------------------------------------


def places_layer(*, viewer: Any, area: str | None = None) -> dict[str, Any]:
    """Service places (阵地) in scope with their walking circle's radius (metres)."""
    require_map(viewer)
    from wangge.places import geo as places_geo
    from wangge.places.models import Place

    qs = Place.objects.visible_to(viewer).filter(active=True)
    if area:
        qs = qs.filter(area__code__startswith=area)
    radius = round(places_geo.circle_radius_m(), 1)
    return {
        "circle_radius_m": radius,
        "places": [
            {"id": pk, "name": name, "kind": kind, "lat": lat, "lng": lng}
            for pk, name, kind, lat, lng in qs.order_by("id").values_list("id", "name", "kind", "lat", "lng")
        ],
    }


def volunteers_layer(*, viewer: Any, at: dt.datetime | None = None) -> dict[str, Any]:
    """Volunteers on duty now: per task under way, its place and how many have checked in (no names)."""
    require_map(viewer)
    from wangge.volunteers.models import Activity, Signup

    at = at or timezone.now()
    tasks = (
        Activity.objects.visible_to(viewer)
        .filter(status=Activity.Status.OPEN, starts_at__lte=at, ends_at__gt=at, lat__isnull=False)
        .order_by("id")
    )
    on_duty = dict(
        Signup.objects.filter(activity__in=tasks, status=Signup.Status.CHECKED_IN)
        .values("activity_id")
        .annotate(c=Count("id"))
        .values_list("activity_id", "c")
    )
    return {
        "tasks": [
            {"id": pk, "title": title, "place": place, "lat": lat, "lng": lng, "on_duty": on_duty.get(pk, 0)}
            for pk, title, place, lat, lng in tasks.values_list("id", "title", "place", "lat", "lng")
        ]
    }


# --- areas coloured by a figure ---------------------------------------------------------------------------

# figure key → (label, source). Rates are 0–1; the classes below colour them.
FIGURES: dict[str, tuple[Any, str]] = {
    "score": (_l("综合评分（诉求）"), "appeals"),
    "response_rate": (_l("及时响应率"), "appeals"),
    "resolution_rate": (_l("按期办结率"), "appeals"),
    "satisfaction_rate": (_l("满意率"), "appeals"),
    "on_time_close_rate": (_l("按时结案率"), "appeals"),
    "close_rate": (_l("结案率"), "appeals"),
    "rework_rate": (_l("返工率"), "appeals"),
    "visit_completion": (_l("走访完成率"), "visits"),
    "coverage": (_l("阵地覆盖率（户）"), "places"),
}
# Class breaks (lower bounds) for rates; "no data" is its own class.
BREAKS = [0.0, 0.6, 0.8, 0.9, 0.95]
COLOURS = ["#d73027", "#fc8d59", "#fee08b", "#91cf60", "#1a9850"]
NO_DATA_COLOUR = "#bdbdbd"
CHILD_LEVEL = {
    Level.DISTRICT: Level.STREET,
    Level.STREET: Level.COMMUNITY,
    Level.COMMUNITY: Level.GRID,
    Level.GRID: Level.MICROGRID,
}


def legend(figure: str) -> list[dict[str, Any]]:
    lower_better = figure == "rework_rate"
    colours = list(reversed(COLOURS)) if lower_better else COLOURS
    out = []
    for i, lo in enumerate(BREAKS):
        hi = BREAKS[i + 1] if i + 1 < len(BREAKS) else None
        label = f"≥{lo:.0%}" if hi is None else f"{lo:.0%}–{hi:.0%}"
        out.append({"class": i, "min": lo, "max": hi, "label": label, "colour": colours[i]})
    out.append({"class": None, "min": None, "max": None, "label": str(_("无数据")), "colour": NO_DATA_COLOUR})
    return out


def classify(value: float | None) -> int | None:
    if value is None:
        return None
    return max(i for i, lo in enumerate(BREAKS) if value >= lo) if value >= 0 else 0


def _figure_values(viewer: Any, node: dict[str, Any], figure: str, children: list[str]) -> dict[str, Any]:
    source = FIGURES[figure][1]
    if source == "appeals":
        if not user_can(viewer, "appeals.read"):
            return {}
        from wangge.appeals.metrics import appeal_metrics

        found = appeal_metrics(viewer=viewer, area=node["code"], ranking=True)
        return {r["code"]: r.get(figure) for r in found["ranking"]}
    if source == "visits":
        if not user_can(viewer, "registry.read"):
            return {}
        from wangge.visits.selectors import visit_metrics

        found = visit_metrics(viewer=viewer, area=node["code"])
        return {r["code"]: r.get("completion") for r in found.get("by_area", [])}
    return {c: v["rate"] for c, v in _coverage(viewer, node["code"], children).items()}


def _coverage(viewer: Any, code: str, children: list[str]) -> dict[str, dict[str, Any]]:
    """Per child area: households, covered, special households (from the places coverage, summed up)."""
    if not user_can(viewer, "registry.read"):
        return {}
    from wangge.places.selectors import coverage

    area = Area.objects.get(code=code)
    sums: dict[str, dict[str, int]] = defaultdict(lambda: {"households": 0, "covered": 0, "special": 0})
    for g in coverage(viewer, area):
        child = next((c for c in children if g.grid.code.startswith(c)), None)
        if child is None:
            continue
        s = sums[child]
        s["households"] += g.households
        s["covered"] += g.covered
        s["special"] += g.special
    return {
        c: {**s, "rate": round(s["covered"] / s["households"], 4) if s["households"] else None}
        for c, s in sums.items()
    }


def map_areas(*, viewer: Any, area: str | None = None, figure: str = "score") -> dict[str, Any]:
    """The child areas of ``area`` (district → streets → communities → grids) with their boundaries, coloured
    by ``figure`` in classes with a legend and "no data"; the breadcrumb up to the viewer's top; and special
    households only as a count per child area, withheld (null) below ``WANGGE_MAP_SUPPRESS_BELOW``."""
    require_map(viewer)
    if figure not in FIGURES:
        raise InvalidInput.field("figure", _("未知指标"))
    node = figures_area(viewer, area)
    scope = scope_for(viewer)
    crumbs = [
        {"code": c, "name": n, "level": lv}
        for c, n, lv in Area.objects.filter(code__in=[node["code"][:k] for k in (6, 9, 12, 15, 17)])
        .order_by("code")
        .values_list("code", "name", "level")
        if scope.contains(c)
    ]
    child_level = CHILD_LEVEL.get(node["level"])
    rows = list(
        Area.objects.visible_to(viewer)
        .filter(code__startswith=node["code"], level=child_level)
        .order_by("code")
        .values("code", "name", "level", "boundary", "center_lat", "center_lng")
        if child_level
        else []
    )
    codes = [r["code"] for r in rows]
    values = _figure_values(viewer, node, figure, codes) if codes else {}
    special = _coverage(viewer, node["code"], codes) if codes else {}
    minimum = suppress_below()
    features = []
    for r in rows:
        value = values.get(r["code"])
        count = special.get(r["code"], {}).get("special")
        features.append(
            {
                "type": "Feature",
                "geometry": r["boundary"],
                "properties": {
                    "code": r["code"],
                    "name": r["name"],
                    "level": r["level"],
                    "value": value,
                    "class": classify(value),
                    "special_households": count if count is not None and count >= minimum else None,
                    "drill": r["level"] != Level.MICROGRID and r["level"] in CHILD_LEVEL,
                },
            }
        )
    return {
        "area": node,
        "breadcrumb": crumbs,
        "figure": figure,
        "figure_label": str(FIGURES[figure][0]),
        "figures": [{"key": k, "label": str(v[0])} for k, v in FIGURES.items()],
        "legend": legend(figure),
        "suppress_below": minimum,
        "type": "FeatureCollection",
        "features": features,
    }
