"""Attendance of dispatched cadres: checking in by location and by a station's code, a day counting once,
the weekly rule closed and flagged by the periodic job, the monthly record, scope, and the assessment figure
on a hand-computed month."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from wangge.accounts.models import Post
from wangge.accounts.roles import Role
from wangge.accounts.services import post_assign
from wangge.attendance import services
from wangge.attendance.assessment import FIGURES, weeks_met_share
from wangge.attendance.models import AttendanceWeek, CadreAssignment, CheckIn
from wangge.core.errors import InvalidInput
from wangge.notifications.models import Notification
from wangge.places.codes import station_code
from wangge.places.models import Place
from wangge.testing import PASSWORD, Tree, api_client, make_user

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TZ)


def assign(
    tree: Tree, *, area: Any = None, starts: dt.date, ends: dt.date, days: int = 2, **kw: Any
) -> CadreAssignment:
    staff = kw.pop("staff", None) or make_user(Role.STREET_STAFF, tree.street)
    cadre = kw.pop("cadre", None) or make_user(Role.DEPARTMENT_STAFF, display_name=kw.pop("name", "王书记"))
    return services.assignment_create(
        by=staff, user=cadre, area=area or tree.community, role="first_secretary", starts_on=starts, ends_on=ends,
        days_per_week=days,
    )  # fmt: skip


def centre(area: Any) -> tuple[float, float]:
    return area.center_lat, area.center_lng


# --- checking in -----------------------------------------------------------------------------------------


def test_check_in_inside_the_community_counts_and_a_second_the_same_day_is_kept_uncounted(tree: Tree) -> None:
    today = timezone.localdate()
    a = assign(tree, starts=today - dt.timedelta(days=30), ends=today + dt.timedelta(days=30))
    c = api_client(a.user)
    lat, lng = centre(tree.community)
    first = c.post(
        "/api/v1/attendance/check-ins",
        {"lat": lat, "lng": lng, "accuracy_m": 12},
        content_type="application/json",
    )
    assert first.status_code == 201, first.content
    assert first.json()["counted"] is True and first.json()["distance_m"] == 0
    second = c.post("/api/v1/attendance/check-ins", {"lat": lat, "lng": lng}, content_type="application/json")
    assert second.status_code == 201 and second.json()["counted"] is False
    assert CheckIn.objects.filter(assignment=a).count() == 2
    assert CheckIn.objects.filter(assignment=a, counted=True).count() == 1


def test_check_in_far_away_is_422_with_the_distance_and_writes_nothing(tree: Tree) -> None:
    today = timezone.localdate()
    a = assign(tree, starts=today - dt.timedelta(days=3), ends=today + dt.timedelta(days=3))
    # The community spans lat 32.50–32.51: 32.521 is 0.011° (≈1.22 km) north of its boundary.
    resp = api_client(a.user).post(
        "/api/v1/attendance/check-ins", {"lat": 32.521, "lng": 120.41}, content_type="application/json"
    )
    assert resp.status_code == 422
    body = resp.json()
    assert body["errors"][0]["field"] == "location"
    assert body["errors"][0]["message"] == "距社区约 1.2 公里，超出签到范围 500 米"
    assert not CheckIn.objects.exists()


def test_check_in_near_a_place_of_the_community_outside_its_boundary_counts(tree: Tree) -> None:
    today = timezone.localdate()
    a = assign(tree, starts=today, ends=today)
    Place.objects.create(name="东园驿站", kind="post", area=tree.community, lat=32.5195, lng=120.41)
    # 0.0015° of latitude (≈ 167 m) north of the place, ≈ 1.1 km from the boundary.
    row = services.check_in(by=a.user, lat=32.521, lng=120.41)
    assert row.counted and 150 < row.distance_m < 180


def test_check_in_before_the_period_says_when_it_starts(tree: Tree) -> None:
    today = timezone.localdate()
    start = today + dt.timedelta(days=5)
    a = assign(tree, starts=start, ends=start + dt.timedelta(days=60))
    with pytest.raises(InvalidInput) as err:
        services.check_in(by=a.user, lat=32.505, lng=120.41)
    assert err.value.errors[0]["field"] == "assignment"
    assert f"{start:%Y年%m月%d日}" in err.value.errors[0]["message"]
    assert not CheckIn.objects.exists()


def test_station_code_of_the_community_checks_in_and_of_another_community_is_refused(tree: Tree) -> None:
    today = timezone.localdate()
    a = assign(tree, starts=today, ends=today)
    mine = Place.objects.create(
        name="东园党群服务站", kind="party_station", area=tree.grid_a, lat=32.505, lng=120.405
    )
    theirs = Place.objects.create(
        name="西园驿站", kind="post", area=tree.other_community, lat=32.515, lng=120.405
    )
    with pytest.raises(InvalidInput) as err:
        services.check_in(by=a.user, code=station_code(theirs.pk))
    assert err.value.errors[0]["field"] == "code"
    with pytest.raises(InvalidInput):
        services.check_in(by=a.user, code=f"{mine.pk}-000000")  # a made-up code
    row = services.check_in(by=a.user, code=station_code(mine.pk).upper())
    assert row.method == "code" and row.place_id == mine.pk and row.counted


def test_the_database_refuses_a_rule_outside_1_to_7_and_a_day_counted_twice(tree: Tree) -> None:
    today = timezone.localdate()
    a = assign(tree, starts=today, ends=today)
    with pytest.raises(IntegrityError), transaction.atomic():
        CadreAssignment.objects.filter(pk=a.pk).update(days_per_week=0)
    CheckIn.objects.create(assignment=a, at=at(today), day=today, method="location", lat=1, lng=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        CheckIn.objects.create(assignment=a, at=at(today, 15), day=today, method="location", lat=1, lng=1)


def test_bad_input_is_422_naming_the_field(tree: Tree) -> None:
    today = timezone.localdate()
    a = assign(tree, starts=today, ends=today)
    c = api_client(a.user)
    for body in (
        {},
        {"lat": 95, "lng": 120},
        {"lat": 32.5, "lng": 120.4, "coord_system": "mars"},
        {"code": "x\x00"},
    ):
        resp = c.post("/api/v1/attendance/check-ins", body, content_type="application/json")
        assert resp.status_code in (400, 422), (body, resp.content)
    assert not CheckIn.objects.exists()
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    resp = api_client(staff).post(
        "/api/v1/attendance",
        {"user_id": a.user_id, "area": tree.community.code, "role": "first_secretary", "starts_on": "2026-05-01",
         "ends_on": "2026-04-01"},
        content_type="application/json",
    )  # fmt: skip
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "ends_on"


# --- weeks, flags and the record -------------------------------------------------------------------------


def test_week_below_the_rule_is_flagged_once_to_the_secretary_and_street(tree: Tree) -> None:
    secretary = make_user(Role.COMMUNITY_STAFF, display_name="李书记")
    post_assign(user=secretary, area=tree.community, kind=Post.Kind.COMMUNITY_SECRETARY)
    street = make_user(Role.STREET_STAFF, tree.street)
    monday = dt.date(2026, 3, 2)
    good = assign(tree, starts=dt.date(2026, 1, 1), ends=dt.date(2026, 12, 31), staff=street, name="好书记")
    bad = assign(tree, starts=dt.date(2026, 1, 1), ends=dt.date(2026, 12, 31), staff=street, name="差书记")
    services.check_in(by=good.user, lat=32.505, lng=120.41, at=at(monday))
    services.check_in(by=good.user, lat=32.505, lng=120.41, at=at(monday + dt.timedelta(days=2)))
    services.check_in(by=bad.user, lat=32.505, lng=120.41, at=at(monday))
    services.check_in(by=bad.user, lat=32.505, lng=120.41, at=at(monday, 17))  # same day: counts once
    now = at(monday + dt.timedelta(days=7), 1)
    out = services.weeks_close(now)
    assert out["weeks_flagged"] >= 1
    week_good = AttendanceWeek.objects.get(assignment=good, week_start=monday)
    week_bad = AttendanceWeek.objects.get(assignment=bad, week_start=monday)
    assert (week_good.days, week_good.met, week_good.flagged_at) == (2, True, None)
    assert (week_bad.days, week_bad.met) == (1, False) and week_bad.flagged_at == now
    notes = Notification.objects.filter(event="attendance.week_below_rule", body__contains="差书记")
    assert {n.user_id for n in notes.filter(body__contains="第10周")} == {secretary.pk, street.pk}
    good_notes = Notification.objects.filter(event="attendance.week_below_rule", body__contains="好书记")
    assert not good_notes.filter(body__contains="第10周").exists()
    before = Notification.objects.count()
    assert services.weeks_close(now) == {"weeks_recorded": 0, "weeks_flagged": 0}  # idempotent
    assert Notification.objects.count() == before


def test_monthly_record_page_xlsx_and_scope(client: Any, tree: Tree) -> None:
    a = assign(tree, starts=dt.date(2026, 1, 1), ends=dt.date(2026, 12, 31))
    for d in (2, 4, 9):
        services.check_in(by=a.user, lat=32.505, lng=120.41, at=at(dt.date(2026, 3, d)))
    services.weeks_close(at(dt.date(2026, 4, 6)))
    api = api_client(a.user).get(f"/api/v1/attendance/{a.pk}?month=2026-03")
    assert api.status_code == 200
    body = api.json()
    assert body["days_present"] == 3 and body["weeks_met"] == 1 and body["weeks_not_met"] == 3
    assert [w["iso_week"] for w in body["weeks"]] == [10, 11, 12, 13]  # Thursdays 5, 12, 19 and 26 March
    client.login(username=a.user.username, password=PASSWORD)
    page = client.get(reverse("attendance:record", args=[a.pk]) + "?month=2026-03")
    assert page.status_code == 200 and "week-2026-03-02" in page.content.decode()
    xlsx = client.get(reverse("attendance:record_xlsx", args=[a.pk]) + "?month=2026-03")
    assert xlsx.status_code == 200 and "filename*=UTF-8''" in xlsx["Content-Disposition"]
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(xlsx.content))
    assert wb["汇总"]["F2"].value == 3 and wb["签到明细"].max_row == 4
    outsider = make_user(Role.COMMUNITY_STAFF, tree.other_community)
    assert api_client(outsider).get(f"/api/v1/attendance/{a.pk}").status_code == 404
    street = make_user(Role.STREET_STAFF, tree.street)
    assert api_client(street).get(f"/api/v1/attendance/{a.pk}").status_code == 200
    bad_month = api_client(street).get(f"/api/v1/attendance/{a.pk}?month=2026-13")
    assert bad_month.status_code == 422


def test_list_shows_this_week_and_flags_in_scope(client: Any, tree: Tree) -> None:
    today = timezone.localdate()
    a = assign(tree, starts=today - dt.timedelta(days=40), ends=today + dt.timedelta(days=40), name="张书记")
    other = assign(tree, area=tree.other_community, starts=today, ends=today, name="赵干部")
    services.check_in(by=a.user, lat=32.505, lng=120.41)
    services.weeks_close()
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    rows = api_client(staff).get("/api/v1/attendance").json()
    assert [r["id"] for r in rows] == [a.pk]
    assert rows[0]["this_week"]["days"] == 1 and rows[0]["this_week"]["flags"] >= 4
    assert other.pk in [
        r["id"]
        for r in api_client(make_user(Role.STREET_STAFF, tree.street)).get("/api/v1/attendance").json()
    ]
    client.login(username=staff.username, password=PASSWORD)
    page = client.get(reverse("attendance:cadres"))
    assert (
        page.status_code == 200
        and "张书记" in page.content.decode()
        and "赵干部" not in page.content.decode()
    )
    resident = make_user(Role.RESIDENT)
    client.login(username=resident.username, password=PASSWORD)
    assert client.get(reverse("attendance:cadres")).status_code == 404


# --- the assessment figure -------------------------------------------------------------------------------


def test_weeks_met_share_on_a_hand_computed_march(tree: Tree) -> None:
    """March 2026: the ISO weeks wholly inside 1–31 March start on 2, 9, 16 and 23 March.

    A (东园, 2 days, all year): 2+4 Mar met; 10 Mar only, not met; 16 (twice) + 19 Mar met; none on 23–29, not
    met → 2/4. B (东园, 3 days, from Wed 11 Mar): the week of 9 Mar is partial (not counted); 16/17/18 met;
    23–26 met → 2/2. C (西园, 2 days): 3+5 Mar met, nothing after → 1/4.
    东园: 4/6. 城东街道: 5/10."""
    d = dt.date
    a = assign(tree, starts=d(2026, 1, 1), ends=d(2026, 12, 31), days=2, name="甲")
    b = assign(tree, starts=d(2026, 3, 11), ends=d(2026, 12, 31), days=3, name="乙")
    c = assign(tree, area=tree.other_community, starts=d(2026, 1, 1), ends=d(2026, 12, 31), days=2, name="丙")
    east, west = (32.505, 120.41), (32.515, 120.405)
    plan = [
        (a, east, [2, 4, 10, 16, 16, 19]),
        (b, east, [12, 16, 17, 18, 23, 24, 25, 26]),
        (c, west, [3, 5]),
    ]
    for who, (lat, lng), days in plan:
        for n, day in enumerate(days):
            services.check_in(by=who.user, lat=lat, lng=lng, at=at(d(2026, 3, day), 9 + n % 3))
    services.weeks_close(at(d(2026, 4, 6)), notify_flags=False)
    community = weeks_met_share(subject=tree.community, start=d(2026, 3, 1), end=d(2026, 3, 31))
    assert (community["numerator"], community["denominator"]) == (4, 6)
    assert community["value"] == pytest.approx(4 / 6)
    labels = [e["label"] for e in community["evidence"]]
    assert labels == [
        "甲 第10周 2/2天", "甲 第11周 1/2天", "甲 第12周 2/2天", "甲 第13周 0/2天", "乙 第12周 3/3天", "乙 第13周 4/3天",
    ]  # fmt: skip
    assert all(
        e["kind"] == "attendance_week" and e["url"].startswith("/attendance/") for e in community["evidence"]
    )
    assert len({e["id"] for e in community["evidence"]}) == 6
    street = FIGURES["attendance.weeks_met_share"]["fn"](
        subject=tree.street, start=d(2026, 3, 1), end=d(2026, 3, 31)
    )  # type: ignore[operator]
    assert (street["numerator"], street["denominator"], street["value"]) == (5, 10, 0.5)
    empty = weeks_met_share(subject=tree.community, start=d(2025, 3, 1), end=d(2025, 3, 31))
    assert empty == {"value": None, "numerator": 0, "denominator": 0, "evidence": []}
