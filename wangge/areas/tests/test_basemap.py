"""The base layer drawn without a tile server: GET /api/v1/areas/{code}/basemap (scoped) and
GET /api/v1/areas/basemap?lat=&lng= (public geography around a point), and the demo's roads."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.test import Client

from wangge.accounts.roles import Role
from wangge.areas.basemap import MAX_POINTS
from wangge.areas.demo import demo_roads
from wangge.areas.models import BaseFeature
from wangge.testing import make_user


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _road(tree: Any, name: str, coords: list[list[float]]) -> BaseFeature:
    f = BaseFeature(
        kind="road", name=name, area=tree.street, geometry={"type": "LineString", "coordinates": coords}
    )
    f.save()
    return f


def _building(area: Any, name: str, lat: float, lng: float) -> Any:
    return apps.get_model("registry", "Building").objects.create(
        area=area, name=name, address=f"海安市{name}", lat=lat, lng=lng, entrances=1, floors=6
    )


@pytest.mark.django_db
def test_area_basemap_has_outlines_labels_roads_and_the_viewers_buildings(tree: Any) -> None:
    # A road along the edge between grids a and b (lng 120.41), one far away (not in the frame).
    _road(tree, "人民路", [[120.41, 32.50], [120.41, 32.51]])
    _road(tree, "远方路", [[121.0, 33.0], [121.1, 33.0]])
    _building(tree.grid_a, "1幢", 32.505, 120.405)
    _building(tree.grid_c, "9幢", 32.515, 120.405)  # another community: not the grid worker's
    worker = _client(make_user(Role.GRID_WORKER, tree.grid_a))
    r = worker.get(f"/api/v1/areas/{tree.grid_a.code}/basemap")
    assert r.status_code == 200, r.content
    data = r.json()
    assert {a["code"] for a in data["areas"]} == {tree.grid_a.code, tree.micro_a1.code}
    grid = next(a for a in data["areas"] if a["code"] == tree.grid_a.code)
    assert grid["name"] == tree.grid_a.name and grid["label"] == [
        pytest.approx(tree.grid_a.center_lat),
        pytest.approx(tree.grid_a.center_lng),
    ]
    assert grid["outline"]["type"] == "Polygon"
    assert [ln["name"] for ln in data["lines"]] == ["人民路"]
    assert [p["name"] for p in data["points"]] == [f"{tree.grid_a.name} 1幢"]
    assert data["bbox"] == pytest.approx([120.40, 32.50, 120.41, 32.51])
    # Out of scope answers like missing.
    assert worker.get(f"/api/v1/areas/{tree.grid_c.code}/basemap").status_code == 404
    assert worker.get("/api/v1/areas/999999/basemap").status_code == 404
    # The community's staff see both grids' communities and grids, and their buildings.
    staff = _client(make_user(Role.COMMUNITY_STAFF, tree.street)).get(
        f"/api/v1/areas/{tree.street.code}/basemap"
    )
    levels = {a["level"] for a in staff.json()["areas"]}
    assert levels == {"community", "grid"} and len(staff.json()["points"]) == 2


@pytest.mark.django_db
def test_area_basemap_caps_the_points(tree: Any, monkeypatch: Any) -> None:
    from wangge.areas import basemap

    monkeypatch.setattr(basemap, "MAX_POINTS", 3)
    for i in range(5):
        _building(tree.grid_a, f"{i + 1}幢", 32.502 + i * 0.001, 120.402)
    data = _client(make_user(Role.ADMIN)).get(f"/api/v1/areas/{tree.grid_a.code}/basemap").json()
    assert len(data["points"]) == 3 and data["truncated"] is True
    assert MAX_POINTS >= 1000  # the real cap keeps a district's answer small but useful


@pytest.mark.django_db
def test_basemap_around_a_point_is_public_geography_without_registry_records(tree: Any) -> None:
    _road(tree, "人民路", [[120.41, 32.50], [120.41, 32.51]])
    _building(tree.grid_a, "1幢", 32.505, 120.405)
    resident = _client(make_user(Role.RESIDENT))
    r = resident.get("/api/v1/areas/basemap", {"lat": 32.505, "lng": 120.405})
    assert r.status_code == 200, r.content
    data = r.json()
    codes = {a["code"] for a in data["areas"]}
    assert {tree.grid_a.code, tree.grid_b.code, tree.community.code} <= codes
    assert tree.micro_a1.code not in codes and data["points"] == []
    assert [ln["name"] for ln in data["lines"]] == ["人民路"]
    # Far from every grid: an empty layer, not an error; bad input names the field.
    far = resident.get("/api/v1/areas/basemap", {"lat": 40.0, "lng": 100.0}).json()
    assert far["areas"] == [] and far["lines"] == []
    bad = resident.get("/api/v1/areas/basemap", {"lat": 95, "lng": 120.4})
    assert bad.status_code == 422 and "lat" in bad.content.decode()
    assert Client().get("/api/v1/areas/basemap", {"lat": 32.5, "lng": 120.4}).status_code == 401


def test_demo_roads_run_along_the_shared_edges_of_the_blocks() -> None:
    from wangge.demo.geometry import district_plan, leaf_grids

    plan = district_plan("small")
    grids = leaf_grids(plan)
    lines = demo_roads(grids, plan.bbox)  # type: ignore[arg-type]
    assert lines
    w, s, e, n = plan.bbox
    edges_h = {round(g.bbox[1], 7) for g in grids} | {round(g.bbox[3], 7) for g in grids}
    edges_v = {round(g.bbox[0], 7) for g in grids} | {round(g.bbox[2], 7) for g in grids}
    for ln in lines:
        # Every line lies on a block edge inside the district (none on its outer border), merged: no two
        # lines on the same edge overlap or touch.
        if ln["axis"] == "h":
            assert ln["at"] in edges_h and s < ln["at"] < n and w <= ln["from"] < ln["to"] <= e
        else:
            assert ln["at"] in edges_v and w < ln["at"] < e and s <= ln["from"] < ln["to"] <= n
    keys = [(ln["axis"], ln["at"]) for ln in lines]
    for key in set(keys):
        spans = sorted((ln["from"], ln["to"]) for ln in lines if (ln["axis"], ln["at"]) == key)
        assert all(a[1] < b[0] for a, b in zip(spans, spans[1:], strict=False))
    # The east-west roads between grid rows run the whole width of the district's street.
    assert any(ln["axis"] == "h" and ln["from"] == w and ln["to"] == e for ln in lines)


@pytest.mark.django_db
def test_demo_hook_writes_named_roads_inside_the_demo_district() -> None:
    import io
    import random

    from wangge.areas.demo import populate_demo
    from wangge.areas.models import Area
    from wangge.demo.context import DemoContext
    from wangge.demo.geometry import district_plan

    plan = district_plan("small")
    made: dict[str, Area] = {}
    for node in plan.walk():
        if node.level == "microgrid":
            continue
        lat, lng = node.center
        made[node.code] = Area.objects.create(
            code=node.code, name=node.name, level=node.level, boundary=node.boundary,
            center_lat=lat, center_lng=lng, parent=made.get(node.code[: {6: 0, 9: 6, 12: 9, 15: 12}[len(node.code)]]),
        )  # fmt: skip
    by_level = lambda lv: [a for a in made.values() if a.level == lv]  # noqa: E731
    ctx = DemoContext(
        size="small", rng=random.Random(1), district=made[plan.code], streets=by_level("street"),
        communities=by_level("community"), grids=by_level("grid"), users={}, units={}, password="x",
        now=None, stdout=io.StringIO(),  # type: ignore[arg-type]
    )  # fmt: skip
    populate_demo(ctx)
    roads = list(BaseFeature.objects.all())
    assert roads and all(r.name for r in roads)
    assert "road" in {r.kind for r in roads} and {r.kind for r in roads} <= {"road", "lane"}
    w, s, e, n = plan.bbox
    assert all(w <= r.west <= r.east <= e and s <= r.south <= r.north <= n for r in roads)
    assert len({r.name for r in roads}) == len(roads)  # no two roads share a name
