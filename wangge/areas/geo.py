"""Geometry: coordinate systems, boundary validation and the point-in-grid index (shapely 2, STRtree)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

# --- GCJ-02 (the offset system of Chinese map SDKs and WeChat) ------------------------------------
_A = 6378245.0
_EE = 0.00669342162296594323


def _out_of_china(lat: float, lng: float) -> bool:
    return not (73.66 < lng < 135.05 and 3.86 < lat < 53.55)


def _delta(lat: float, lng: float) -> tuple[float, float]:
    x, y = lng - 105.0, lat - 35.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    dlat += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    dlng += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlng += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlng += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return dlat, dlng


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    if _out_of_china(lat, lng):
        return lat, lng
    dlat, dlng = _delta(lat, lng)
    return lat + dlat, lng + dlng


def gcj02_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    """Inverse by fixed-point iteration: accurate to well under a metre inside China."""
    if _out_of_china(lat, lng):
        return lat, lng
    wlat, wlng = lat, lng
    for _ in range(10):
        glat, glng = wgs84_to_gcj02(wlat, wlng)
        dlat, dlng = glat - lat, glng - lng
        wlat, wlng = wlat - dlat, wlng - dlng
        if abs(dlat) < 1e-9 and abs(dlng) < 1e-9:
            break
    return wlat, wlng


def to_wgs84(lat: float, lng: float, coord_system: str = "wgs84") -> tuple[float, float]:
    cs = (coord_system or "wgs84").lower()
    if cs in ("wgs84", "cgcs2000"):
        return lat, lng
    if cs == "gcj02":
        return gcj02_to_wgs84(lat, lng)
    raise ValueError(f"unknown coord_system {coord_system!r}: use wgs84, cgcs2000 or gcj02")


# --- measuring ----------------------------------------------------------------------------------


def area_m2(geom: BaseGeometry) -> float:
    """Approximate area in m² on a local equirectangular projection (good to ~0.5% at grid scale)."""
    if geom.is_empty:
        return 0.0
    lat0 = geom.centroid.y
    kx = 111_320.0 * math.cos(math.radians(lat0))
    ky = 110_540.0
    return float(shapely.area(shapely.transform(geom, lambda c: c * np.array([kx, ky]))))


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


# --- validation ---------------------------------------------------------------------------------


class BoundaryError(ValueError):
    pass


def parse_boundary(geojson: Any) -> BaseGeometry:
    """A valid, closed Polygon/MultiPolygon from GeoJSON (a geometry or a Feature), or BoundaryError."""
    if isinstance(geojson, dict) and geojson.get("type") == "Feature":
        geojson = geojson.get("geometry")
    if not isinstance(geojson, dict) or geojson.get("type") not in ("Polygon", "MultiPolygon"):
        raise BoundaryError("边界须为 GeoJSON Polygon 或 MultiPolygon")
    polys = [geojson["coordinates"]] if geojson["type"] == "Polygon" else geojson.get("coordinates") or []
    for poly in polys:
        for ring in poly or [[]]:
            if len(ring) < 4:
                raise BoundaryError("边界环至少需要4个点（首尾相同）")
            if list(ring[0]) != list(ring[-1]):
                raise BoundaryError("边界未闭合：首尾坐标须相同")
            for lng, lat, *_ in ring:
                if not (-180 <= lng <= 180 and -90 <= lat <= 90):
                    raise BoundaryError(f"坐标超出范围: [{lng}, {lat}]（顺序为[经度, 纬度]）")
    try:
        geom = shape(geojson)
    except Exception as exc:  # shapely raises several types for malformed input
        raise BoundaryError(f"边界无法解析: {exc}") from exc
    if not geom.is_valid:
        raise BoundaryError(f"边界无效（自相交或环方向错误）: {shapely.is_valid_reason(geom)}")
    if geom.is_empty or geom.area == 0:
        raise BoundaryError("边界面积为零")
    return geom


def check_inside(child: BaseGeometry, parent: BaseGeometry, tolerance_m2: float) -> None:
    outside = area_m2(child.difference(parent))
    if outside > tolerance_m2:
        raise BoundaryError(f"边界超出上级区域约 {outside:.0f} 平方米（容差 {tolerance_m2:.0f}）")


def check_no_overlap(
    geom: BaseGeometry, siblings: Iterable[tuple[str, BaseGeometry]], tolerance_m2: float
) -> None:
    for name, other in siblings:
        if geom.intersects(other):
            overlap = area_m2(geom.intersection(other))
            if overlap > tolerance_m2:
                raise BoundaryError(
                    f"边界与同级区域“{name}”重叠约 {overlap:.0f} 平方米（容差 {tolerance_m2:.0f}）"
                )


# --- the point-in-grid index --------------------------------------------------------------------


@dataclass(frozen=True)
class Located:
    grid_code: str | None
    microgrid_code: str | None


class _CellIndex:
    """Point-in-polygon look-up for one process, tuned for single calls (routing a report as it arrives).

    The bounds are cut into a uniform raster of cells (about ``CELLS_PER_POLYGON`` per polygon). Each cell
    keeps the polygons whose bounding box touches it, in code order, and, when the first of them covers the
    whole cell, that polygon as the direct answer. A look-up is then arithmetic plus, near boundaries, a
    bounding-box test and a pure-Python ray cast: a shapely call costs more than that for one point.
    Polygons are code-sorted and the first hit wins, so on a shared edge the lowest code wins (as in
    ``locate_many``) for rectangles; for other shapes a point exactly on an edge goes to one side (half-open).
    """

    CELLS_PER_POLYGON = 16
    MAX_CELLS = 2_000_000

    def __init__(self, items: list[tuple[str, BaseGeometry]]) -> None:
        items = sorted(items, key=lambda cg: cg[0])
        self.codes = [c for c, _ in items]
        n = len(items)
        self.bboxes: list[tuple[float, float, float, float]] = []
        self.rect: list[bool] = []
        self.rings: list[list[list[tuple[float, float]]]] = []
        for _, g in items:
            x0, y0, x1, y1 = g.bounds
            self.bboxes.append((x0, y0, x1, y1))
            polys = list(getattr(g, "geoms", [g]))
            rings = [list(r.coords) for p in polys for r in (p.exterior, *p.interiors)]
            is_rect = (
                len(polys) == 1
                and not polys[0].interiors
                and len(rings[0]) == 5
                and abs(g.area - (x1 - x0) * (y1 - y0)) <= 1e-12 * max(g.area, 1e-30)
            )
            self.rect.append(is_rect)
            self.rings.append([] if is_rect else rings)
        if n == 0:
            self.nx = self.ny = 0
            return
        b = np.array(self.bboxes)
        self.x0, self.y0 = float(b[:, 0].min()), float(b[:, 1].min())
        w = max(float(b[:, 2].max()) - self.x0, 1e-9) * (1 + 1e-9)
        h = max(float(b[:, 3].max()) - self.y0, 1e-9) * (1 + 1e-9)
        cells = min(self.MAX_CELLS, max(1, n * self.CELLS_PER_POLYGON))
        self.nx = max(1, int(round(math.sqrt(cells * w / h))))
        self.ny = max(1, int(round(cells / self.nx)))
        self.kx, self.ky = self.nx / w, self.ny / h
        self.cw, self.ch = w / self.nx, h / self.ny
        cands: list[list[int]] = [[] for _ in range(self.nx * self.ny)]
        for k, (x0, y0, x1, y1) in enumerate(self.bboxes):
            for j in range(self._j(y0), self._j(y1) + 1):
                row = j * self.nx
                for i in range(self._i(x0), self._i(x1) + 1):
                    cands[row + i].append(k)
        self.cands = [tuple(c) for c in cands]
        self.direct = [-1] * len(cands)
        self._fill_direct(items)
        self.direct_array = np.array(self.direct, dtype=np.int64)

    def _i(self, x: float) -> int:
        return min(self.nx - 1, max(0, int((x - self.x0) * self.kx)))

    def _j(self, y: float) -> int:
        return min(self.ny - 1, max(0, int((y - self.y0) * self.ky)))

    def _fill_direct(self, items: list[tuple[str, BaseGeometry]]) -> None:
        """Cells whose first candidate covers them entirely answer without any geometry test."""
        first: dict[int, list[int]] = {}
        for c, cand in enumerate(self.cands):
            if cand:
                first.setdefault(cand[0], []).append(c)
        for k, cells in first.items():
            cx = np.array([c % self.nx for c in cells], dtype=float)
            cy = np.array([c // self.nx for c in cells], dtype=float)
            x0s, y0s = self.x0 + cx * self.cw, self.y0 + cy * self.ch
            x1s, y1s = x0s + self.cw, y0s + self.ch
            if self.rect[k]:
                bx0, by0, bx1, by1 = self.bboxes[k]
                inside = (x0s >= bx0) & (x1s <= bx1) & (y0s >= by0) & (y1s <= by1)
            else:
                inside = shapely.contains(items[k][1], shapely.box(x0s, y0s, x1s, y1s))
            for c, ok in zip(cells, inside.tolist(), strict=True):
                if ok:
                    self.direct[c] = k

    def find(self, x: float, y: float) -> str | None:
        if not self.nx:
            return None
        i = int((x - self.x0) * self.kx)
        j = int((y - self.y0) * self.ky)
        if x < self.x0 or y < self.y0 or i >= self.nx or j >= self.ny:
            return None
        c = j * self.nx + i
        d = self.direct[c]
        if d >= 0:
            return self.codes[d]
        for k in self.cands[c]:
            x0, y0, x1, y1 = self.bboxes[k]
            if x < x0 or x > x1 or y < y0 or y > y1:
                continue
            if self.rect[k] or _point_in_rings(x, y, self.rings[k]):
                return self.codes[k]
        return None


def _point_in_rings(x: float, y: float, rings: list[list[tuple[float, float]]]) -> bool:
    """Even-odd ray cast over every ring (exteriors and holes of valid, non-overlapping polygons)."""
    inside = False
    for ring in rings:
        xj, yj = ring[-1]
        for xi, yi in ring:
            if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
                inside = not inside
            xj, yj = xi, yi
    return inside


class GridIndex:
    """Point-in-grid look-ups, no database: a cell raster for single calls (``locate``) and STRtrees for
    vectorised batches (``locate_many``)."""

    def __init__(self, grids: list[tuple[str, BaseGeometry]], microgrids: list[tuple[str, BaseGeometry]]):
        self.grid_codes = [c for c, _ in grids]
        self.grid_geoms = [g for _, g in grids]
        self.micro_codes = [c for c, _ in microgrids]
        self.micro_geoms = [g for _, g in microgrids]
        for g in self.grid_geoms + self.micro_geoms:
            shapely.prepare(g)
        self.grid_tree = shapely.STRtree(self.grid_geoms)
        self.micro_tree = shapely.STRtree(self.micro_geoms)
        self.grid_cells = _CellIndex(grids)
        self.micro_cells = _CellIndex(microgrids)

    def __len__(self) -> int:
        return len(self.grid_codes)

    def locate(self, lat: float, lng: float) -> Located:
        grid = self.grid_cells.find(lng, lat)
        micro = self.micro_cells.find(lng, lat) if self.micro_codes else None
        if micro is not None and grid is not None and not micro.startswith(grid):
            micro = None
        if grid is None and micro is not None:
            grid = micro[:15]
        return Located(grid, micro)

    def locate_many(self, lats: np.ndarray, lngs: np.ndarray) -> list[str | None]:
        """Vectorised look-up of grid codes for many points (imports, benchmarks): cells that one grid
        covers answer at once; the rest go through the STRtree (lowest code wins on shared edges)."""
        lats, lngs = np.asarray(lats, dtype=float), np.asarray(lngs, dtype=float)
        out: list[str | None] = [None] * len(lats)
        cells = self.grid_cells
        if not cells.nx or len(lats) == 0:
            return out
        i = np.floor((lngs - cells.x0) * cells.kx).astype(np.int64)
        j = np.floor((lats - cells.y0) * cells.ky).astype(np.int64)
        inside = (i >= 0) & (j >= 0) & (i < cells.nx) & (j < cells.ny)
        direct = np.full(len(lats), -1, dtype=np.int64)
        direct[inside] = cells.direct_array[j[inside] * cells.nx + i[inside]]
        codes = cells.codes
        for p, d in zip(np.nonzero(direct >= 0)[0].tolist(), direct[direct >= 0].tolist(), strict=True):
            out[p] = codes[d]
        rest = np.nonzero(inside & (direct < 0))[0]
        if len(rest):
            points = shapely.points(lngs[rest], lats[rest])
            point_idx, geom_idx = self.grid_tree.query(points, predicate="intersects")
            for p, g in zip(rest[point_idx].tolist(), geom_idx.tolist(), strict=True):
                code = self.grid_codes[g]
                if out[p] is None or code < out[p]:  # type: ignore[operator]
                    out[p] = code
        return out
