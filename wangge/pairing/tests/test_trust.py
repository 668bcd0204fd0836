"""Issue 7 for pairing: access ends with the assignment, out of scope = missing = 404, bounded input, one bad
row never breaks the list or the clock, no N+1 in the list, visits cannot farm points."""

from __future__ import annotations

import datetime as dt
import logging
import types
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.pairing import services, tasks
from wangge.pairing.models import Pairing
from wangge.points.selectors import points_balance
from wangge.testing import api_client, make_user
from wangge.wishes.tests.factories import make_resident

J = "application/json"


@pytest.fixture
def s(tree):
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    v1 = make_user(Role.VOLUNTEER, display_name="骑手张伟")
    v2 = make_user(Role.VOLUNTEER, display_name="骑手刘洋")
    resident = make_resident(tree.grid_a, name="周桂英", tags=("elderly_alone",))
    return types.SimpleNamespace(tree=tree, staff=staff, v1=v1, v2=v2, resident=resident)


def _pair(s, days_ago: int = 30, **kw) -> Pairing:
    return services.pairing_create(
        resident=kw.pop("resident", s.resident),
        volunteer=kw.pop("volunteer", s.v1),
        care_kind=kw.pop("care_kind", "elderly_alone"),
        by=s.staff,
        starts_on=timezone.localdate() - timedelta(days=days_ago),
        notes="老人耳背，敲门要用力",
        **kw,
    )


def _reads(user, p: Pairing) -> list[int]:
    c = api_client(user)
    codes = [
        c.get(f"/api/v1/pairings/{p.pk}").status_code,
        c.get(f"/api/v1/pairings/{p.pk}/visits").status_code,
        c.get(f"/api/v1/pairings/{p.pk}/handovers").status_code,
    ]
    from django.test import Client

    page = Client()
    page.force_login(user)
    codes.append(page.get(f"/pairing/{p.pk}/").status_code)
    return codes


# --- access ends with the assignment ----------------------------------------------------------------


@pytest.mark.django_db
def test_predecessor_loses_access_when_the_handover_overlap_ends(s):
    p = _pair(s)
    services.visit_log(pairing=p, by=s.v1, visited_at=timezone.now() - timedelta(days=20), note="送菜")
    services.pairing_handover(
        pairing=p,
        to_volunteer=s.v2,
        by=s.staff,
        overlap_days=3,
        handed_on=timezone.localdate() - timedelta(days=10),
    )
    assert _reads(s.v1, p) == [404, 404, 404, 404]
    assert api_client(s.v1).get("/api/v1/pairings").json() == []
    r = api_client(s.v1).post(f"/api/v1/pairings/{p.pk}/visits", {"note": "x"}, content_type=J)
    assert r.status_code == 404
    assert _reads(s.v2, p) == [200, 200, 200, 200]


@pytest.mark.django_db
def test_predecessor_keeps_access_during_the_overlap(s):
    p = _pair(s)
    services.pairing_handover(pairing=p, to_volunteer=s.v2, by=s.staff, overlap_days=7)
    assert _reads(s.v1, p) == [200, 200, 200, 200]


@pytest.mark.django_db
def test_removed_backup_loses_access(s):
    p = _pair(s, backup=s.v2)
    assert _reads(s.v2, p) == [200, 200, 200, 200]
    r = api_client(s.staff).post(f"/api/v1/pairings/{p.pk}/backup", {"backup_id": None}, content_type=J)
    assert r.status_code == 200, r.content
    assert r.json()["backup"] == ""
    assert _reads(s.v2, p) == [404, 404, 404, 404]
    assert _reads(s.v1, p) == [200, 200, 200, 200]
    # Only staff in scope change the backup; the volunteer cannot see it to try.
    r = api_client(s.v1).post(f"/api/v1/pairings/{p.pk}/backup", {"backup_id": s.v2.pk}, content_type=J)
    assert r.status_code == 403


@pytest.mark.django_db
def test_volunteers_lose_access_when_the_pairing_ends(s):
    p = _pair(s, backup=s.v2)
    r = api_client(s.staff).post(f"/api/v1/pairings/{p.pk}/end", {"reason": "老人搬去女儿家"}, content_type=J)
    assert r.status_code == 200, r.content
    assert _reads(s.v1, p) == [404, 404, 404, 404]
    assert _reads(s.v2, p) == [404, 404, 404, 404]
    assert _reads(s.staff, p) == [200, 200, 200, 200]


# --- out of scope answers exactly like missing ------------------------------------------------------


@pytest.mark.django_db
def test_pairing_for_out_of_scope_or_missing_resident_is_404(s):
    outside = make_resident(s.tree.grid_c, name="外社区老人", tags=("elderly_alone",))
    c = api_client(s.staff)
    body = {"volunteer_id": s.v1.pk, "care_kind": "elderly_alone"}
    r_out = c.post("/api/v1/pairings", {**body, "resident_id": outside.pk}, content_type=J)
    r_missing = c.post("/api/v1/pairings", {**body, "resident_id": 987654}, content_type=J)
    assert (r_out.status_code, r_missing.status_code) == (404, 404)
    assert r_out.json()["detail"] == r_missing.json()["detail"]
    assert not Pairing.objects.exists()
    # A volunteer (no scope) gets the same answer for an existing resident.
    r = api_client(s.v1).post("/api/v1/pairings", {**body, "resident_id": s.resident.pk}, content_type=J)
    assert r.status_code == 404


@pytest.mark.django_db
def test_pairing_detail_out_of_scope_is_404(s):
    p = _pair(s)
    outsider = make_user(Role.COMMUNITY_STAFF, s.tree.other_community)
    assert _reads(outsider, p) == [404, 404, 404, 404]
    assert api_client(outsider).get(f"/api/v1/pairings/residents/{s.resident.pk}/history").status_code == 404


# --- bounded input ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("visit_every_days", 0),
        ("visit_every_days", 366),
        ("visit_every_days", 10**30),
        ("starts_on", "1800-01-01"),
        ("starts_on", "9999-12-31"),
        ("notes", "送菜\x00"),
        ("notes", "x" * 6000),
        ("resident_id", 10**30),
    ],
)
def test_pairing_create_refuses_out_of_range_input(s, field, value):
    body = {"resident_id": s.resident.pk, "volunteer_id": s.v1.pk, "care_kind": "elderly_alone", field: value}
    r = api_client(s.staff).post("/api/v1/pairings", body, content_type=J)
    assert r.status_code == 422, r.content
    assert any(e["field"].endswith(field) for e in r.json()["errors"]), r.json()
    assert not Pairing.objects.exists()


@pytest.mark.django_db
def test_service_bounds_visit_every_days_and_starts_on(s):
    from wangge.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as exc:
        _pair(s, visit_every_days=400)
    assert exc.value.errors[0]["field"] == "visit_every_days"
    with pytest.raises(InvalidInput) as exc:
        services.pairing_create(
            resident=s.resident,
            volunteer=s.v1,
            care_kind="elderly_alone",
            by=s.staff,
            starts_on=dt.date(9999, 1, 1),
        )
    assert exc.value.errors[0]["field"] == "starts_on"


@pytest.mark.django_db
def test_visit_and_handover_input_is_bounded(s):
    p = _pair(s)
    c = api_client(s.v1)
    for body in (
        {"duration_minutes": 10**12},
        {"note": "a\x00b"},
        {"note": "\ud800"},
        {"visited_at": "0001-01-01T00:00:00"},
        {"volunteer_id": 10**25},
    ):
        r = c.post(f"/api/v1/pairings/{p.pk}/visits", body, content_type=J)
        assert r.status_code == 422, (body, r.content)
    r = api_client(s.staff).post(
        f"/api/v1/pairings/{p.pk}/handover",
        {"to_volunteer_id": s.v2.pk, "overlap_days": 10**20},
        content_type=J,
    )
    assert r.status_code == 422


# --- one bad row ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_bad_row_neither_breaks_the_list_nor_stops_the_clock(s, caplog):
    bad = _pair(s, days_ago=20)
    good = _pair(s, days_ago=20, resident=make_resident(s.tree.grid_a, name="吴老伯"))
    # A row written behind the services' back (an old import, a manual fix): its next due date overflows.
    Pairing.objects.filter(pk=bad.pk).update(starts_on=dt.date(9999, 12, 30))
    r = api_client(s.staff).get("/api/v1/pairings")
    assert r.status_code == 200
    rows = {row["id"]: row for row in r.json()}
    assert set(rows) == {bad.pk, good.pk} and rows[bad.pk]["next_due"] is None
    from django.test import Client

    page = Client()
    page.force_login(s.staff)
    assert page.get("/pairing/").status_code == 200
    with caplog.at_level(logging.WARNING):
        result = tasks.tick()
    assert result == {"missed_visits_flagged": 1, "skipped": 1}
    assert any(str(bad.pk) in rec.getMessage() for rec in caplog.records)


# --- no N+1 in the list -------------------------------------------------------------------------------


def _list_queries(user) -> int:
    c = api_client(user)
    c.get("/api/v1/pairings")  # warm: the token's first use (last_used_at) and the per-process caches
    with CaptureQueriesContext(connection) as ctx:
        assert c.get("/api/v1/pairings").status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_pairing_list_query_count_is_constant(s, django_assert_num_queries):
    _pair(s)
    one = _list_queries(s.staff)
    for i in range(19):
        p = _pair(s, resident=make_resident(s.tree.grid_b, name=f"老人{i}"))
        if i % 3 == 0:
            services.pairing_handover(pairing=p, to_volunteer=s.v2, by=s.staff)
    assert Pairing.objects.count() == 20
    c = api_client(s.staff)
    c.get("/api/v1/pairings")  # warm, as for ``one``
    with django_assert_num_queries(one):
        assert len(c.get("/api/v1/pairings").json()) == 20
    # the cache stamps (token and the viewer's posts come from the per-process caches), the pairings (with
    # resident, volunteers, area), assignments
    assert one == 3


# --- points cannot be farmed --------------------------------------------------------------------------


@pytest.mark.django_db
def test_one_visit_per_period_earns_and_counts(s):
    p = _pair(s, days_ago=10)  # every 7 days: the current period started 3 days ago
    c = api_client(s.v1)
    assert (
        c.post(f"/api/v1/pairings/{p.pk}/visits", {"duration_minutes": 40}, content_type=J).status_code == 201
    )
    assert points_balance(s.v1) == 5
    r = c.post(f"/api/v1/pairings/{p.pk}/visits", {"duration_minutes": 40}, content_type=J)
    assert r.status_code == 409, r.content
    assert r.json()["errors"][0]["field"] == "visited_at" and "pairing_visit" in r.json()["detail"]
    assert points_balance(s.v1) == 5 and p.visits.count() == 1
    # The next period is a new period.
    r = c.post(
        f"/api/v1/pairings/{p.pk}/visits",
        {"visited_at": (timezone.now() - timedelta(days=4)).isoformat()},
        content_type=J,
    )
    assert r.status_code == 201, r.content
    assert points_balance(s.v1) == 10


@pytest.mark.django_db
def test_a_visit_shorter_than_the_rule_minimum_is_refused(s):
    p = _pair(s, days_ago=3)
    r = api_client(s.v1).post(f"/api/v1/pairings/{p.pk}/visits", {"duration_minutes": 2}, content_type=J)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "duration_minutes" and "pairing_visit" in r.json()["detail"]
    assert points_balance(s.v1) == 0 and p.visits.count() == 0
