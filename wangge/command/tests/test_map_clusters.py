"""The one map's case clusters: counts from the cell table add up to the cases in the box, in scope."""

from __future__ import annotations

import random
from typing import Any

import pytest
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.appeals.models import Appeal, Category, State, Supervision
from wangge.appeals.tests.conftest import ensure_categories
from wangge.command import cells
from wangge.command.selectors import LIVE_STATES, case_clusters
from wangge.core.errors import Forbidden, InvalidInput
from wangge.testing import Tree, make_user

pytestmark = pytest.mark.django_db


def make_cases(tree: Tree, n: int, seed: int = 7) -> list[Appeal]:
    """``n`` located cases spread over the three grids (bulk: the map never sits on the submission path)."""
    ensure_categories()
    rng = random.Random(seed)
    cat = Category.objects.filter(parent__isnull=False).first()
    grids = [tree.grid_a, tree.grid_b, tree.grid_c]
    now = timezone.now()
    rows = []
    for _ in range(n):
        grid = rng.choice(grids)
        lat, lng = Tree.point_in(grid)
        rows.append(
            Appeal(
                kind=Appeal.Kind.PROBLEM,
                channel=Appeal.Channel.PATROL,
                category=cat,
                description="路灯不亮",
                lat=lat + rng.uniform(-0.0049, 0.0049),
                lng=lng + rng.uniform(-0.0049, 0.0049),
                grid=grid,
                area_code=grid.code,
                state=rng.choice(State.values[:7]),
                supervision_level=rng.choice(Supervision.values),
                reported_at=now,
            )
        )
    rows.append(  # a case without a location is on no map
        Appeal(kind="problem", channel="patrol", category=cat, description="无位置", area_code=tree.grid_a.code,
               reported_at=now)
    )  # fmt: skip
    return Appeal.objects.bulk_create(rows)


def raw_count(viewer: Any, box: list[float], states: list[str] | None = None) -> int:
    west, south, east, north = box
    return (
        Appeal.objects.visible_to(viewer)
        .filter(lng__gte=west, lng__lt=east, lat__gte=south, lat__lt=north, state__in=states or LIVE_STATES)
        .count()
    )


BOXES = [
    [120.0, 32.0, 121.0, 33.0],  # the whole district and more
    [120.40, 32.50, 120.41, 32.51],  # grid_a exactly
    [120.403, 32.503, 120.417, 32.515],  # across three grids, not on cell edges
    [120.4001, 32.5001, 120.4002, 32.5002],  # a sliver
]


@pytest.mark.parametrize("zoom", [3, 8, 11, 12, 14, 16, 17, 19])
def test_cluster_counts_add_up_to_the_cases_in_the_box(tree: Tree, zoom: int) -> None:
    make_cases(tree, 400)
    cells.rebuild()
    admin = make_user(Role.ADMIN)
    for bbox in BOXES:
        if zoom >= 15 and bbox[2] - bbox[0] > 0.5:  # a whole degree at street zoom: far more than a screen
            with pytest.raises(InvalidInput):
                case_clusters(viewer=admin, bbox=",".join(map(str, bbox)), zoom=zoom)
            continue
        out = case_clusters(viewer=admin, bbox=",".join(map(str, bbox)), zoom=zoom)
        added = sum(c["n"] for c in out["clusters"]) + len(out.get("cases", []))
        assert out["total"] == added
        assert added == raw_count(admin, out["box"]), (bbox, zoom, out["mode"])
        for c in out["clusters"]:
            assert sum(c["by_state"].values()) == c["n"] == sum(c["by_supervision"].values())


def test_clusters_follow_the_viewers_scope(tree: Tree) -> None:
    make_cases(tree, 300)
    cells.rebuild()
    worker = make_user(Role.GRID_WORKER, tree.grid_a)
    out = case_clusters(viewer=worker, bbox="120,32,121,33", zoom=12)
    assert out["total"] == raw_count(worker, out["box"]) > 0
    assert out["total"] == Appeal.objects.filter(area_code=tree.grid_a.code, lat__isnull=False,
                                                 state__in=LIVE_STATES).count()  # fmt: skip
    resident = make_user(Role.RESIDENT)
    with pytest.raises(Forbidden):
        case_clusters(viewer=resident, bbox="120,32,121,33", zoom=12)


def test_filters_by_state_and_supervision(tree: Tree) -> None:
    make_cases(tree, 300)
    cells.rebuild()
    admin = make_user(Role.ADMIN)
    out = case_clusters(
        viewer=admin, bbox="120,32,121,33", zoom=10, states="closed,submitted", supervision="red"
    )
    want = Appeal.objects.filter(
        state__in=["closed", "submitted"], supervision_level="red", lat__isnull=False
    )
    assert out["total"] == want.count() > 0
    assert {s for c in out["clusters"] for s in c["by_state"]} <= {"closed", "submitted"}


def test_high_zoom_shows_the_cases_themselves(tree: Tree) -> None:
    made = make_cases(tree, 50)
    cells.rebuild()
    admin = make_user(Role.ADMIN)
    out = case_clusters(viewer=admin, bbox="120.40,32.50,120.42,32.52", zoom=18, states="all")
    assert out["mode"] == "cases"
    assert {c["id"] for c in out["cases"]} == {a.pk for a in made if a.lat is not None and
                                               a.lat < 32.52 and a.lng < 120.42}  # fmt: skip


def test_a_new_case_is_counted_after_the_rebuild(tree: Tree) -> None:
    make_cases(tree, 20)
    cells.rebuild()
    admin = make_user(Role.ADMIN)
    before = case_clusters(viewer=admin, bbox="120,32,121,33", zoom=12)["total"]
    make_cases(tree, 5, seed=9)
    cells.tick(timezone.now())
    after = case_clusters(viewer=admin, bbox="120,32,121,33", zoom=12)
    assert after["total"] == raw_count(admin, after["box"])
    assert after["total"] > before


@pytest.mark.parametrize(
    "bbox,zoom,field",
    [("1,2,3", 10, "bbox"), ("x,1,2,3", 10, "bbox"), ("10,10,5,20", 10, "bbox"), ("0,0,1,91", 10, "bbox"),
     ("-180,-90,180,90", 16, "zoom"), ("1,1,2,2", 30, "zoom")],
)  # fmt: skip
def test_bad_boxes_name_the_field(tree: Tree, bbox: str, zoom: int, field: str) -> None:
    admin = make_user(Role.ADMIN)
    with pytest.raises(InvalidInput) as exc:
        case_clusters(viewer=admin, bbox=bbox, zoom=zoom)
    assert exc.value.as_dict()["errors"][0]["field"] == field
