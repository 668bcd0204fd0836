"""Demo roads for the base map drawn without a tile server: the streets between the demo's blocks.

The demo's grids are rectangles that tile their communities exactly, so the roads are where blocks meet: every
shared edge of two grids, merged into straight lines. Long ones (≥ 1.2 km) are roads with the demo's road names,
short ones lanes named after their community ("东园一巷")."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from .models import Area, BaseFeature

EPS = 1e-7
ROAD_MIN_DEG = 0.011  # ~1.2 km


def _bbox(area: Area) -> tuple[float, float, float, float] | None:
    ring = ((area.boundary or {}).get("coordinates") or [[]])[0]
    if not ring or (area.boundary or {}).get("type") != "Polygon":
        return None
    lngs = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    return min(lngs), min(lats), max(lngs), max(lats)


def _merge(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1] + EPS:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def demo_roads(grids: list[Area], district_bbox: tuple[float, float, float, float]) -> list[dict[str, Any]]:
    """The merged interior edges of the grid rectangles: ``{"axis", "at", "from", "to"}`` (axis "h" runs
    west→east at latitude ``at``; "v" runs south→north at longitude ``at``)."""
    dw, ds, de, dn = district_bbox
    edges: dict[tuple[str, float], list[tuple[float, float]]] = defaultdict(list)
    for g in grids:
        box = _bbox(g)
        if box is None:
            continue
        w, s, e, n = box
        for y in (s, n):
            if abs(y - ds) > EPS and abs(y - dn) > EPS:
                edges[("h", round(y, 7))].append((w, e))
        for x in (w, e):
            if abs(x - dw) > EPS and abs(x - de) > EPS:
                edges[("v", round(x, 7))].append((s, n))
    lines = []
    for (axis, at), spans in sorted(edges.items()):
        for a, b in _merge(spans):
            lines.append({"axis": axis, "at": at, "from": a, "to": b})
    return lines


def populate_demo(ctx: Any) -> None:
    from wangge.demo.names import ROADS

    district_box = _bbox(ctx.district)
    if district_box is None:
        ctx.log("areas: the district has no boundary, no demo roads")
        return
    lines = demo_roads(ctx.grids, district_box)
    boxes = {a.code: _bbox(a) for a in [*ctx.communities, *ctx.streets]}

    def holder(w: float, s: float, e: float, n: float) -> Area:
        for a in [*ctx.communities, *ctx.streets]:
            b = boxes[a.code]
            if b and b[0] - EPS <= w and b[1] - EPS <= s and e <= b[2] + EPS and n <= b[3] + EPS:
                return a
        return ctx.district

    names = list(ROADS)
    ctx.rng.shuffle(names)
    road_no = 0
    lanes_in: dict[str, int] = defaultdict(int)
    rows: list[BaseFeature] = []
    from wangge.demo.geometry import cn_number

    for line in lines:
        if line["axis"] == "h":
            coords = [[line["from"], line["at"]], [line["to"], line["at"]]]
        else:
            coords = [[line["at"], line["from"]], [line["at"], line["to"]]]
        w, e = min(c[0] for c in coords), max(c[0] for c in coords)
        s, n = min(c[1] for c in coords), max(c[1] for c in coords)
        area = holder(w, s, e, n)
        if line["to"] - line["from"] >= ROAD_MIN_DEG:
            base = names[road_no % len(names)]
            name = base if road_no < len(names) else f"{base}{cn_number(road_no // len(names) + 1)}段"
            road_no += 1
            kind = BaseFeature.Kind.ROAD
        else:
            lanes_in[area.code] += 1
            name = f"{area.name.removesuffix('社区').removesuffix('街道')}{cn_number(lanes_in[area.code])}巷"
            kind = BaseFeature.Kind.LANE
        f = BaseFeature(
            kind=kind, name=name, area=area, geometry={"type": "LineString", "coordinates": coords}
        )
        f.set_bbox()
        rows.append(f)
    BaseFeature.objects.bulk_create(rows, batch_size=500)
    ctx.log(f"areas: {road_no} roads and {len(rows) - road_no} lanes between the blocks")
