"""The big screen's one endpoint: what it shows, to whom, and at what cost."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.appeals import services as appeal_services
from wangge.appeals.models import Appeal
from wangge.appeals.tests.conftest import ensure_categories
from wangge.command import screen
from wangge.registry.tests.factories import admin_user, make_household
from wangge.testing import Tree, api_client, make_user

URL = "/api/v1/command/screen"


def submit(area: Any, text: str = "楼道灯不亮，晚上看不见") -> Appeal:
    ensure_categories()
    appeal, _ = appeal_services.appeal_submit(
        by=make_user(Role.RESIDENT),
        category="SQ0101",
        description=text,
        channel="resident_web",
        lat=area.center_lat,
        lng=area.center_lng,
    )
    return appeal


def make_overdue(appeal: Appeal, hours: float, handler: Any = None) -> None:
    now = timezone.now()
    Appeal.objects.filter(pk=appeal.pk).update(
        state="dispatched",
        opened_at=now - dt.timedelta(days=3),
        resolve_due_at=now - dt.timedelta(hours=hours),
        lead_user=handler,
    )


def close_rated(appeal: Appeal, rating: str = "satisfied") -> None:
    now = timezone.now()
    Appeal.objects.filter(pk=appeal.pk).update(
        state="closed", opened_at=now, resolved_at=now, closed_at=now, rating=rating, solved=True
    )


@pytest.mark.django_db
def test_district_sees_todays_figures_grids_ranking_and_overdue(tree: Tree) -> None:
    district = make_user(Role.DISTRICT, tree.district)
    handler = make_user(Role.GRID_WORKER, tree.grid_a, display_name="王小明")
    for area in (tree.grid_a, tree.grid_a, tree.grid_b):
        submit(area)
    late = submit(tree.grid_a, "下水道堵塞已经三天，气味很大请尽快处理")
    make_overdue(late, 30, handler)
    make_household(tree.grid_a, admin_user())
    make_household(tree.grid_a, admin_user())

    body = api_client(district).get(URL).json()

    assert body["area"]["code"] == tree.district.code
    assert body["today"]["reported"] == 4
    assert body["today"]["overdue"] == 1
    assert len(body["trend"]) == screen.TREND_DAYS
    assert body["trend"][-1]["reported"] == 4
    grids = {g["code"]: g for g in body["grids"]}
    assert set(grids) == {tree.grid_a.code, tree.grid_b.code, tree.grid_c.code}
    assert grids[tree.grid_a.code]["cases"] == 3 + 0  # the late case was reported today too
    assert grids[tree.grid_a.code]["households"] >= 2
    assert grids[tree.grid_a.code]["rate"] is not None
    assert grids[tree.grid_c.code]["cases"] == 0
    # The district has one street: its communities are ranked; 4 cases is under the minimum sample.
    assert [r["code"] for r in body["ranking"]] == [tree.community.code, tree.other_community.code]
    assert body["ranking_area"] == tree.street.name
    assert all(r["ranked"] is False and r["rank"] is None for r in body["ranking"])
    [row] = body["overdue"]
    assert row["number"] == f"#{late.pk}"
    assert row["title"].startswith("下水道堵塞") and row["title"].endswith("…")
    assert row["handler"] == "王**"  # masked
    assert row["overdue_for"] == "30小时"


@pytest.mark.django_db
def test_trend_counts_a_case_per_day(tree: Tree) -> None:
    district = make_user(Role.DISTRICT, tree.district)
    old = submit(tree.grid_a)
    Appeal.objects.filter(pk=old.pk).update(reported_at=timezone.now() - dt.timedelta(days=3))
    submit(tree.grid_b)
    body = api_client(district).get(URL).json()
    assert [t["reported"] for t in body["trend"]][-4:] == [1, 0, 0, 1]
    assert body["today"]["reported"] == 1


@pytest.mark.django_db
def test_ranking_respects_the_minimum_sample(tree: Tree, settings: Any) -> None:
    settings.WANGGE_APPEAL_METRICS = {"min_sample": 2}
    street = make_user(Role.STREET_STAFF, tree.street)
    close_rated(submit(tree.grid_a))
    close_rated(submit(tree.grid_a), "basically")
    submit(tree.grid_c)
    body = api_client(street).get(URL).json()
    assert body["today"]["closed"] == 2
    assert body["today"]["satisfaction_rate"] == 90.0  # (1 + 0.8) / 2
    ranking = {r["code"]: r for r in body["ranking"]}
    assert ranking[tree.community.code]["ranked"] is True and ranking[tree.community.code]["rank"] == 1
    assert ranking[tree.other_community.code]["ranked"] is False
    assert body["min_sample"] == 2


@pytest.mark.django_db
def test_street_staff_see_their_street_only(tree: Tree) -> None:
    from wangge.testing import make_outside_areas

    other_street_grid, other_district_grid = make_outside_areas()
    street = make_user(Role.STREET_STAFF, tree.street)
    client = api_client(street)
    assert client.get(URL).json()["area"]["code"] == tree.street.code
    assert client.get(URL + f"?area={tree.community.code}").json()["area"]["code"] == tree.community.code
    assert client.get(URL + f"?area={other_street_grid.code}").status_code == 404
    assert client.get(URL + f"?area={other_district_grid.code}").status_code == 404
    assert client.get(URL + "?area=999999").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.COMMUNITY_STAFF, Role.GRID_WORKER, Role.RESIDENT, Role.VOLUNTEER])
def test_other_roles_are_refused(tree: Tree, role: str) -> None:
    user = (
        make_user(role, tree.community)
        if role in (Role.COMMUNITY_STAFF, Role.GRID_WORKER)
        else make_user(role)
    )
    assert api_client(user).get(URL).status_code == 403


@pytest.mark.django_db
def test_bad_area_is_a_4xx_naming_the_field(tree: Tree) -> None:
    district = make_user(Role.DISTRICT, tree.district)
    resp = api_client(district).get(URL + "?area=abc%00")
    assert resp.status_code == 422
    assert "area" in resp.content.decode()


@pytest.mark.django_db
def test_screen_costs_the_same_queries_for_more_cases_and_grids(
    tree: Tree, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    district = make_user(Role.DISTRICT, tree.district)
    handler = make_user(Role.GRID_WORKER, tree.grid_a)
    client = api_client(district)
    make_overdue(submit(tree.grid_a), 5, handler)
    client.get(URL)  # warm the per-process caches (scope, categories)
    with CaptureQueriesContext(connection) as small:
        assert client.get(URL).status_code == 200
    for area in (tree.grid_a, tree.grid_b, tree.grid_c, tree.grid_b):
        make_overdue(submit(area), 7, handler)
        make_household(area, admin_user())
    with CaptureQueriesContext(connection) as big:
        body = client.get(URL).json()
    assert len(body["overdue"]) == 5
    assert len(big) == len(small)
    with django_assert_max_num_queries(SCREEN_MAX_QUERIES):
        client.get(URL)


# Token auth (2) + scope (1) + area (1) + today (1) + trend (2) + grids (3) + ranking (≤8: two levels when
# the area has one child) + overdue (1).
SCREEN_MAX_QUERIES = 20


@pytest.mark.django_db
def test_screen_page_renders_for_district_and_refuses_others(tree: Tree, client: Any) -> None:
    from wangge.testing import PASSWORD

    district = make_user(Role.DISTRICT, tree.district)
    client.login(username=district.username, password=PASSWORD)
    resp = client.get("/command/screen/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert tree.district.name in html and 'id="screen-map"' in html and "command/screen.js" in html
    assert client.get(f"/command/screen/?area={tree.grid_a.code}").status_code == 200
    assert client.get("/command/screen/?area=320699").status_code == 404
    grid_worker = make_user(Role.GRID_WORKER, tree.grid_a)
    client.login(username=grid_worker.username, password=PASSWORD)
    assert client.get("/command/screen/").status_code == 403
