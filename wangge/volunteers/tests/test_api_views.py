from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from wangge.accounts.models import Unit
from wangge.accounts.roles import Role
from wangge.testing import api_client, make_user
from wangge.volunteers import services
from wangge.volunteers.models import Activity, Signup

from .helpers import make_activity, quick_user

pytestmark = pytest.mark.django_db


def _payload(tree, **kw):  # type: ignore[no-untyped-def]
    start = timezone.now() + dt.timedelta(days=1)
    return {
        "title": "敬老院清洁",
        "description": "打扫卫生",
        "area": tree.community.code,
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=3)).isoformat(),
        "capacity": 1,
        **kw,
    }


def test_api_create_sign_up_waitlist_and_list(tree) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    r = api_client(staff).post(
        "/api/v1/activities", _payload(tree, lat=32.505, lng=120.405), content_type="application/json"
    )
    assert r.status_code == 201, r.content
    aid = r.json()["id"]
    assert r.json()["checkin_code"]
    v1, v2 = api_client(quick_user()), api_client(quick_user())
    r1 = v1.post(f"/api/v1/activities/{aid}/signups")
    r2 = v2.post(f"/api/v1/activities/{aid}/signups")
    assert (r1.status_code, r1.json()["status"]) == (201, "confirmed")
    assert (r2.status_code, r2.json()["status"]) == (201, "waitlisted")
    assert v2.post(f"/api/v1/activities/{aid}/signups").status_code == 200
    listed = api_client(staff).get(f"/api/v1/activities/{aid}/signups").json()
    assert [s["status"] for s in listed] == ["confirmed", "waitlisted"]
    assert len(v1.get(f"/api/v1/activities/{aid}/signups").json()) == 1
    near = v1.get("/api/v1/activities?lat=32.505&lng=120.405").json()
    assert near[0]["id"] == aid and near[0]["distance_m"] == 0 and near[0]["checkin_code"] is None


def test_api_bad_input_is_422_and_writes_nothing(tree) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    c = api_client(staff)
    bad = _payload(tree)
    bad["ends_at"] = bad["starts_at"]
    r = c.post("/api/v1/activities", bad, content_type="application/json")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "ends_at"
    r = c.post("/api/v1/activities", _payload(tree, area="999999"), content_type="application/json")
    assert r.status_code == 422
    assert Activity.objects.count() == 0
    vol = api_client(quick_user())
    assert vol.post("/api/v1/activities", _payload(tree), content_type="application/json").status_code == 403


def test_api_checkin_checkout_approve_rate_points(tree) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    a = make_activity(tree.community, by=staff, starts_in_h=0.25, hours=1)
    user = quick_user()
    vol = api_client(user)
    vol.post(f"/api/v1/activities/{a.pk}/signups")
    r = vol.post(f"/api/v1/activities/{a.pk}/checkin", {"code": "x"}, content_type="application/json")
    assert r.status_code == 422
    r = vol.post(
        f"/api/v1/activities/{a.pk}/checkin", {"code": a.checkin_code}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["status"] == "checked_in"
    s = Signup.objects.get(activity=a)
    # Pretend they arrived at the start and the organiser checks everyone out at the end.
    Signup.objects.filter(pk=s.pk).update(checked_in_at=a.starts_at)
    services.activity_bulk_check_out(activity_id=a.pk, by=staff, at=a.ends_at)
    org = api_client(staff)
    r = org.post(
        f"/api/v1/activities/{a.pk}/ratings", {"signup_id": s.pk, "score": 3}, content_type="application/json"
    )
    assert r.status_code == 201 and r.json()["on_behalf"] is True
    assert (
        org.post(f"/api/v1/signups/{s.pk}/approve", {}, content_type="application/json").json()[
            "points_awarded"
        ]
        == 10
    )
    assert vol.get("/api/v1/points/balance").json()["balance"] == 10
    assert vol.get("/api/v1/points/entries").json()[0]["source_key"] == f"signup:{s.pk}"
    assert len(org.get(f"/api/v1/activities/{a.pk}/ratings").json()) == 1


def test_api_members_units_and_rewards(tree) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    unit = Unit.objects.create(name="区供电公司", kind=Unit.Kind.CO_BUILDING)
    user = quick_user()
    c = api_client(user)
    r = c.put(
        "/api/v1/members/me",
        {
            "kind": "in_service_party",
            "skills": ["急救"],
            "home_community": tree.community.code,
            "unit_id": unit.pk,
        },
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["unit"] == "区供电公司"
    assert (
        c.post(
            "/api/v1/members/me/report", {"community": tree.community.code}, content_type="application/json"
        ).status_code
        == 201
    )
    s = api_client(staff)
    assert [m["user_id"] for m in s.get("/api/v1/members").json()] == [user.pk]
    assert [m["user_id"] for m in c.get("/api/v1/members").json()] == [user.pk]
    r = s.post(
        "/api/v1/units/agreements",
        {"unit_id": unit.pk, "community": tree.community.code, "people": 5},
        content_type="application/json",
    )
    assert r.status_code == 201
    assert s.get("/api/v1/units").json()[0]["agreement_count"] == 1
    r = s.post(
        "/api/v1/rewards",
        {"name": "雨伞", "price": 10, "stock": 1, "area": tree.community.code},
        content_type="application/json",
    )
    assert r.status_code == 201
    rid = r.json()["id"]
    assert (
        c.post(f"/api/v1/rewards/{rid}/redeem", {}, content_type="application/json").status_code == 409
    )  # no points
    assert c.get("/api/v1/rewards").json()[0]["stock"] == 1


def test_pages_member_and_staff(tree) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    a = make_activity(tree.community, by=staff, capacity=2)
    vol = quick_user()
    c = Client()
    c.force_login(vol)
    page = c.get("/volunteers/")
    assert page.status_code == 200 and a.title in page.content.decode()
    assert c.post(f"/volunteers/tasks/{a.pk}/signup/").status_code == 302
    assert Signup.objects.get(activity=a).status == "confirmed"
    for url in [
        "/volunteers/mine/",
        "/volunteers/checkin/",
        "/volunteers/profile/",
        "/points/",
        f"/volunteers/tasks/{a.pk}/",
    ]:
        assert c.get(url).status_code == 200, url
    assert c.get(f"/volunteers/manage/{a.pk}/").status_code == 403
    s = Client()
    s.force_login(staff)
    for url in [
        "/volunteers/manage/",
        "/volunteers/manage/new/",
        "/volunteers/units/",
        "/volunteers/figures/",
        "/points/manage/",
    ]:
        assert s.get(url).status_code == 200, url
    run = s.get(f"/volunteers/manage/{a.pk}/").content.decode()
    assert a.checkin_code in run
    start = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    end = (timezone.localtime() + dt.timedelta(days=2, hours=2)).strftime("%Y-%m-%dT%H:%M")
    r = s.post(
        "/volunteers/manage/new/",
        {
            "title": "植树",
            "area": tree.grid_a.code,
            "starts_at": start,
            "ends_at": end,
            "capacity": 5,
            "visibility": "public",
        },
    )
    assert r.status_code == 302 and Activity.objects.filter(title="植树").exists()


def test_api_posts_and_micro_projects(tree) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    s = api_client(staff)
    r = s.post(
        "/api/v1/service-posts",
        {"community": tree.community.code, "title": "楼道长助理", "places": 1},
        content_type="application/json",
    )
    assert r.status_code == 201
    pid = r.json()["id"]
    a, b = api_client(quick_user()), api_client(quick_user())
    assert a.post(f"/api/v1/service-posts/{pid}/claim").json()["claimed_count"] == 1
    assert b.post(f"/api/v1/service-posts/{pid}/claim").status_code == 409
    r = a.post(
        "/api/v1/micro-projects",
        {"title": "义务理发", "community": tree.community.code},
        content_type="application/json",
    )
    assert r.status_code == 201
    resident = api_client(quick_user(Role.RESIDENT))
    when = (timezone.now() + dt.timedelta(days=2)).isoformat()
    r = resident.post(
        f"/api/v1/micro-projects/{r.json()['id']}/bookings",
        {"wanted_at": when},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["status"] == "requested"
    bid = r.json()["id"]
    assert resident.post(f"/api/v1/bookings/{bid}/done").status_code == 403
    assert a.post(f"/api/v1/bookings/{bid}/accept").json()["status"] == "accepted"
    res = a.post(f"/api/v1/bookings/{bid}/complete", {"hours": 9}, content_type="application/json")
    assert res.status_code == 422  # more than a day's service
    res = a.post(f"/api/v1/bookings/{bid}/complete", {"hours": 1.5}, content_type="application/json")
    assert res.json()["status"] == "done" and res.json()["hours"] == 1.5
    assert a.get("/api/v1/points/balance").json()["balance"] == 0  # paid when the resident rates
    rate = {"score": 4, "comment": "很耐心"}
    assert a.post(f"/api/v1/bookings/{bid}/rate", rate, content_type="application/json").status_code == 403
    res = resident.post(f"/api/v1/bookings/{bid}/rate", {"score": 0}, content_type="application/json")
    assert res.status_code == 422
    res = resident.post(f"/api/v1/bookings/{bid}/rate", rate, content_type="application/json")
    assert res.status_code == 200 and res.json()["score"] == 4
    # 10 points an hour × 1.5 hours × 1.1 (four stars) = 16.5 → 17 (the ledger rounds half up)
    assert res.json()["points_awarded"] == 17 == a.get("/api/v1/points/balance").json()["balance"]
    assert (
        resident.post(f"/api/v1/bookings/{bid}/rate", rate, content_type="application/json").status_code
        == 409
    )


def test_tasks_page_query_count_does_not_grow_with_tasks(tree, django_assert_max_num_queries) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    vol = quick_user()
    for _ in range(3):
        a = make_activity(tree.community, by=staff)
        services.signup_create(activity_id=a.pk, user=vol)
    c = Client()
    c.force_login(vol)
    c.get("/volunteers/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        c.get("/volunteers/")
    for _ in range(6):
        make_activity(tree.grid_b, by=staff)
    with django_assert_max_num_queries(len(few)):
        assert c.get("/volunteers/").status_code == 200


def test_api_cancellation_promotes_and_task_cancel_notifies_everyone(tree) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    a = make_activity(tree.community, by=staff, capacity=1)
    u1, u2 = quick_user(), quick_user()
    c1, c2 = api_client(u1), api_client(u2)
    sid = c1.post(f"/api/v1/activities/{a.pk}/signups").json()["id"]
    sid2 = c2.post(f"/api/v1/activities/{a.pk}/signups").json()["id"]
    assert (
        c1.post(f"/api/v1/signups/{sid}/cancel", {"reason": ""}, content_type="application/json").status_code
        == 422
    )
    assert (
        c2.post(f"/api/v1/signups/{sid}/cancel", {"reason": "x"}, content_type="application/json").status_code
        == 404
    )
    r = c1.post(f"/api/v1/signups/{sid}/cancel", {"reason": "加班"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert c2.post(f"/api/v1/signups/{sid2}/accept").json()["status"] == "confirmed"
    r = api_client(staff).post(
        f"/api/v1/activities/{a.pk}/cancel", {"reason": "暴雨"}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert Signup.objects.get(pk=sid2).status == "cancelled"
    assert c2.post(f"/api/v1/activities/{a.pk}/signups").status_code == 409
