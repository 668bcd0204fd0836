"""Pairing: visits, hand-over with overlap (MUST-SHOW: history stays under the resident), missed visits."""

from __future__ import annotations

import types
from datetime import timedelta

import pytest
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.core.errors import Conflict, Forbidden
from wangge.pairing import selectors, services, tasks
from wangge.pairing.models import MissedVisit, Pairing
from wangge.testing import api_client, make_user
from wangge.wishes.tests.factories import make_resident


@pytest.fixture
def setup(tree):
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    gw = make_user(Role.GRID_WORKER, tree.grid_a)
    v1 = make_user(Role.VOLUNTEER, display_name="骑手张伟")
    v2 = make_user(Role.VOLUNTEER, display_name="骑手刘洋")
    resident = make_resident(tree.grid_a, name="周桂英", tags=("elderly_alone",))
    return types.SimpleNamespace(tree=tree, staff=staff, gw=gw, v1=v1, v2=v2, resident=resident)


def _pair(s, days_ago: int = 30) -> Pairing:
    return services.pairing_create(
        resident=s.resident,
        volunteer=s.v1,
        care_kind="elderly_alone",
        by=s.staff,
        starts_on=timezone.localdate() - timedelta(days=days_ago),
        notes="老人耳背，敲门要用力",
    )


@pytest.mark.django_db
def test_handover_keeps_visit_history_under_the_resident(setup):
    s = setup
    p = _pair(s)
    now = timezone.now()
    services.visit_log(pairing=p, by=s.v1, visited_at=now - timedelta(days=20), note="送菜")
    services.visit_log(pairing=p, by=s.v1, visited_at=now - timedelta(days=13), note="量血压")
    h = services.pairing_handover(
        pairing=p,
        to_volunteer=s.v2,
        by=s.staff,
        reason="张伟搬家",
        notes="每周三上午去",
        overlap_days=3,
        handed_on=timezone.localdate() - timedelta(days=10),
    )
    assert h.overlap_until == timezone.localdate() - timedelta(days=7)
    # During the overlap both could log; after it, only the successor.
    services.visit_log(pairing=p, by=s.v1, visited_at=now - timedelta(days=9), note="带新志愿者认门")
    services.visit_log(pairing=p, by=s.v2, visited_at=now - timedelta(days=8), note="第一次独立走访")
    with pytest.raises(Forbidden):
        services.visit_log(pairing=p, by=s.v1, note="已离任")
    services.visit_log(pairing=p, by=s.v2, note="一切正常")

    p.refresh_from_db()
    assert (
        p.volunteer == s.v2
        and p.visit_every_days == 7
        and "老人耳背" in p.notes
        and "每周三上午去" in p.notes
    )
    history = selectors.resident_history(viewer=s.staff, resident_id=s.resident.pk)
    assert [str(v) for v in history["volunteers"]] == ["骑手张伟", "骑手刘洋"]
    assert [v.note for v in history["visits"]] == [
        "一切正常",
        "第一次独立走访",
        "带新志愿者认门",
        "量血压",
        "送菜",
    ]
    # The same over the API.
    c = api_client(s.gw)
    body = c.get(f"/api/v1/pairings/residents/{s.resident.pk}/history").json()
    assert body["volunteers"] == ["骑手张伟", "骑手刘洋"] and len(body["visits"]) == 5
    visits = api_client(s.v2).get(f"/api/v1/pairings/{p.pk}/visits").json()
    assert {v["volunteer"] for v in visits} == {"骑手张伟", "骑手刘洋"}


@pytest.mark.django_db
def test_handover_over_api_and_scope(setup):
    s = setup
    p = _pair(s)
    outsider = make_user(Role.COMMUNITY_STAFF, s.tree.other_community)
    assert api_client(outsider).get(f"/api/v1/pairings/{p.pk}").status_code == 404
    v3 = make_user(Role.VOLUNTEER)
    assert api_client(v3).get(f"/api/v1/pairings/{p.pk}").status_code == 404
    r = api_client(s.staff).post(
        f"/api/v1/pairings/{p.pk}/handover",
        {"to_volunteer_id": s.v2.pk, "reason": "工作调动", "overlap_days": 14},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["from_volunteer"] == "骑手张伟" and r.json()["to_volunteer"] == "骑手刘洋"
    mine = api_client(s.v2).get("/api/v1/pairings").json()
    assert [m["id"] for m in mine] == [p.pk] and mine[0]["volunteers"] == ["骑手张伟", "骑手刘洋"]
    # The predecessor still serves during the overlap.
    r = api_client(s.v1).post(
        f"/api/v1/pairings/{p.pk}/visits", {"note": "交接走访"}, content_type="application/json"
    )
    assert r.status_code == 201


@pytest.mark.django_db
def test_one_live_pairing_per_resident_and_kind(setup):
    s = setup
    _pair(s)
    with pytest.raises(Conflict):
        services.pairing_create(resident=s.resident, volunteer=s.v2, care_kind="elderly_alone", by=s.staff)


@pytest.mark.django_db
def test_missed_visit_flagged_once_to_grid_worker_and_resolved_by_a_visit(setup):
    from wangge.notifications.models import Notification

    s = setup
    p = _pair(s, days_ago=20)
    fresh = services.pairing_create(
        resident=make_resident(s.tree.grid_a, name="吴小宝"),
        volunteer=s.v2,
        care_kind="left_behind_child",
        by=s.staff,
    )
    assert tasks.tick() == {"missed_visits_flagged": 1, "skipped": 0}
    assert tasks.tick() == {"missed_visits_flagged": 0, "skipped": 0}
    sent = list(Notification.objects.filter(event="pairing.missed_visit").values("user", "link"))
    assert sent == [{"user": s.gw.pk, "link": f"/pairing/{p.pk}/"}]
    assert [m.pairing_id for m in selectors.missed_list(viewer=s.gw)] == [p.pk]
    assert fresh.pk not in [m.pairing_id for m in selectors.missed_list(viewer=s.staff)]
    services.visit_log(pairing=p, by=s.v1)
    assert MissedVisit.objects.get(pairing=p).resolved_at is not None
    assert list(selectors.missed_list(viewer=s.gw)) == []


@pytest.mark.django_db
def test_pages(setup, client):
    s = setup
    p = _pair(s)
    client.force_login(s.staff)
    r = client.get("/pairing/")
    assert r.status_code == 200 and "周桂英" in r.content.decode()
    r = client.post(
        f"/pairing/{p.pk}/handover/", {"to_volunteer": s.v2.pk, "overlap_days": "7", "reason": "搬家"}
    )
    assert r.status_code == 302
    p.refresh_from_db()
    assert p.volunteer == s.v2
    assert "骑手张伟" in client.get(f"/pairing/resident/{s.resident.pk}/").content.decode()
    assert client.get("/pairing/missed/").status_code == 200
    client.force_login(s.v1)
    assert (
        client.post(f"/pairing/{p.pk}/visit/", {"note": "交接期走访", "duration_minutes": "40"}).status_code
        == 302
    )
    assert p.visits.get().duration_minutes == 40


@pytest.mark.django_db
def test_a_visit_earns_the_volunteer_points_once(setup):
    from wangge.points.selectors import points_balance as balance_of

    s = setup
    p = _pair(s)
    v = services.visit_log(pairing=p, by=s.v1, note="送菜")
    assert balance_of(s.v1) == 5
    from wangge.points.services import points_earn

    assert points_earn(user=s.v1, rule_code="pairing_visit", source_key=f"visit:{v.pk}") is None
    assert balance_of(s.v1) == 5


@pytest.mark.django_db
def test_staff_create_a_pairing_on_the_page(setup, client):
    s = setup
    child = make_resident(s.tree.grid_b, name="吴小宝", tags=("left_behind_child",))
    make_resident(s.tree.grid_c, name="外社区老人", tags=("elderly_alone",))
    client.force_login(s.staff)
    page = client.get("/pairing/new/").content.decode()
    assert "吴小宝" in page and "周桂英" in page and "外社区老人" not in page
    r = client.post(
        "/pairing/new/",
        {
            "resident": child.pk,
            "care_kind": "left_behind_child",
            "volunteer": s.v2.pk,
            "visit_every_days": "14",
        },
    )
    p = Pairing.objects.get(resident=child)
    assert r.status_code == 302 and p.visit_every_days == 14 and p.volunteer == s.v2
