"""Other networks' layers (三网融合), the area figures, and what the map may never show."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from wangge.accounts.roles import Role
from wangge.command import cells
from wangge.command.demo import police_layer
from wangge.command.models import GridLayerLink, LayerFeature, MapLayer
from wangge.command.selectors import case_popup, layer_features_at, map_areas
from wangge.command.services import layer_import, layer_links_rebuild
from wangge.core.errors import Forbidden, InvalidInput
from wangge.registry.models import Building
from wangge.testing import Tree, api_client, make_user, rect
from wangge.visits.tests.factories import make_household

from .test_map_clusters import make_cases

pytestmark = pytest.mark.django_db


def two_police_grids() -> dict[str, Any]:
    """Two police grids split at 120.415°E: 警格A covers grid_a and half of grid_b, 警格B the rest of grid_b."""
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"code": "JG-A", "name": "警格A"},
             "geometry": rect(120.39, 32.49, 0.025, 0.03)},
            {"type": "Feature", "properties": {"code": "JG-B", "name": "警格B"},
             "geometry": rect(120.415, 32.49, 0.02, 0.03)},
        ],
    }  # fmt: skip


def test_import_links_each_grid_to_the_police_grids_it_overlaps(tree: Tree) -> None:
    admin = make_user(Role.ADMIN)
    layer = layer_import(key="police", name="公安警格", geojson=two_police_grids(), by=admin)
    links = {
        (lk.grid_code, lk.feature.code): round(lk.share, 3)
        for lk in GridLayerLink.objects.select_related("feature")
    }
    assert links[(tree.grid_a.code, "JG-A")] == 1.0
    assert links[(tree.grid_b.code, "JG-A")] == 0.5 and links[(tree.grid_b.code, "JG-B")] == 0.5
    assert (tree.grid_a.code, "JG-B") not in links
    assert layer.features.count() == 2
    # Importing again replaces the features and their links, never doubles them.
    layer_import(key="police", name="公安警格", geojson=two_police_grids(), by=admin)
    assert LayerFeature.objects.count() == 2 and GridLayerLink.objects.count() == len(links)


def test_a_case_carries_its_grid_and_its_police_grid(tree: Tree) -> None:
    layer_import(key="police", name="公安警格", geojson=two_police_grids(), by=make_user(Role.ADMIN))
    made = make_cases(tree, 30)
    case = next(a for a in made if a.grid_id == tree.grid_b.pk and a.lng is not None and a.lng > 120.416)
    worker = make_user(Role.GRID_WORKER, tree.grid_b)
    popup = case_popup(viewer=worker, pk=case.pk)
    assert popup["grid_code"] == tree.grid_b.code
    assert [(g["layer"], g["code"]) for g in popup["other_grids"]] == [("police", "JG-B")]
    res = api_client(worker).get(f"/api/v1/map/cases/{case.pk}")
    assert res.status_code == 200 and res.json()["other_grids"][0]["code"] == "JG-B"
    other = next(a for a in made if a.grid_id == tree.grid_a.pk)
    assert api_client(worker).get(f"/api/v1/map/cases/{other.pk}").status_code == 404  # out of scope


BAD = [
    ("not json", "geojson"),
    ({"type": "Feature"}, "geojson"),
    ({"type": "FeatureCollection", "features": []}, "geojson"),
    ({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
      "geometry": rect(120.4, 32.5, 0.01, 0.01)}]}, "geojson"),  # no code
    ({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": "X"},
      "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}}]}, "geojson"),
    ({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": "X"},
      "geometry": {"type": "Polygon", "coordinates": "zz"}}]}, "geojson"),
    ({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": "X"},
      "geometry": {"type": "Point", "coordinates": [120, 32]}}]}, "geojson"),
]  # fmt: skip


@pytest.mark.parametrize("geojson,field", BAD)
def test_bad_geojson_names_the_field_and_writes_nothing(tree: Tree, geojson: Any, field: str) -> None:
    admin = make_user(Role.ADMIN)
    with pytest.raises(InvalidInput) as exc:
        layer_import(key="police", name="公安警格", geojson=geojson, by=admin)
    assert exc.value.as_dict()["errors"][0]["field"] == field
    assert not MapLayer.objects.exists() and not LayerFeature.objects.exists()


def test_layer_import_over_the_api(tree: Tree) -> None:
    client = api_client(make_user(Role.DISTRICT, tree.district))
    res = client.post(
        "/api/v1/map/layers",
        {"key": "police", "name": "公安警格", "geojson": two_police_grids()},
        content_type="application/json",
    )
    assert res.status_code == 201, res.content
    assert res.json()["features"] == 2 and res.json()["links"] == 4  # grid_c lies in 警格A too
    bad = client.post("/api/v1/map/layers", {"key": "BAD KEY", "name": "x", "geojson": two_police_grids()},
                      content_type="application/json")  # fmt: skip
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "key"
    worker = api_client(make_user(Role.GRID_WORKER, tree.grid_a))
    denied = worker.post("/api/v1/map/layers", {"key": "p2", "name": "x", "geojson": two_police_grids()},
                         content_type="application/json")  # fmt: skip
    assert denied.status_code == 403
    fc = worker.get("/api/v1/map/layers/features", {"key": "police"}).json()
    assert {f["properties"]["code"] for f in fc["features"]} == {"JG-A", "JG-B"}
    # The grid worker sees the links of their own grid only.
    assert {g["grid_code"] for f in fc["features"] for g in f["properties"]["grids"]} == {tree.grid_a.code}
    assert worker.get(f"/api/v1/map/grids/{tree.grid_a.code}/other-grids").json()[0]["code"] == "JG-A"
    assert worker.get(f"/api/v1/map/grids/{tree.grid_c.code}/other-grids").status_code == 404


def test_the_demo_police_layer_does_not_line_up_with_our_grids(tree: Tree) -> None:
    fc = police_layer((120.40, 32.50, 120.42, 32.52), random.Random(3), 0.017)
    layer_import(key="police", name="公安警格", geojson=fc, by=None)
    shares = list(GridLayerLink.objects.values_list("share", flat=True))
    assert any(s < 0.99 for s in shares)  # some grid is split between police grids
    by_grid: dict[str, int] = {}
    for code in GridLayerLink.objects.values_list("grid_code", flat=True):
        by_grid[code] = by_grid.get(code, 0) + 1
    assert max(by_grid.values()) >= 2
    assert layer_features_at(32.505, 120.405)  # a point of grid_a lies in some police grid
    assert layer_links_rebuild()["links"] == len(shares)


def test_areas_are_coloured_with_a_legend_and_drill_down(tree: Tree) -> None:
    make_cases(tree, 60)
    staff = make_user(Role.DISTRICT, tree.district)
    out = map_areas(viewer=staff, area=tree.community.code, figure="close_rate")
    assert [f["properties"]["code"] for f in out["features"]] == [tree.grid_a.code, tree.grid_b.code]
    assert [c["code"] for c in out["breadcrumb"]] == [
        tree.district.code,
        tree.street.code,
        tree.community.code,
    ]
    assert out["legend"][-1]["class"] is None  # "no data"
    for f in out["features"]:
        p = f["properties"]
        assert (p["value"] is None) == (p["class"] is None)
    top = map_areas(viewer=staff, figure="coverage")
    assert top["area"]["code"] == tree.district.code
    assert [f["properties"]["code"] for f in top["features"]] == [tree.street.code]
    with pytest.raises(InvalidInput):
        map_areas(viewer=staff, figure="nope")
    with pytest.raises(Forbidden):
        map_areas(viewer=make_user(Role.RESIDENT), figure="score")


def _walk(client: Any, tree: Tree) -> list[tuple[str, Any]]:
    """Every map answer the client can get: every layer in the list, every figure at every level, clusters."""
    answers: list[tuple[str, Any]] = []
    layers = client.get("/api/v1/map/layers").json()
    assert {lay["key"] for lay in layers} >= {
        "grids",
        "cases",
        "places",
        "special_households",
        "volunteers",
        "police",
    }
    for lay in layers:
        if lay["key"] in ("grids", "cases", "special_households"):
            continue  # drawn from map/areas and map/clusters below
        path = {"places": "places", "volunteers": "volunteers"}.get(lay["key"], f"features?key={lay['key']}")
        res = client.get(f"/api/v1/map/layers/{path}")
        assert res.status_code == 200, (lay, res.content)
        answers.append((lay["key"], res.json()))
    for area in (tree.district, tree.street, tree.community, tree.grid_a):
        for fig in client.get("/api/v1/map/areas").json()["figures"]:
            res = client.get("/api/v1/map/areas", {"area": area.code, "figure": fig["key"]})
            assert res.status_code == 200, res.content
            answers.append((f"areas {area.code} {fig['key']}", res.json()))
    for zoom in (10, 14, 18):
        res = client.get("/api/v1/map/clusters", {"bbox": "120.39,32.49,120.43,32.53", "zoom": zoom})
        answers.append((f"clusters {zoom}", res.json()))
    return answers


def _numbers_named(obj: Any, names: set[str], found: list[Any]) -> None:
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in names:
                found.append(v)
            _numbers_named(v, names, found)
    elif isinstance(obj, list):
        for v in obj:
            _numbers_named(v, names, found)


def test_no_layer_shows_a_special_households_location_or_a_small_count(tree: Tree, settings: Any) -> None:
    settings.WANGGE_MAP_SUPPRESS_BELOW = 5
    layer_import(key="police", name="公安警格", geojson=two_police_grids(), by=None)
    make_cases(tree, 20)
    cells.rebuild()
    # grid_a: 3 special households (below 5: withheld); grid_b: 6 (shown as a count only).
    secret = []
    for grid, n, dlat in ((tree.grid_a, 3, 0.0011), (tree.grid_b, 6, 0.0013)):
        lat, lng = Tree.point_in(grid)
        b = Building.objects.create(
            area=grid, name="9号楼", address="测试路9号", lat=lat + dlat, lng=lng + 0.0007
        )
        secret.append((b.lat, b.lng))
        for _ in range(n):
            make_household(grid, building=b, tags=("low_income",))
    client = api_client(make_user(Role.ADMIN))
    answers = _walk(client, tree)
    text = json.dumps([a for _, a in answers])
    for lat, lng in secret:
        assert str(round(lat, 4)) not in text and str(round(lng, 4)) not in text
    counts: list[Any] = []
    _numbers_named([a for _, a in answers], {"special_households", "special"}, counts)
    assert 6 in counts  # grid_b's count is on the map
    assert all(c is None or c >= 5 for c in counts), counts
    assert 3 not in counts


def test_the_demo_hook_imports_the_police_layer_inside_the_demo_transaction(tree: Tree) -> None:
    from types import SimpleNamespace

    from django.db import transaction

    from wangge.command.demo import populate_demo
    from wangge.command.models import CaseCellState

    logged: list[str] = []
    ctx = SimpleNamespace(
        grids=[tree.grid_a, tree.grid_b, tree.grid_c], rng=random.Random(5), log=logged.append
    )
    with transaction.atomic():
        populate_demo(ctx)
    assert MapLayer.objects.get(key="police").features.count() >= 2
    assert GridLayerLink.objects.filter(grid_code=tree.grid_a.code).exists()
    assert CaseCellState.objects.filter(pk=1).exists() and len(logged) == 2
