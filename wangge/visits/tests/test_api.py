"""The API: POST/GET visits, the due list (nearest first, query count), cancel, and the figures
(MUST-SHOW: a hand-computed scenario)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.testing import api_client, make_user
from wangge.visits import rollup, tasks
from wangge.visits.models import ScheduledVisit, Visit
from wangge.visits.tests.factories import make_household, offset


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def gw(tree):
    return make_user(Role.GRID_WORKER, tree.grid_a)


@pytest.mark.django_db
def test_post_visit_twice_with_one_client_id_lands_once(tree, gw):
    h = make_household(tree.grid_a, tags=("elderly_alone",))
    c = api_client(gw)
    body = {
        "household_id": h.pk,
        "client_id": "offline-7",
        "kind": "care",
        "checklist": {"elderly_food": "ok"},
    }
    r1 = _post(c, "/api/v1/visits", body)
    r2 = _post(c, "/api/v1/visits", body)
    assert (r1.status_code, r2.status_code) == (201, 200)
    assert r1.json()["id"] == r2.json()["id"] and Visit.objects.count() == 1
    assert r1.json()["checklist"] == {"elderly_food": "ok"} and r1.json()["verified"] is False
    listed = c.get(f"/api/v1/visits?household={h.pk}").json()
    assert [v["id"] for v in listed["items"]] == [r1.json()["id"]]
    assert c.get(f"/api/v1/visits/{r1.json()['id']}").status_code == 200


@pytest.mark.django_db
def test_post_visit_errors_have_one_shape_and_out_of_scope_is_404(tree, gw):
    c = api_client(gw)
    h = make_household(tree.grid_a)
    r = _post(c, "/api/v1/visits", {"household_id": h.pk, "client_id": "x", "duration_minutes": 0})
    assert r.status_code == 422 and r.json()["errors"] == [
        {"field": "duration_minutes", "message": "时长须在1到1440分钟之间"}
    ]
    other = make_household(tree.grid_c)
    assert _post(c, "/api/v1/visits", {"household_id": other.pk, "client_id": "y"}).status_code == 404
    theirs = make_user(Role.GRID_WORKER, tree.grid_c)
    v = _post(api_client(theirs), "/api/v1/visits", {"household_id": other.pk, "client_id": "z"}).json()
    assert c.get(f"/api/v1/visits/{v['id']}").status_code == 404
    assert c.get("/api/v1/visits").json()["count"] == 0
    assert Visit.objects.count() == 1


@pytest.mark.django_db
def test_due_list_is_nearest_first_with_a_location_and_its_queries_do_not_grow(
    tree, gw, django_assert_num_queries
):
    lat0, lng0 = tree.grid_a.center_lat, tree.grid_a.center_lng
    far = make_household(tree.grid_a, lat=offset(lat0, lng0, north_m=400)[0], lng=lng0)
    near = make_household(tree.grid_a, lat=offset(lat0, lng0, north_m=50)[0], lng=lng0)
    mid = make_household(tree.grid_a, lat=offset(lat0, lng0, north_m=200)[0], lng=lng0)
    make_household(tree.grid_b)  # not the viewer's
    tasks.tick(timezone.now())
    c = api_client(gw)
    rows = c.get(f"/api/v1/visits/due?lat={lat0}&lng={lng0}").json()
    assert [r["household_id"] for r in rows] == [near.pk, mid.pk, far.pk]
    assert [round(r["distance_m"], -1) for r in rows] == [50, 200, 400]
    # Without a location: by due date (all today here), then id.
    assert [r["household_id"] for r in c.get("/api/v1/visits/due").json()] == [far.pk, near.pk, mid.pk]

    from wangge.visits import selectors

    for _ in range(20):
        make_household(tree.grid_a)
    tasks.tick(timezone.now())
    gw.refresh_from_db()
    with django_assert_num_queries(2):  # the viewer's posts (scope), the due rows with their buildings
        rows = selectors.due_list(viewer=gw, lat=lat0, lng=lng0)
    assert len(rows) == 23


@pytest.mark.django_db
def test_cancel_a_pending_visit_over_the_api(tree, gw):
    h = make_household(tree.grid_a, tags=("elderly_alone",))
    tasks.tick(timezone.now())
    pending = ScheduledVisit.objects.get(household=h, state="ready")
    c = api_client(gw)
    r = _post(c, f"/api/v1/visits/{pending.pk}/cancel", {"reason": "sleeping"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    r = _post(c, f"/api/v1/visits/{pending.pk}/cancel", {"reason": "moved_out", "note": "已搬去女儿家"})
    assert r.status_code == 200 and (r.json()["state"], r.json()["cancel_reason"]) == (
        "cancelled",
        "moved_out",
    )
    assert not ScheduledVisit.objects.filter(household=h, state="ready").exists()
    assert (
        _post(c, f"/api/v1/visits/{pending.pk}/cancel", {"reason": "other", "note": "x"}).status_code == 409
    )
    stranger = make_user(Role.GRID_WORKER, tree.grid_c)
    assert (
        _post(api_client(stranger), f"/api/v1/visits/{pending.pk}/cancel", {"reason": "other"}).status_code
        == 404
    )


def _period(h, due, state, *, completed_on=None, special=False):
    return ScheduledVisit.objects.create(
        household=h,
        area_code=h.house.building.area.code,
        due_on=due,
        closes_on=due + dt.timedelta(days=3),
        every_days=7 if special else 90,
        special=special,
        state=state,
        completed_on=completed_on,
        cancel_reason="in_hospital" if state == "cancelled" else "",
    )


@pytest.mark.django_db
def test_metrics_give_the_hand_computed_completion_figures(tree):
    """November 2026. grid_a (worker A): h1 special weekly — due 11-02 done 11-02 (on time), due 11-09 done
    11-11 (late), due 11-16 missed; h2 — due 11-05 done 11-05, due 11-06 cancelled (not counted), due 10-01
    done (outside the range). grid_b (worker B): h3 due 11-03 missed; h4 due 11-10 still open. grid_c (other
    community, no worker): h5 special due 11-04 done 11-04.

    Street: due 7, completed 4 → 4/7; missed 2; open 1; special due 4, on time 2 → 0.5.
    Community 东园: due 6, completed 3 → 0.5; 西园: 1/1. Worker A 3/4 = 0.75; worker B 0/2 = 0."""
    d = dt.date
    h1 = make_household(tree.grid_a)
    h2 = make_household(tree.grid_a)
    h3 = make_household(tree.grid_b)
    h4 = make_household(tree.grid_b)
    h5 = make_household(tree.grid_c)
    _period(h1, d(2026, 11, 2), "completed", completed_on=d(2026, 11, 2), special=True)
    _period(h1, d(2026, 11, 9), "completed", completed_on=d(2026, 11, 11), special=True)
    _period(h1, d(2026, 11, 16), "missed", special=True)
    _period(h2, d(2026, 11, 5), "completed", completed_on=d(2026, 11, 5))
    _period(h2, d(2026, 11, 6), "cancelled")
    _period(h2, d(2026, 10, 1), "completed", completed_on=d(2026, 10, 1))
    _period(h3, d(2026, 11, 3), "missed")
    _period(h4, d(2026, 11, 10), "ready")
    _period(h5, d(2026, 11, 4), "completed", completed_on=d(2026, 11, 4), special=True)
    # The periods were written straight into the table (no service): the figures rollup is rebuilt from them.
    rollup.rebuild()
    a = make_user(Role.GRID_WORKER, tree.grid_a, display_name="网格员甲")
    b = make_user(Role.GRID_WORKER, tree.grid_b, display_name="网格员乙")
    street = make_user(Role.STREET_STAFF, tree.street)

    r = api_client(street).get("/api/v1/metrics/visits?area=320621001&from=2026-11-01&to=2026-11-30")
    assert r.status_code == 200, r.content
    m = r.json()
    assert (m["from"], m["to"], m["area"]["code"]) == ("2026-11-01", "2026-11-30", "320621001")
    assert m["total"] == {
        "due": 7,
        "completed": 4,
        "missed": 2,
        "open": 1,
        "completion": round(4 / 7, 4),
        "special_due": 4,
        "special_on_time": 2,
        "special_on_time_rate": 0.5,
    }
    assert [(x["code"], x["due"], x["completed"], x["completion"]) for x in m["by_area"]] == [
        ("320621001001", 6, 3, 0.5),
        ("320621001002", 1, 1, 1.0),
    ]
    assert [(x["name"], x["due"], x["completed"], x["completion"]) for x in m["by_worker"]] == [
        ("网格员甲", 4, 3, 0.75),
        ("网格员乙", 2, 0, 0.0),
    ]
    # One level down: the community's grids.
    m = (
        api_client(street)
        .get("/api/v1/metrics/visits?area=320621001001&from=2026-11-01&to=2026-11-30")
        .json()
    )
    assert [(x["code"], x["due"], x["completed"], x["missed"]) for x in m["by_area"]] == [
        ("320621001001001", 4, 3, 1),
        ("320621001001002", 2, 0, 1),
    ]
    # Out of scope, unknown area, reversed dates: 422 naming the field.
    ra = api_client(a).get("/api/v1/metrics/visits?area=320621001&from=2026-11-01&to=2026-11-30")
    assert ra.status_code == 422 and ra.json()["errors"][0]["field"] == "area"
    assert api_client(street).get("/api/v1/metrics/visits?area=320621001999").status_code == 422
    rr = api_client(street).get("/api/v1/metrics/visits?area=320621001&from=2026-11-30&to=2026-11-01")
    assert rr.status_code == 422 and rr.json()["errors"][0]["field"] == "from"
    assert api_client(make_user(Role.RESIDENT)).get("/api/v1/metrics/visits").status_code == 403
    # A grid worker's default area is their own grid.
    assert (
        api_client(b).get("/api/v1/metrics/visits?from=2026-11-01&to=2026-11-30").json()["total"]["due"] == 2
    )
