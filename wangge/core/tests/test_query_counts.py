"""A recorded query count for every GET list endpoint (NetBox's ``query_counts.json`` is the model).

Each list endpoint of ``/api/v1/openapi.json`` (no path parameters) is requested as an admin and as a
community worker over a few rows of every kind, and the number of queries is compared with
``query_counts.json`` beside this file: more than recorded fails (fewer passes; record the improvement).
``WANGGE_UPDATE_QUERY_COUNTS=1`` rewrites the file. Where rows can be made, N and 2N rows must cost the same
number of queries (no N+1).
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wangge.testing import api_client

from .endpoints import LISTS, ListCase, World, make_world
from .test_scope_matrix import schema_gets

BASELINE = Path(__file__).with_name("query_counts.json")
UPDATE = os.environ.get("WANGGE_UPDATE_QUERY_COUNTS") == "1"
VIEWERS = ("admin", "community_staff")
# Required query parameters of endpoints that are not plain lists.
QUERY: dict[str, Callable[[World], str]] = {
    "/api/v1/areas/locate": lambda w: "?lat=32.505&lng=120.405",
    "/api/v1/areas/basemap": lambda w: "?lat=32.505&lng=120.405",
    "/api/v1/commitments/compliance": lambda w: f"?company={_company_in_grid_a(w)}",
    "/api/v1/places/nearest": lambda w: "?lat=32.505&lng=120.405&include_closed=true",
    "/api/v1/map/clusters": lambda w: "?bbox=120.39,32.49,120.43,32.53&zoom=14",
    "/api/v1/map/layers/features": lambda w: _police_layer(w),
    "/api/v1/metrics/appeals/breakdown": lambda w: "?by=unit",
    "/api/v1/assessment/rankings": lambda w: f"?scheme={_assessment_scheme_in_grid_a(w)}&period=2025-10",
}


def _police_layer(w: World) -> str:
    from wangge.command.models import MapLayer
    from wangge.command.services import layer_import
    from wangge.testing import rect

    if not MapLayer.objects.filter(key="police").exists():
        grid = {"type": "Feature", "properties": {"code": "JG1"}, "geometry": rect(120.39, 32.49, 0.05, 0.05)}
        layer_import(
            key="police", name="警格", geojson={"type": "FeatureCollection", "features": [grid]}, by=None
        )
    return "?key=police"


def _assessment_scheme_in_grid_a(w: World) -> int:
    from .endpoints import _assessment_score

    return int(_assessment_score(w, w.tree.grid_a).scheme_id)


def _new_assessment_score(w: World, viewer: Any) -> None:
    """A new scheme of grid_a and its score (another run, so the scores add up)."""
    from .endpoints import _assessment_score

    w._made = {k: v for k, v in w._made.items() if k[0] not in ("assessment_scheme", "assessment_score")}
    _assessment_score(w, w.tree.grid_a)


def _company_in_grid_a(w: World) -> int:
    from .endpoints import _evaluation

    return int(_evaluation(w, w.tree.grid_a).company_id)


def _count(client: Any, url: str) -> tuple[int, int]:
    client.get(url)  # warm up: token touch, per-process caches (grid index, tag map)
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(url)
    return resp.status_code, len(ctx.captured_queries)


@pytest.fixture
def world(tree: Any, settings: Any, tmp_path: Any) -> World:
    settings.MEDIA_ROOT = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return make_world(tree)


def _fill(world: World) -> None:
    """A few rows of every kind, in two grids of the community (inside both viewers' reach)."""
    for case in LISTS.values():
        if isinstance(case, ListCase):
            for area in (world.tree.grid_a, world.tree.grid_b):
                case.make(world, area)


@pytest.mark.django_db
def test_list_endpoints_stay_within_the_recorded_query_counts(world: World) -> None:
    _fill(world)
    _, lists = schema_gets()
    recorded: dict[str, int] = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    measured: dict[str, int] = {}
    statuses: dict[str, int] = {}
    for role in VIEWERS:
        client = api_client(world.users[role])
        for path in lists:
            url = path + (QUERY[path](world) if path in QUERY else "")
            status, n = _count(client, url)
            key = f"{role} GET {path}"
            measured[key], statuses[key] = n, status
    assert all(s < 400 or s == 403 for s in statuses.values()), statuses
    if UPDATE:
        BASELINE.write_text(json.dumps(measured, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        return
    problems = [
        f"{k}: {n} queries, recorded {recorded.get(k)}" for k, n in measured.items() if k not in recorded
    ]
    problems += [
        f"{k}: {n} queries, more than the recorded {recorded[k]}"
        for k, n in measured.items()
        if k in recorded and n > recorded[k]
    ]
    assert not problems, (
        "\n".join(problems) + "\n(fix the N+1, or if the new count is right: WANGGE_UPDATE_QUERY_COUNTS=1)"
    )


# --- N vs 2N: endpoints whose rows can be made for the viewer ---------------------------------------------


def _registry_row(w: World, viewer: Any) -> None:
    from wangge.registry.tests.factories import make_resident

    make_resident(w.tree.grid_a, w.admin)


def _made_by(kind: str, path: str) -> Callable[[World, Any], None]:
    case = LISTS[path]
    assert isinstance(case, ListCase)

    def make(w: World, viewer: Any) -> None:
        w._made = {k: v for k, v in w._made.items() if k[0] != kind}
        case.make(w, w.tree.grid_a)

    return make


def _active_reward(w: World, viewer: Any) -> None:
    from wangge.points import services

    services.reward_create(name="毛巾", price=20, stock=2, area=w.tree.grid_a, by=w.staff_of(w.tree.grid_a))


def _own_notification(w: World, viewer: Any) -> None:
    from wangge.notifications.services import notify

    notify(users=[viewer], event="test", title="通知", channels=("inapp",))


def _own_points(w: World, viewer: Any) -> None:
    from wangge.points import services

    n = next(_points_seq)
    assert services.points_earn(user=viewer, rule_code="volunteer_hour", source_key=f"qc:{n}")


_points_seq = itertools.count(1)


def _new_place(w: World, viewer: Any) -> None:
    from wangge.places.models import Place, PlaceService

    place = Place.objects.create(name="驿站", kind="post", area=w.tree.grid_a, lat=32.505, lng=120.405)
    place.services.set(PlaceService.objects.all()[:3])


GROWS: dict[str, tuple[Callable[[World, Any], None], str]] = {
    "/api/v1/buildings": (_registry_row, ""),
    "/api/v1/houses": (_registry_row, ""),
    "/api/v1/households": (_registry_row, ""),
    "/api/v1/residents": (_registry_row, ""),
    "/api/v1/residents/export": (_registry_row, ""),
    "/api/v1/appeals": (_made_by("appeal", "/api/v1/appeals"), ""),
    "/api/v1/activities": (_made_by("activity", "/api/v1/activities"), ""),
    "/api/v1/rewards": (_active_reward, ""),
    "/api/v1/wishes": (_made_by("wish", "/api/v1/wishes"), "?view=manage"),
    "/api/v1/pairings": (_made_by("pairing", "/api/v1/pairings"), ""),
    "/api/v1/attendance": (_made_by("cadre", "/api/v1/attendance"), ""),
    "/api/v1/notifications": (_own_notification, ""),
    "/api/v1/points/entries": (_own_points, ""),
    "/api/v1/wishes/contact-views": (_made_by("contact_view", "/api/v1/wishes/contact-views"), ""),
    "/api/v1/councils": (_made_by("council", "/api/v1/councils"), ""),
    "/api/v1/meetings": (_made_by("meeting", "/api/v1/meetings"), ""),
    "/api/v1/proposals": (_made_by("proposal", "/api/v1/proposals"), ""),
    "/api/v1/conventions": (_made_by("convention", "/api/v1/conventions"), ""),
    "/api/v1/mediations": (_made_by("dispute", "/api/v1/mediations"), ""),
    "/api/v1/votes": (_made_by("vote", "/api/v1/votes"), ""),
    "/api/v1/surveys": (_made_by("survey", "/api/v1/surveys"), ""),
    "/api/v1/commitments/evaluations": (_made_by("evaluation", "/api/v1/commitments/evaluations"), ""),
    "/api/v1/visits": (_made_by("visit", "/api/v1/visits"), ""),
    "/api/v1/visits/due": (_made_by("scheduled_visit", "/api/v1/visits/due"), ""),
    "/api/v1/places": (_new_place, ""),
    "/api/v1/projects": (_made_by("project", "/api/v1/projects"), ""),
    "/api/v1/places/nearest": (_new_place, "?lat=32.505&lng=120.405&include_closed=true"),
    "/api/v1/registry/changes": (_made_by("registry_change", "/api/v1/registry/changes"), ""),
    "/api/v1/patrols": (_made_by("patrol", "/api/v1/patrols"), ""),
    "/api/v1/party/orgs": (_made_by("party_org", "/api/v1/party/orgs"), ""),
    "/api/v1/party/alliances": (_made_by("party_alliance", "/api/v1/party/alliances"), ""),
    "/api/v1/assessment/schemes": (_made_by("assessment_scheme", "/api/v1/assessment/schemes"), ""),
    "/api/v1/assessment/scores": (_new_assessment_score, ""),
    "/api/v1/assessment/grades": (_made_by("assessment_post", "/api/v1/assessment/grades"), ""),
}


@pytest.mark.django_db
@pytest.mark.parametrize("path", list(GROWS))
@pytest.mark.parametrize("role", VIEWERS)
def test_twice_the_rows_cost_no_more_queries(world: World, path: str, role: str) -> None:
    make, query = GROWS[path]
    viewer = world.users[role]
    client = api_client(viewer)
    for _ in range(2):
        make(world, viewer)
    status, n = _count(client, path + query)
    assert status == 200
    for _ in range(2):
        make(world, viewer)
    status, n2 = _count(client, path + query)
    assert status == 200
    assert n2 == n, f"{path} as {role}: {n} queries for 2 rows, {n2} for 4 (N+1)"


def test_grows_table_covers_the_rows_made_in_the_matrix() -> None:
    """Every list the matrix makes rows for is also checked for N+1 here."""
    made = {p for p, c in LISTS.items() if isinstance(c, ListCase)} - {"/api/v1/areas"}
    assert made <= set(GROWS), made - set(GROWS)
