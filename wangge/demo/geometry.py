"""The demo district's tree and polygons, computed without a database (the demo command and the locate
benchmark both use it).

Every level tiles its parent exactly: a rectangle is cut into rows (north→south) and each row into cells
(west→east), and neighbours share the very same coordinate values, so the union of the children is the
parent and no two children overlap (GB/T 30428.1 无缝拼接; codes run west→east, north→south).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shapely.geometry import shape
from shapely.ops import unary_union

from wangge.areas import geo

DISTRICT_CODE = "320621"
DISTRICT_NAME = "海安市"
# South-west corner of the demo district (WGS84) and the size of one grid cell in degrees (~570 m × 550 m).
ORIGIN_LNG, ORIGIN_LAT = 120.40, 32.48
GRID_DLNG, GRID_DLAT = 0.006, 0.005

STREET_NAMES = ["海安街道", "城东街道", "开发区街道", "高新区街道"]
COMMUNITY_NAMES = [
    "东园社区", "中坝社区", "江淮社区", "花园社区", "长江社区",
    "黄海社区", "凤山社区", "文峰社区", "紫石社区", "宁海社区",
    "联合社区", "海港社区", "星湖社区", "仁桥社区", "北凌社区",
    "明珠社区", "曲塘社区", "立发社区",
]  # fmt: skip
# Dedicated grids (专属网格), placed as the last cell of the communities listed: (community index, kind, name).
DEDICATED = [
    (1, "农贸市场", "中坝农贸市场专属网格"),
    (2, "物流园", "江淮物流园专属网格"),
    (5, "商业综合体", "黄海商业综合体专属网格"),
    (9, "农贸市场", "宁海农贸市场专属网格"),
    (12, "物流园", "星湖物流园专属网格"),
    (16, "货车司机", "曲塘货运司机专属网格"),
]

# size → (communities per street, grids per community). District: 4 streets, 18 communities, 279 grids.
SIZES: dict[str, tuple[list[int], list[int]]] = {
    "small": ([3], [8, 8, 8]),
    "district": ([5, 5, 4, 4], [16] * 9 + [15] * 9),
}
MICROGRIDS_PER_GRID = 4

_CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 20 → 二十 (for grid names)."""
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")


@dataclass
class Node:
    code: str
    name: str
    level: str
    bbox: tuple[float, float, float, float]  # west, south, east, north
    grid_type: str = ""
    dedicated_kind: str = ""
    children: list[Node] = field(default_factory=list)

    @property
    def boundary(self) -> dict[str, Any]:
        w, s, e, n = self.bbox
        return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}

    @property
    def center(self) -> tuple[float, float]:
        """(lat, lng) of the middle of the rectangle."""
        w, s, e, n = self.bbox
        return round((s + n) / 2, 7), round((w + e) / 2, 7)

    def walk(self) -> list[Node]:
        out = [self]
        for c in self.children:
            out.extend(c.walk())
        return out


def _split(a: float, b: float, n: int) -> list[float]:
    """n+1 cut points from a to b; the ends are exactly a and b so neighbours share coordinates."""
    return [a] + [round(a + (b - a) * i / n, 7) for i in range(1, n)] + [b]


def _cells(
    bbox: tuple[float, float, float, float], count: int, rows: int
) -> list[tuple[float, float, float, float]]:
    """``count`` rectangles tiling ``bbox``: ``rows`` rows north→south, each row cut west→east."""
    w, s, e, n = bbox
    rows = max(1, min(rows, count))
    per_row = [count // rows + (1 if r < count % rows else 0) for r in range(rows)]
    ys = _split(n, s, rows)  # north first
    out = []
    for r, k in enumerate(per_row):
        xs = _split(w, e, k)
        for c in range(k):
            out.append((xs[c], ys[r + 1], xs[c + 1], ys[r]))
    return out


def district_plan(size: str = "district") -> Node:
    """The whole tree for ``size`` ("small" or "district"), codes per GB/T 30428.1."""
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}: use one of {', '.join(SIZES)}")
    per_street, per_community = SIZES[size]
    rows_of_grids = 4
    # A community is a block of 4 grid rows; a street is a column of its communities side by side.
    community_width = [GRID_DLNG * -(-g // rows_of_grids) for g in per_community]
    street_cols = max(1, min(2, len(per_street)))
    street_rows = -(-len(per_street) // street_cols)
    street_width = max(
        sum(community_width[sum(per_street[:i]) : sum(per_street[: i + 1])]) for i in range(len(per_street))
    )
    street_height = GRID_DLAT * rows_of_grids
    west, south = ORIGIN_LNG, ORIGIN_LAT
    district_bbox = (
        west,
        south,
        round(west + street_width * street_cols, 7),
        round(south + street_height * street_rows, 7),
    )
    district = Node(DISTRICT_CODE, DISTRICT_NAME, "district", district_bbox)
    street_boxes = _cells(district_bbox, len(per_street), street_rows)
    dedicated = {ci: (kind, name) for ci, kind, name in DEDICATED}
    ci = 0
    for si, n_comm in enumerate(per_street):
        street = Node(f"{DISTRICT_CODE}{si + 1:03d}", STREET_NAMES[si], "street", street_boxes[si])  # type: ignore[arg-type]
        district.children.append(street)
        # Communities: vertical strips, widths in proportion to their grid columns, tiling the street.
        widths = community_width[ci : ci + n_comm]
        sw, ss, se, sn = street.bbox
        xs = [sw]
        acc = 0.0
        for wdt in widths[:-1]:
            acc += wdt
            xs.append(round(sw + (se - sw) * acc / sum(widths), 7))
        xs.append(se)
        for k in range(n_comm):
            cname = COMMUNITY_NAMES[ci]
            community = Node(f"{street.code}{k + 1:03d}", cname, "community", (xs[k], ss, xs[k + 1], sn))
            street.children.append(community)
            n_grids = per_community[ci]
            short = cname.removesuffix("社区")
            for gi, cell in enumerate(_cells(community.bbox, n_grids, rows_of_grids)):
                code = f"{community.code}{gi + 1:03d}"
                if gi == n_grids - 1 and ci in dedicated:
                    kind, gname = dedicated[ci]
                    grid = Node(code, gname, "grid", cell, "dedicated", kind)  # type: ignore[arg-type]
                else:
                    grid = Node(code, f"{short}第{cn_number(gi + 1)}网格", "grid", cell, "comprehensive")  # type: ignore[arg-type]
                community.children.append(grid)
                if grid.grid_type == "comprehensive":
                    for mi, mcell in enumerate(_cells(grid.bbox, MICROGRIDS_PER_GRID, 2)):
                        grid.children.append(
                            Node(f"{code}{mi + 1:02d}", f"{grid.name}第{mi + 1}微网格", "microgrid", mcell)  # type: ignore[arg-type]
                        )
            ci += 1
    return district


def validate_tiling(root: Node, tolerance_m2: float = 1.0) -> list[str]:
    """Problems with the tiling under ``root`` (empty when every parent is tiled exactly by its children)."""
    problems: list[str] = []
    for node in root.walk():
        if not node.children:
            continue
        parent = geo.parse_boundary(node.boundary)
        kids = [geo.parse_boundary(c.boundary) for c in node.children]
        union = unary_union(kids)
        gap = geo.area_m2(parent.difference(union))
        spill = geo.area_m2(union.difference(parent))
        overlap = sum(geo.area_m2(k) for k in kids) - geo.area_m2(union)
        if gap > tolerance_m2 or spill > tolerance_m2 or overlap > tolerance_m2:
            problems.append(
                f"{node.code}: gap {gap:.1f} m², outside {spill:.1f} m², overlap {overlap:.1f} m²"
            )
    return problems


def leaf_grids(root: Node) -> list[Node]:
    return [n for n in root.walk() if n.level == "grid"]


def shapely_of(node: Node) -> Any:
    return shape(node.boundary)
