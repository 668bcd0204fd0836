"""Places: opening hours on the working calendar, the nearest open place and the 5-minute-circle coverage,
all hand-computed; service requests become cases of kind service; scope and bad input."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from wangge.accounts.roles import Role
from wangge.appeals.models import Appeal
from wangge.places import geo, selectors
from wangge.places.models import Place, PlaceService
from wangge.registry.models import Building
from wangge.testing import Tree, api_client, make_tree, make_user
from wangge.visits.tests.factories import make_household
from wangge.workdays.calendar import Calendar

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
OFFICE = {str(d): [["08:30", "12:00"], ["13:30", "17:30"]] for d in range(5)}
ALWAYS = {str(d): [["00:00", "24:00"]] for d in range(7)}
# 1/1000 of a degree of latitude on this sphere: 2πR/360/1000 metres.
M_PER_MILLIDEG = 2 * 3.141592653589793 * geo.EARTH_M / 360 / 1000  # 111.195 m


def _place(area: Any, lat: float, lng: float, *, hours: Any = None, kind: str = "post", **kw: Any) -> Place:
    return Place.objects.create(
        name=kw.pop("name", f"驿站{lat:.4f}"), kind=kind, area=area, lat=lat, lng=lng,
        hours=ALWAYS if hours is None else hours, **kw,
    )  # fmt: skip


def _cal() -> Calendar:
    # 2026-10-01 (Thursday) a statutory holiday; Saturday 2026-10-10 a make-up working day (调休上班).
    return Calendar.build(
        overrides={dt.date(2026, 10, 1): False, dt.date(2026, 10, 10): True},
        extra_years=[2026],
        use_package=False,
    )


def _at(y: int, m: int, d: int, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=TZ)


def test_opening_hours_follow_the_working_calendar() -> None:
    tree = make_tree()
    p = _place(
        tree.grid_a,
        32.505,
        120.405,
        hours=OFFICE | {"5": [["09:00", "12:00"]]},
        holiday_hours=[["09:00", "11:00"]],
    )
    cal = _cal()
    assert selectors.is_open(p, _at(2026, 9, 30, 10), cal)  # a Wednesday morning
    assert not selectors.is_open(p, _at(2026, 9, 30, 12, 30), cal)  # lunch
    assert selectors.next_opening(p, _at(2026, 9, 30, 12, 30), cal) == _at(2026, 9, 30, 13, 30)
    assert not selectors.is_open(p, _at(2026, 10, 1, 14), cal)  # the holiday keeps holiday hours 09–11
    assert selectors.is_open(p, _at(2026, 10, 1, 10), cal)
    assert selectors.is_open(p, _at(2026, 10, 3, 10), cal)  # a plain Saturday: Saturday's hours
    assert not selectors.is_open(p, _at(2026, 10, 3, 15), cal)
    assert selectors.is_open(p, _at(2026, 10, 10, 15), cal)  # 调休 Saturday works Monday's hours
    assert not selectors.is_open(p, _at(2026, 10, 4, 10), cal)  # Sunday: closed
    assert selectors.next_opening(p, _at(2026, 10, 4, 10), cal) == _at(2026, 10, 5, 8, 30)


def test_walking_distance_and_the_circle_by_hand(settings: Any) -> None:
    settings.WANGGE_PLACES_DETOUR_FACTOR = 1.3
    settings.WANGGE_PLACES_CIRCLE_MINUTES = 5
    settings.WANGGE_PLACES_WALK_M_PER_MIN = 80
    assert geo.circle_walk_m() == 400
    assert geo.circle_radius_m() == pytest.approx(400 / 1.3)
    # Two points 0.002° of latitude apart: 222.39 m straight, 289.11 m on foot.
    assert geo.straight_m(32.5, 120.4, 32.502, 120.4) == pytest.approx(2 * M_PER_MILLIDEG, abs=0.01)
    assert geo.walking_m(32.5, 120.4, 32.502, 120.4) == pytest.approx(2 * M_PER_MILLIDEG * 1.3, abs=0.01)


def test_nearest_open_places_by_hand(monkeypatch: Any) -> None:
    tree = make_tree()
    resident = make_user(Role.RESIDENT)
    lat, lng = 32.505, 120.405
    a = _place(tree.grid_a, lat + 0.001, lng, name="甲")  # 111.2 m → 144.6 m on foot, open
    _place(tree.grid_a, lat + 0.0005, lng, name="乙", hours={})  # nearer but never open
    c = _place(tree.grid_b, lat - 0.002, lng, name="丙")  # 222.4 m → 289.1 m, open
    d = _place(tree.grid_c, lat + 0.003, lng, name="丁")  # 333.6 m → 433.7 m: open but outside the circle
    _place(tree.grid_a, lat + 0.05, lng, name="戊")  # 5.6 km: beyond the search radius
    _place(tree.grid_a, lat + 0.0002, lng, name="己", active=False)  # closed down
    found = selectors.nearest(resident, lat, lng, at=_at(2026, 9, 30, 10))
    assert [n.place.name for n in found] == ["甲", "丙", "丁"]
    assert [round(n.walking_m, 1) for n in found] == [
        round(1 * M_PER_MILLIDEG * 1.3, 1), round(2 * M_PER_MILLIDEG * 1.3, 1), round(3 * M_PER_MILLIDEG * 1.3, 1)
    ]  # fmt: skip
    assert [n.in_circle for n in found] == [True, True, False]
    assert [n.place.pk for n in selectors.nearest(resident, lat, lng, limit=2)] == [a.pk, c.pk]
    everything = selectors.nearest(resident, lat, lng, open_only=False)
    assert [n.place.name for n in everything] == ["乙", "甲", "丙", "丁"]
    assert d.pk in [n.place.pk for n in everything]


def test_nearest_over_the_api_filters_by_service() -> None:
    tree = make_tree()
    lat, lng = 32.505, 120.405
    far = _place(tree.grid_a, lat + 0.002, lng, name="有充电")
    far.services.set(PlaceService.objects.filter(code="charging"))
    _place(tree.grid_a, lat + 0.001, lng, name="无充电")
    client = api_client(make_user(Role.VOLUNTEER))
    res = client.get(
        "/api/v1/places/nearest", {"lat": lat, "lng": lng, "service": "charging", "include_closed": True}
    )
    assert res.status_code == 200, res.content
    body = res.json()
    assert [p["name"] for p in body] == ["有充电"]
    assert body[0]["walking_m"] == round(2 * M_PER_MILLIDEG * 1.3) and body[0]["in_circle"] is True
    bad = client.get("/api/v1/places/nearest", {"lat": 95, "lng": lng})
    assert bad.status_code in (400, 422) and "lat" in bad.content.decode()


def _building(tree: Tree, lat: float, lng: float, n: int) -> Building:
    return Building.objects.create(
        area=tree.grid_a, name=f"{n}号楼", address=f"东园路{n}号", lat=lat, lng=lng
    )


def test_coverage_per_grid_by_hand(settings: Any) -> None:
    settings.WANGGE_MAP_SUPPRESS_BELOW = 1
    tree = make_tree()
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    lat, lng = 32.505, 120.405
    _place(tree.grid_b, lat, lng)  # a neighbouring grid's place covers grid_a's buildings too
    near = _building(tree, lat + 0.001, lng, 1)  # 144.6 m on foot: inside
    edge = _building(tree, lat + 0.0025, lng, 2)  # 361.4 m: inside
    out = _building(tree, lat + 0.003, lng, 3)  # 433.7 m: outside
    make_household(tree.grid_a, building=near, tags=("low_income",))  # special, covered
    make_household(tree.grid_a, building=near)
    make_household(tree.grid_a, building=edge)
    make_household(tree.grid_a, building=out, resident_tags=("elderly_alone",))  # special, not covered
    gone = make_household(tree.grid_a, building=edge, tags=("low_income",))
    gone.active = False
    gone.save()
    rows = {r.grid.code: r for r in selectors.coverage(staff, tree.community)}
    a = rows[tree.grid_a.code]
    assert (a.households, a.covered, a.special, a.special_covered) == (4, 3, 2, 1)
    assert a.rate == 0.75 and a.special_rate == 0.5
    assert rows[tree.grid_b.code].households == 0 and rows[tree.grid_b.code].rate is None
    assert tree.grid_c.code not in rows  # another community's grid
    res = api_client(staff).get("/api/v1/places/coverage", {"area": tree.community.code})
    assert res.status_code == 200, res.content
    grid_a = next(g for g in res.json()["grids"] if g["grid_code"] == tree.grid_a.code)
    assert grid_a == {
        "grid_code": tree.grid_a.code, "grid_name": tree.grid_a.name, "households": 4, "covered": 3, "rate": 0.75,
        "special": 2, "special_covered": 1, "special_rate": 0.5,
    }  # fmt: skip


def test_coverage_withholds_small_special_counts(settings: Any) -> None:
    settings.WANGGE_MAP_SUPPRESS_BELOW = 5
    tree = make_tree()
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    make_household(tree.grid_a, tags=("low_income",))
    res = api_client(staff).get("/api/v1/places/coverage", {"area": tree.community.code})
    grid_a = next(g for g in res.json()["grids"] if g["grid_code"] == tree.grid_a.code)
    assert grid_a["special"] is None and grid_a["special_covered"] is None and grid_a["special_rate"] is None
    assert grid_a["households"] == 1


def test_coverage_of_an_area_out_of_scope_is_not_found() -> None:
    tree = make_tree()
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    res = api_client(staff).get("/api/v1/places/coverage", {"area": tree.other_community.code})
    assert res.status_code == 404


def test_a_service_request_at_a_place_is_a_service_case_there() -> None:
    tree = make_tree()
    lat, lng = Tree.point_in(tree.grid_a)
    place = _place(tree.grid_a, lat, lng, kind="party_station")
    place.services.set(PlaceService.objects.filter(code__in=["dibao_cert", "water"]))
    make_user(Role.GRID_WORKER, tree.grid_a)
    resident = make_user(Role.RESIDENT)
    client = api_client(resident)
    url = f"/api/v1/places/{place.pk}/requests"
    res = client.post(url, json.dumps({"service": "dibao_cert", "description": "母亲行动不便，请代办低保年审证明"}),
                      content_type="application/json")  # fmt: skip
    assert res.status_code == 201, res.content
    appeal = Appeal.objects.get(pk=res.json()["appeal_id"])
    assert appeal.kind == Appeal.Kind.SERVICE and appeal.category.code == "FW0101"
    assert appeal.grid_id == tree.grid_a.pk and appeal.place_request.place_id == place.pk
    assert "低保证明代办" in appeal.description
    # An amenity is not an errand; an empty description names its field; nothing is written.
    before = Appeal.objects.count()
    water = client.post(
        url, json.dumps({"service": "water", "description": "要喝水"}), content_type="application/json"
    )
    assert water.status_code == 422 and water.json()["errors"][0]["field"] == "service"
    empty = client.post(
        url, json.dumps({"service": "dibao_cert", "description": "  "}), content_type="application/json"
    )
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "description"
    assert Appeal.objects.count() == before


def test_staff_create_and_edit_places_in_scope_only() -> None:
    tree = make_tree()
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    client = api_client(staff)
    body = {"area": tree.grid_a.code, "name": "东园驿站", "kind": "post", "lat": 32.505, "lng": 120.405,
            "hours": {"0": [["08:00", "18:00"]]}, "services": ["water", "charging"]}  # fmt: skip
    res = client.post("/api/v1/places", json.dumps(body), content_type="application/json")
    assert res.status_code == 201, res.content
    assert {s["code"] for s in res.json()["services"]} == {"water", "charging"}
    pk = res.json()["id"]
    bad_hours = client.patch(f"/api/v1/places/{pk}", json.dumps({"hours": {"0": [["18:00", "08:00"]]}}),
                             content_type="application/json")  # fmt: skip
    assert bad_hours.status_code == 422 and bad_hours.json()["errors"][0]["field"] == "hours"
    outside = client.post(
        "/api/v1/places", json.dumps(body | {"area": tree.grid_c.code}), content_type="application/json"
    )
    assert outside.status_code == 404
    assert Place.objects.count() == 1
    # A resident may read it (public information) but not edit it.
    other = api_client(make_user(Role.RESIDENT))
    assert other.get(f"/api/v1/places/{pk}").status_code == 200
    assert (
        other.patch(
            f"/api/v1/places/{pk}", json.dumps({"name": "x"}), content_type="application/json"
        ).status_code
        == 403
    )


def test_an_inactive_place_is_seen_by_its_staff_only() -> None:
    tree = make_tree()
    p = _place(tree.grid_a, 32.505, 120.405, active=False)
    assert api_client(make_user(Role.RESIDENT)).get(f"/api/v1/places/{p.pk}").status_code == 404
    other_staff = make_user(Role.COMMUNITY_STAFF, tree.other_community)
    assert api_client(other_staff).get(f"/api/v1/places/{p.pk}").status_code == 404
    own = make_user(Role.COMMUNITY_STAFF, tree.community)
    assert api_client(own).get(f"/api/v1/places/{p.pk}").status_code == 200


def test_the_pages_render_and_a_bad_request_shows_its_message() -> None:
    from django.test import Client

    tree = make_tree()
    lat, lng = Tree.point_in(tree.grid_a)
    place = _place(tree.grid_a, lat, lng, kind="party_station")
    place.services.set(PlaceService.objects.filter(code__in=["dibao_cert"]))
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    c = Client()
    c.force_login(staff)
    assert c.get("/places/").status_code == 200
    assert c.get("/places/coverage/").status_code == 200
    page = c.post(f"/places/{place.pk}/", {"service": "dibao_cert", "description": ""})
    assert page.status_code == 422
    assert "这个字段是必填项" in page.content.decode() or "This field is required" in page.content.decode()
