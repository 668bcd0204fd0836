"""Demo for the one map: a police-grid layer (公安警格) that does not line up with our grids — a skewed lattice
of larger cells, offset by a draw from ``ctx.rng`` — imported through the real service (so every grid is
linked to the police grids it overlaps), then the map's case cells built from the demo's cases."""

from __future__ import annotations

from typing import Any

from wangge.areas import geo

from . import cells
from .services import layer_import_within


def police_layer(bounds: tuple[float, float, float, float], rng: Any, cell: float) -> dict[str, Any]:
    """A FeatureCollection of parallelogram police grids covering ``bounds`` (west, south, east, north)."""
    west, south, east, north = bounds
    dx, dy = rng.uniform(0.15, 0.45) * cell, rng.uniform(0.15, 0.45) * cell
    skew = rng.uniform(0.08, 0.2) * cell  # each row shifts east by this much: edges never follow ours
    stations = ["城东派出所", "城西派出所", "城南派出所", "城北派出所", "开发区派出所"]
    features = []
    rows = int((north - south + 2 * dy) / cell) + 2
    cols = int((east - west + 2 * dx + rows * skew) / cell) + 2
    n = 0
    for j in range(rows):
        y0 = south - dy + j * cell
        for i in range(cols):
            x0 = west - dx - rows * skew + i * cell + j * skew
            x1 = x0 + cell
            if x1 + skew < west or x0 > east:
                continue
            n += 1
            ring = [[x0, y0], [x1, y0], [x1 + skew, y0 + cell], [x0 + skew, y0 + cell], [x0, y0]]
            ring = [[round(x, 6), round(y, 6)] for x, y in ring]
            station = stations[(i // 3 + j // 3) % len(stations)]
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                    "properties": {"code": f"JG{n:04d}", "name": f"{station}第{n}警格"},
                }
            )
    return {"type": "FeatureCollection", "features": features}


def populate_demo(ctx: Any) -> None:
    shapes = [geo.parse_boundary(g.boundary) for g in ctx.grids if g.boundary]
    if not shapes:
        ctx.log("command: 没有网格边界，跳过警格图层")
    else:
        west = min(s.bounds[0] for s in shapes)
        south = min(s.bounds[1] for s in shapes)
        east = max(s.bounds[2] for s in shapes)
        north = max(s.bounds[3] for s in shapes)
        sizes = sorted(max(s.bounds[2] - s.bounds[0], s.bounds[3] - s.bounds[1]) for s in shapes)
        cell = sizes[len(sizes) // 2] * 1.7
        fc = police_layer((west, south, east, north), ctx.rng, cell)
        # The demo hooks run inside one transaction: the non-durable form of the import service.
        layer = layer_import_within(
            key="police", name="公安警格", geojson=fc, source="demo: 公安分局警格（模拟）", by=None
        )
        ctx.log(f"command: 警格图层 {layer.features.count()} 个警格")
    built = cells.rebuild()
    ctx.log(f"command: 一张图案件汇总 {built['cases']} 件")
