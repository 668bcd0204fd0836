"""Issue 7 for mobilisation: a member's unit is confirmed by the unit or the community (not self-declared),
a member who reported to a community (双报到) may join its community tasks, out of scope = 404, and bad input
is a 4xx naming the field, never a server error."""

from __future__ import annotations

import pytest

from wangge.accounts.models import Unit
from wangge.accounts.roles import Role
from wangge.testing import api_client, make_user
from wangge.volunteers.models import Activity, Member, Signup

from .helpers import make_activity, quick_user

pytestmark = pytest.mark.django_db
J = "application/json"


def _me(user) -> dict:
    return api_client(user).get("/api/v1/members/me").json()


def test_a_self_declared_unit_does_not_open_unit_tasks_until_confirmed(tree) -> None:
    bank = Unit.objects.create(name="海安农商银行", kind=Unit.Kind.CO_BUILDING)
    other = Unit.objects.create(name="某公司", kind=Unit.Kind.CO_BUILDING)
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    task = make_activity(tree.community, by=staff, visibility=Activity.Visibility.UNIT, organiser_unit=bank)
    v = quick_user()
    c = api_client(v)
    assert c.put("/api/v1/members/me", {"unit_id": bank.pk}, content_type=J).json()["unit_confirmed"] is False
    assert c.post(f"/api/v1/activities/{task.pk}/signups").status_code == 404
    assert task.pk not in [a["id"] for a in c.get(f"/api/v1/activities?area={tree.community.code}").json()]
    member_id = _me(v)["id"]
    # The member cannot confirm themselves.
    r = c.post(f"/api/v1/members/{member_id}/unit/confirm", {"confirmed": True}, content_type=J)
    assert r.status_code in (403, 404)
    # An account of the unit confirms.
    bank_account = make_user(Role.VOLUNTEER, unit=bank)
    r = api_client(bank_account).post(f"/api/v1/members/{member_id}/unit/confirm", {}, content_type=J)
    assert r.status_code == 200, r.content
    assert r.json()["unit_confirmed"] is True
    assert c.post(f"/api/v1/activities/{task.pk}/signups").status_code == 201
    # Naming another unit drops the confirmation.
    c.put("/api/v1/members/me", {"unit_id": other.pk}, content_type=J)
    assert Member.objects.get(pk=member_id).unit_confirmed_at is None
    # An account of an unrelated unit cannot confirm it; community staff in scope can (if the member is theirs).
    r = api_client(bank_account).post(f"/api/v1/members/{member_id}/unit/confirm", {}, content_type=J)
    assert r.status_code == 404


def test_community_staff_confirm_a_unit_of_a_member_of_their_community(tree) -> None:
    bank = Unit.objects.create(name="海安农商银行", kind=Unit.Kind.CO_BUILDING)
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    outsider = make_user(Role.COMMUNITY_STAFF, tree.other_community)
    v = quick_user()
    api_client(v).put(
        "/api/v1/members/me", {"unit_id": bank.pk, "home_community": tree.community.code}, content_type=J
    )
    member_id = _me(v)["id"]
    r = api_client(outsider).post(f"/api/v1/members/{member_id}/unit/confirm", {}, content_type=J)
    assert r.status_code == 404
    r = api_client(staff).post(f"/api/v1/members/{member_id}/unit/confirm", {}, content_type=J)
    assert r.status_code == 200 and r.json()["unit_confirmed"] is True


def test_a_member_who_reported_to_a_community_may_join_its_community_tasks(tree) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    task = make_activity(tree.community, by=staff, visibility=Activity.Visibility.COMMUNITY)
    v = quick_user()
    c = api_client(v)
    # Lives in the other community, works here: reports here (双报到 of an in-service party member).
    c.put("/api/v1/members/me", {"home_community": tree.other_community.code}, content_type=J)
    assert c.post(f"/api/v1/activities/{task.pk}/signups").status_code == 404
    r = c.post("/api/v1/members/me/report", {"community": tree.community.code}, content_type=J)
    assert r.status_code == 201, r.content
    assert task.pk in [a["id"] for a in c.get("/api/v1/activities").json()]
    assert c.get(f"/api/v1/activities/{task.pk}").status_code == 200
    r = c.post(f"/api/v1/activities/{task.pk}/signups")
    assert r.status_code == 201, r.content
    assert Signup.objects.get(activity=task).status == "confirmed"


def test_report_records_only_a_confirmed_unit(tree) -> None:
    bank = Unit.objects.create(name="海安农商银行", kind=Unit.Kind.CO_BUILDING)
    v = quick_user()
    c = api_client(v)
    c.put("/api/v1/members/me", {"unit_id": bank.pk}, content_type=J)
    r = c.post("/api/v1/members/me/report", {"community": tree.community.code}, content_type=J)
    assert r.status_code == 201 and r.json()["unit"] is None


def test_tasks_out_of_scope_answer_404(tree) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    outsider = make_user(Role.COMMUNITY_STAFF, tree.other_community)
    task = make_activity(tree.community, by=staff, visibility=Activity.Visibility.COMMUNITY)
    c = api_client(outsider)
    for path in (f"/api/v1/activities/{task.pk}", f"/api/v1/activities/{task.pk}/signups"):
        assert c.get(path).status_code == 404
    assert c.get("/api/v1/activities/987654").status_code == 404
    assert c.post(f"/api/v1/activities/{task.pk}/cancel", {"reason": "x"}, content_type=J).status_code == 404
    assert c.get(f"/api/v1/activities/{task.pk}/ratings").status_code == 404


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/members/me/report", {"community": ""}, "community"),
        ("/api/v1/service-posts", {"community": "", "title": "楼道长助理"}, "community"),
        ("/api/v1/micro-projects", {"community": "", "title": "义务理发"}, "community"),
        ("/api/v1/units/agreements", {"unit_id": 1, "community": ""}, "community"),
        ("/api/v1/activities", {"area": "", "title": "x", "capacity": 1}, "area"),
    ],
)
def test_a_missing_area_is_422_naming_the_field_not_500(tree, path, body, field) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    Unit.objects.create(pk=1, name="共建单位", kind=Unit.Kind.CO_BUILDING)
    if path == "/api/v1/activities":
        body = {**body, "starts_at": "2030-01-01T09:00:00+08:00", "ends_at": "2030-01-01T12:00:00+08:00"}
    r = api_client(staff).post(path, body, content_type=J)
    assert r.status_code == 422, r.content
    assert r.json()["errors"][0]["field"] == field


@pytest.mark.parametrize(
    "change",
    [
        {"title": "清洁\x00"},
        {"title": "\udc00"},
        {"capacity": 10**12},
        {"lat": 1e400, "lng": 120.4},
        {"starts_at": "0001-01-01T00:00:00+08:00"},
        {"skills": ["x"] * 1000},
        {"description": "x" * 20000},
    ],
)
def test_activity_input_is_bounded(tree, change) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    body = {
        "title": "敬老院清洁",
        "area": tree.community.code,
        "starts_at": "2030-01-01T09:00:00+08:00",
        "ends_at": "2030-01-01T12:00:00+08:00",
        "capacity": 3,
        **change,
    }
    r = api_client(staff).post("/api/v1/activities", body, content_type=J)
    assert r.status_code == 422, r.content
    assert not Activity.objects.exists()


def test_a_bad_task_row_is_skipped_and_reported_not_stopping_the_clock(tree, caplog) -> None:
    import datetime as dt
    import logging

    from wangge.volunteers import services, tasks

    bad = make_activity(tree.community, capacity=1, starts_in_h=72, hours=1)
    good = make_activity(tree.community, capacity=2, starts_in_h=2, hours=1)
    u1, u2, u3 = quick_user(), quick_user(), quick_user()
    s1, _ = services.signup_create(activity_id=bad.pk, user=u1)
    s2, _ = services.signup_create(activity_id=bad.pk, user=u2)
    services.signup_create(activity_id=bad.pk, user=u3)
    services.signup_cancel(signup_id=s1.pk, by=u1, reason="有事")  # u2 is offered the place
    services.signup_create(activity_id=good.pk, user=u1)
    # Written behind the services' back: an offer window of 2 billion hours (the next offer overflows).
    Activity.objects.filter(pk=bad.pk).update(offer_hours=2_000_000_000)
    now = good.ends_at + dt.timedelta(minutes=1)
    Signup.objects.filter(pk=s2.pk).update(offer_expires_at=now - dt.timedelta(hours=1))
    with caplog.at_level(logging.WARNING):
        result = tasks.tick(now)
    assert result == {"offers_expired": 0, "no_shows": 1, "skipped": 1}
    assert Activity.objects.get(pk=good.pk).status == "closed"
    assert Signup.objects.get(pk=s2.pk).status == "offered"  # left for a person, untouched
    assert any(f"sign-up {s2.pk}" in r.getMessage() for r in caplog.records)


def test_community_staff_verify_members_on_the_units_page(tree, client) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    outsider = make_user(Role.COMMUNITY_STAFF, tree.other_community)
    v = quick_user(name="赵党员")
    api_client(v).put("/api/v1/members/me", {"home_community": tree.community.code}, content_type=J)
    member = Member.objects.get(user=v)
    client.force_login(outsider)
    assert client.post(f"/volunteers/members/{member.pk}/verify/", {"verified": "1"}).status_code == 404
    client.force_login(staff)
    page = client.get("/volunteers/units/").content.decode()
    assert "成员核实" in page and "赵党员" in page
    assert client.post(f"/volunteers/members/{member.pk}/verify/", {"verified": "1"}).status_code == 302
    member.refresh_from_db()
    assert member.verified_at is not None and member.verified_community == tree.community


def test_profile_page_saves_and_reports_in_one_use_case(tree, client) -> None:
    from wangge.volunteers.models import CommunityReport

    v = quick_user()
    client.force_login(v)
    r = client.post(
        "/volunteers/profile/",
        {"kind": "in_service_party", "home_community": tree.community.code, "report": "1"},
    )
    assert r.status_code == 302
    report = CommunityReport.objects.get(member__user=v)
    assert report.community == tree.community and report.active
    assert Member.objects.get(user=v).kind == "in_service_party"
