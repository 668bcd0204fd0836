"""The patrols API: start (idempotent, one running per worker), points in batches (idempotent, bounded),
``client:<client_id>`` refs, stop with the checklist, discoveries that become cases, scope (404), the log and
the figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.appeals.models import Appeal
from wangge.patrols import services
from wangge.patrols.models import Patrol, PatrolChecklistItem, PatrolDiscovery, PatrolPoint
from wangge.patrols.tests.factories import api_point, make_building, point
from wangge.testing import api_client, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def gw(tree: Any) -> Any:
    return make_user(Role.GRID_WORKER, tree.grid_a, username="gw_a", display_name="网格员甲")


def _start(client: Any, client_id: str = "p-1", **extra: Any) -> Any:
    return client.post("/api/v1/patrols", {"client_id": client_id, **extra}, content_type="application/json")


def test_start_twice_with_one_client_id_lands_once_and_a_second_patrol_is_409(tree, gw):
    c = api_client(gw)
    r1 = _start(c)
    assert r1.status_code == 201, r1.content
    body = r1.json()
    assert (body["area_code"], body["state"], body["worker_name"]) == (
        tree.grid_a.code,
        "running",
        "网格员甲",
    )
    assert [i["label"] for i in body["checklist_items"]][:4] == [
        "消防通道",
        "飞线充电",
        "垃圾堆放",
        "安全隐患",
    ]
    r2 = _start(c)
    assert (r2.status_code, r2.json()["id"]) == (200, body["id"])
    r3 = _start(c, "p-2")
    assert r3.status_code == 409
    assert r3.json()["patrol_id"] == body["id"]
    assert Patrol.objects.count() == 1


def test_start_refuses_a_grid_out_of_scope_naming_the_field(tree, gw):
    r = _start(api_client(gw), area=tree.grid_b.code)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "area"
    assert not Patrol.objects.exists()


def test_points_batch_lands_once_and_bad_points_write_nothing(tree, gw, settings):
    settings.WANGGE_PATROL_MAX_POINTS_PER_REQUEST = 5
    c = api_client(gw)
    pid = _start(c).json()["id"]
    t0 = timezone.now() - dt.timedelta(minutes=5)
    Patrol.objects.filter(pk=pid).update(started_at=t0)
    pts = [api_point(tree.grid_a, t0 + dt.timedelta(seconds=15 * i), east_m=10 * i) for i in range(4)]
    url = f"/api/v1/patrols/{pid}/points"
    r = c.post(url, {"points": pts}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json() | {} == {
        "patrol_id": pid,
        "accepted": 4,
        "duplicates": 0,
        "outside": 0,
        "good": 4,
        "buildings_passed": 0,
        "point_count": 4,
    }
    # The same batch again (an offline queue replaying it) plus one new point: only the new one lands.
    more = pts + [api_point(tree.grid_a, t0 + dt.timedelta(seconds=60))]
    r = c.post(url, {"points": more}, content_type="application/json")
    assert (r.json()["accepted"], r.json()["duplicates"], r.json()["point_count"]) == (1, 4, 5)
    # Over the batch limit: 422 naming the field; nothing written.
    six = [api_point(tree.grid_a, t0 + dt.timedelta(seconds=100 + i)) for i in range(6)]
    r = c.post(url, {"points": six}, content_type="application/json")
    assert r.status_code == 422
    assert r.json()["errors"][0] == {"field": "points", "message": "每次最多提交5个定位点"}
    # A latitude out of range: 422 naming the point's field.
    bad = [api_point(tree.grid_a, t0 + dt.timedelta(seconds=200)), {**pts[0], "lat": 95}]
    r = c.post(url, {"points": bad}, content_type="application/json")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "points.1.lat"
    # A point before the start is skipped and counted.
    r = c.post(
        url, {"points": [api_point(tree.grid_a, t0 - dt.timedelta(hours=1))]}, content_type="application/json"
    )
    assert (r.status_code, r.json()["outside"], r.json()["accepted"]) == (200, 1, 0)
    assert PatrolPoint.objects.filter(patrol_id=pid).count() == 5
    got = c.get(url).json()
    assert [p["recorded_at"][:19] for p in got] == [p["recorded_at"][:19] for p in more]


def test_client_ref_names_the_patrol_for_points_stop_and_discoveries(tree, gw):
    c = api_client(gw)
    pid = _start(c, "offline-7").json()["id"]
    t0 = Patrol.objects.get(pk=pid).started_at
    r = c.post(
        "/api/v1/patrols/client:offline-7/points",
        {"points": [api_point(tree.grid_a, t0 + dt.timedelta(seconds=5))]},
        content_type="application/json",
    )
    assert (r.status_code, r.json()["patrol_id"]) == (200, pid)
    assert c.get("/api/v1/patrols/client:offline-7").json()["id"] == pid
    # Another worker's client id resolves among their own patrols only: 404.
    other = make_user(Role.GRID_WORKER, tree.grid_a)
    assert api_client(other).get("/api/v1/patrols/client:offline-7").status_code == 404
    r = c.post(
        "/api/v1/patrols/client:offline-7/stop",
        {"checklist": {"fire_lane": "ok", "rubbish": "issue"}, "notes": "楼道堆物已提醒"},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert (r.json()["state"], r.json()["checklist"]) == ("done", {"fire_lane": "ok", "rubbish": "issue"})
    # A replayed stop changes nothing.
    ended = r.json()["ended_at"]
    r = c.post("/api/v1/patrols/client:offline-7/stop", {"notes": "x"}, content_type="application/json")
    assert (r.json()["ended_at"], r.json()["notes"]) == (ended, "楼道堆物已提醒")


def test_stop_refuses_an_unknown_checklist_item_and_writes_nothing(tree, gw):
    c = api_client(gw)
    pid = _start(c).json()["id"]
    r = c.post(f"/api/v1/patrols/{pid}/stop", {"checklist": {"nope": "ok"}}, content_type="application/json")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "checklist"
    r = c.post(
        f"/api/v1/patrols/{pid}/stop", {"checklist": {"fire_lane": "maybe"}}, content_type="application/json"
    )
    assert r.status_code == 422
    assert Patrol.objects.get(pk=pid).state == "running"


def test_a_grid_may_override_the_default_checklist(tree, gw):
    PatrolChecklistItem.objects.create(area=tree.grid_a, code="market", label="农贸市场秩序")
    body = _start(api_client(gw)).json()
    assert [i["code"] for i in body["checklist_items"]] == ["market"]


def test_a_discovery_becomes_a_patrol_case_linked_to_the_patrol_once(tree, gw):
    make_building(tree.grid_a, east_m=20)
    c = api_client(gw)
    pid = _start(c).json()["id"]
    lat, lng = (
        point(tree.grid_a, timezone.now(), east_m=10)["lat"],
        point(tree.grid_a, timezone.now(), east_m=10)["lng"],
    )
    body = {
        "client_id": "d-1",
        "category": "SQ1001",
        "description": "消防通道被电动车堵塞",
        "checklist_code": "fire_lane",
        "lat": lat,
        "lng": lng,
    }
    r = c.post(f"/api/v1/patrols/{pid}/discoveries", body, content_type="application/json")
    assert r.status_code == 201, r.content
    d = r.json()
    appeal = Appeal.objects.get(pk=d["appeal_id"])
    assert (appeal.channel, appeal.area_code, appeal.category.code) == ("patrol", tree.grid_a.code, "SQ1001")
    assert appeal.address.endswith("附近")  # the nearest building's address
    assert (d["category_name"], d["description"], d["checklist_code"]) == (
        "楼道堆物",
        "消防通道被电动车堵塞",
        "fire_lane",
    )
    r = c.post(f"/api/v1/patrols/{pid}/discoveries", body, content_type="application/json")
    assert (r.status_code, r.json()["appeal_id"]) == (200, appeal.pk)
    assert Appeal.objects.filter(channel="patrol").count() == 1
    assert PatrolDiscovery.objects.count() == 1
    detail = c.get(f"/api/v1/patrols/{pid}").json()
    assert [x["appeal_id"] for x in detail["discoveries"]] == [appeal.pk]


def test_a_discovery_without_description_is_422_naming_it_and_makes_no_case(tree, gw):
    c = api_client(gw)
    pid = _start(c).json()["id"]
    body = {"client_id": "d-2", "category": "SQ1001", "description": "  "}
    r = c.post(f"/api/v1/patrols/{pid}/discoveries", body, content_type="application/json")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "description"
    r = c.post(
        f"/api/v1/patrols/{pid}/discoveries",
        {"client_id": "d-3", "category": "ZZ9999", "description": "井盖缺失"},
        content_type="application/json",
    )
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "category")
    assert not Appeal.objects.exists() and not PatrolDiscovery.objects.exists()


def test_scope_out_of_area_is_404_and_only_the_worker_writes(tree, gw):
    pid = _start(api_client(gw)).json()["id"]
    outsider = make_user(Role.GRID_WORKER, tree.grid_b)
    oc = api_client(outsider)
    for path in (f"/api/v1/patrols/{pid}", f"/api/v1/patrols/{pid}/points"):
        assert oc.get(path).status_code == 404
    r = oc.post(f"/api/v1/patrols/{pid}/stop", {}, content_type="application/json")
    assert r.status_code == 404
    assert oc.get("/api/v1/patrols").json()["items"] == []
    # The community's staff see it, but only its worker records it.
    staff = api_client(make_user(Role.COMMUNITY_STAFF, tree.community))
    assert staff.get(f"/api/v1/patrols/{pid}").status_code == 200
    assert [p["id"] for p in staff.get("/api/v1/patrols").json()["items"]] == [pid]
    assert staff.post(f"/api/v1/patrols/{pid}/stop", {}, content_type="application/json").status_code == 403
    assert api_client(make_user(Role.RESIDENT)).get(f"/api/v1/patrols/{pid}").status_code == 403


def test_list_queries_do_not_grow_with_rows(tree, gw, django_assert_num_queries):
    c = api_client(gw)
    for n in (3, 6):
        for i in range(n - Patrol.objects.count()):
            p, _ = services.patrol_start(by=gw, client_id=f"l-{n}-{i}", area=tree.grid_a)
            services.patrol_stop(by=gw, patrol=p)
        c.get("/api/v1/patrols")  # warm the caches (scope)
        with django_assert_num_queries(3):  # the token's user, the count, the rows with their counts
            r = c.get("/api/v1/patrols")
        assert len(r.json()["items"]) == n


def test_the_clock_closes_patrols_left_running_at_their_last_point(tree, gw, settings):
    settings.WANGGE_PATROL_MAX_HOURS = 4
    from wangge.patrols import tasks

    now = timezone.now()
    old, _ = services.patrol_start(
        by=gw, client_id="old", area=tree.grid_a, started_at=now - dt.timedelta(hours=5)
    )
    services.patrol_points_add(
        by=gw, patrol=old, points=[point(tree.grid_a, now - dt.timedelta(hours=4, minutes=20))]
    )
    assert tasks.tick(now) == {"closed": 1}
    old.refresh_from_db()
    assert (old.state, old.auto_closed) == ("done", True)
    assert old.ended_at == (now - dt.timedelta(hours=4, minutes=20)).replace(
        microsecond=(now.microsecond // 1000) * 1000
    )
    fresh, _ = services.patrol_start(by=gw, client_id="fresh", area=tree.grid_a)
    assert tasks.tick(now) == {"closed": 0}
    fresh.refresh_from_db()
    assert fresh.state == "running"
