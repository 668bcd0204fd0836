import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from wangge.areas import geo


def _shapes() -> list[tuple[str, object]]:
    """Irregular polygons (a hole, a multipolygon, a triangle fan) tiling part of the plane."""
    ring = Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], holes=[[(1, 1), (3, 1), (3, 3), (1, 3)]])
    hole_fill = Polygon([(1, 1), (3, 1), (3, 3), (1, 3)])
    multi = MultiPolygon([box(5, 0, 6, 1), box(7, 2, 8, 3)])
    tri_a = Polygon([(4, 4), (8, 4), (6, 7)])
    tri_b = Polygon([(4, 4), (6, 7), (4, 8)])
    rects = [(f"3206210010010{i:02d}", box(8 + i * 0.5, 0, 8.5 + i * 0.5, 2)) for i in range(10)]
    return [
        ("320621001001101", ring),
        ("320621001001102", hole_fill),
        ("320621001001103", multi),
        ("320621001001104", tri_a),
        ("320621001001105", tri_b),
        *rects,
    ]


def test_single_locate_agrees_with_the_strtree_on_irregular_polygons() -> None:
    index = geo.GridIndex(_shapes(), [])  # type: ignore[arg-type]
    rng = np.random.default_rng(3)
    lngs, lats = rng.uniform(-1, 14, 20_000), rng.uniform(-1, 9, 20_000)
    expected = index.locate_many(lats, lngs)
    got = [index.locate(lat, lng).grid_code for lat, lng in zip(lats.tolist(), lngs.tolist(), strict=True)]
    assert got == expected
    assert sum(c is None for c in got) > 1000  # outside points are answered None too
    assert index.locate(2, 2).grid_code == "320621001001102"  # inside the hole → the filling polygon
    assert index.locate(0.5, 5.5).grid_code == "320621001001103"
    assert index.locate(1.5, 6.5).grid_code is None  # between the two parts of the multipolygon


def test_shared_edge_of_rectangles_goes_to_the_lowest_code() -> None:
    index = geo.GridIndex([("320621001001002", box(1, 0, 2, 1)), ("320621001001001", box(0, 0, 1, 1))], [])
    assert index.locate(0.5, 1.0).grid_code == "320621001001001"
    assert index.locate(0.5, 2.0).grid_code == "320621001001002"
    assert index.locate(0.5, 2.0000001).grid_code is None


def test_empty_index_finds_nothing() -> None:
    index = geo.GridIndex([], [])
    assert index.locate(32.5, 120.4) == geo.Located(None, None)
    assert shapely.is_empty(shapely.points([0.0], [0.0])).tolist() == [False]
