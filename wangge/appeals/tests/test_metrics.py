"""The metrics endpoint against a scenario computed by hand (see docs/metrics.md for the definitions).

Fixed clock: now = 2025-10-20 12:00 Shanghai; period 2025-10-01 … 2025-10-31.
Cases in community 东园 (320621001001):
  A grid_a closed on time, responded in time, 满意, solved
  B grid_a closed late (overdue), responded late, 基本满意, not solved, reworked once
  C grid_a closed, 缓办 (held), responded in time, 不满意, not solved
  D grid_a in progress, resolution deadline passed (overdue), extended, responded in time
  E grid_a dispatched today, response and resolution not yet due
  F grid_a submitted only
  G grid_a cancelled
  J grid_b dispatched, response deadline passed without acknowledgement
Elsewhere: H in 西园 (other community), I reported in September (outside the period).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.appeals.metrics import appeal_metrics, composite_score
from wangge.appeals.models import Appeal, Category, State
from wangge.core.errors import Forbidden, InvalidInput, NotFound
from wangge.testing import Tree, api_client, make_user

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 10, 20, 12, 0, tzinfo=SH)
T = dt.datetime(2025, 10, 10, 9, 0, tzinfo=SH)
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)
PERIOD: dict[str, Any] = {"start": "2025-10-01", "end": "2025-10-31"}

pytestmark = pytest.mark.django_db


def mk(area: Any, **fields: Any) -> Appeal:
    cat = Category.objects.filter(parent__isnull=False).order_by("code").first()
    base = {
        "channel": Appeal.Channel.RESIDENT_WEB,
        "category": cat,
        "description": "楼道灯坏了",
        "grid": area,
        "area_code": area.code,
        "reported_at": T,
    }
    return Appeal.objects.create(**{**base, **fields})


def loop(*, ack: dt.timedelta, resolve_due: dt.timedelta, resolved: dt.timedelta | None, **extra: Any):
    out = {
        "opened_at": T + H,
        "dispatched_at": T + 2 * H,
        "first_ack_at": T + ack,
        "response_due_at": T + 4 * H,
        "resolve_due_at": T + resolve_due,
    }
    if resolved is not None:
        out["resolved_at"] = T + resolved
    return {**out, **extra}


@pytest.fixture
def scenario(tree: Tree) -> Tree:
    ga, gb, gc = tree.grid_a, tree.grid_b, tree.grid_c
    sat, basic, dis = Appeal.Rating.SATISFIED, Appeal.Rating.BASICALLY, Appeal.Rating.DISSATISFIED
    closed = State.CLOSED
    mk(
        ga,
        state=closed,
        closed_at=T + 2 * D,
        rating=sat,
        solved=True,
        **loop(ack=3 * H, resolve_due=3 * D, resolved=1 * D),
    )  # A
    mk(
        ga,
        state=closed,
        closed_at=T + 3 * D,
        rating=basic,
        solved=False,
        overdue=True,
        rework_count=1,
        **loop(ack=6 * H, resolve_due=1 * D, resolved=2 * D),
    )  # B
    mk(
        ga,
        state=closed,
        closed_at=T + 2 * D,
        rating=dis,
        solved=False,
        held=True,
        **loop(ack=2 * H + dt.timedelta(minutes=45), resolve_due=1 * D, resolved=20 * H),
    )  # C
    mk(
        ga,
        state=State.IN_PROGRESS,
        overdue=True,
        extended=True,
        **loop(ack=3 * H, resolve_due=dt.timedelta(days=5), resolved=None),
    )  # D (due 10-15)
    e_at = dt.datetime(2025, 10, 20, 9, 0, tzinfo=SH)
    mk(
        ga,
        state=State.DISPATCHED,
        reported_at=e_at,
        opened_at=e_at + H / 2,
        dispatched_at=e_at + H,
        response_due_at=NOW + 3 * H,
        resolve_due_at=NOW + 5 * D,
    )  # E
    mk(ga, state=State.SUBMITTED, reported_at=T + 9 * D)  # F
    mk(ga, state=State.CANCELLED, reported_at=dt.datetime(2025, 10, 5, 9, 0, tzinfo=SH))  # G
    mk(
        gb,
        state=State.DISPATCHED,
        response_overdue=True,
        opened_at=T + H,
        dispatched_at=T + 2 * H,
        response_due_at=dt.datetime(2025, 10, 18, 9, 0, tzinfo=SH),
        resolve_due_at=NOW + 10 * D,
    )  # J
    mk(
        gc,
        state=closed,
        closed_at=T + 2 * D,
        rating=sat,
        solved=True,
        **loop(ack=3 * H, resolve_due=3 * D, resolved=1 * D),
    )  # H
    mk(
        ga,
        state=closed,
        reported_at=T - 20 * D,
        closed_at=T - 18 * D,
        rating=dis,
        solved=False,
        opened_at=T - 20 * D,
        dispatched_at=T - 20 * D,
    )  # I
    return tree


EXPECTED = {
    "reported": 8,
    "opened": 6,
    "dispatched": 6,
    "handled": 3,
    "closed": 3,
    "overdue": 2,
    "reworked": 1,
    "extended": 1,
    "held": 1,
    "cancelled": 1,
    "merged": 0,
    "rated": 3,
    "due": 4,  # A, B, C closed; D past its deadline
    "due_held": 1,  # C
    "closed_on_time": 1,  # A
    "response_rate": 0.6,  # responded in time A, C, D of A, B, C, D, J
    "resolution_rate": 0.3333,  # solved: A of 3 rated
    "satisfaction_rate": 0.6,  # (1 + 0.8 × 1) / 3
    "on_time_close_rate": 0.3333,  # 1 / (4 − 1)
    "close_rate": 0.6667,  # A, B / (4 − 1)
    "rework_rate": 0.3333,  # B / 3 closed
    "extension_rate": 0.1667,  # D / 6 live opened
    "overdue_rate": 0.3333,  # B, D / 6
    "avg_open_hours": 0.92,  # (1 + 1 + 1 + 1 + 0.5 + 1) / 6
    "avg_response_hours": 1.69,  # (1 + 4 + 0.75 + 1) / 4
    "avg_handle_hours": 28.67,  # (22 + 46 + 18) / 3
    "avg_close_hours": 56.0,  # (48 + 72 + 48) / 3
    "score": 50.67,  # 30 × 0.6 + 35 × 1/3 + 35 × 0.6, over 100
}


def test_every_figure_matches_the_hand_computation(scenario: Tree) -> None:
    admin = make_user(Role.ADMIN)
    m = appeal_metrics(viewer=admin, area=scenario.community.code, now=NOW, **PERIOD)
    assert {k: m[k] for k in EXPECTED} == EXPECTED
    assert m["area"] == {"code": scenario.community.code, "name": "东园社区", "level": "community"}
    assert m["weights"] == {"response_rate": 30, "resolution_rate": 35, "satisfaction_rate": 35}


def test_ranking_needs_the_minimum_sample(scenario: Tree, settings: Any) -> None:
    admin = make_user(Role.ADMIN)
    m = appeal_metrics(viewer=admin, area=scenario.community.code, now=NOW, **PERIOD)
    assert [(r["code"], r["rank"]) for r in m["ranking"]] == [
        (scenario.grid_a.code, None),
        (scenario.grid_b.code, None),
    ]  # 6 and 1 cases: below the default minimum of 10
    settings.WANGGE_APPEAL_METRICS = {"min_sample": 2}
    m = appeal_metrics(viewer=admin, area=scenario.community.code, now=NOW, **PERIOD)
    first, second = m["ranking"]
    assert (first["code"], first["rank"], first["sample"]) == (scenario.grid_a.code, 1, 6)
    # grid_a: response 3/4, resolution 1/3, satisfaction 0.6 → 22.5 + 11.67 + 21 = 55.17
    assert (first["response_rate"], first["score"]) == (0.75, 55.17)
    assert (second["code"], second["rank"], second["sample"]) == (scenario.grid_b.code, None, 1)


def test_street_ranks_its_communities(scenario: Tree, settings: Any) -> None:
    settings.WANGGE_APPEAL_METRICS = {"min_sample": 1}
    admin = make_user(Role.ADMIN)
    m = appeal_metrics(viewer=admin, area=scenario.street.code, now=NOW, **PERIOD)
    assert m["reported"] == 9
    # 西园: one case, responded, solved, satisfied → 100; 东园 50.67.
    assert [(r["name"], r["rank"], r["score"]) for r in m["ranking"]] == [
        ("西园社区", 1, 100.0),
        ("东园社区", 2, 50.67),
    ]


def test_weights_are_configurable(scenario: Tree, settings: Any) -> None:
    settings.WANGGE_APPEAL_METRICS = {
        "weights": {"response_rate": 1, "resolution_rate": 0, "satisfaction_rate": 0},
        "basically_satisfied_weight": 1.0,
    }
    admin = make_user(Role.ADMIN)
    m = appeal_metrics(viewer=admin, area=scenario.community.code, now=NOW, **PERIOD)
    assert m["score"] == 60.0
    assert m["satisfaction_rate"] == round(2 / 3, 4)


def test_filters_by_category_unit_and_person(scenario: Tree) -> None:
    admin = make_user(Role.ADMIN)
    other = Category.objects.filter(parent__isnull=False).order_by("-code").first()
    assert other is not None
    m = appeal_metrics(viewer=admin, area=scenario.community.code, now=NOW, category=other.code, **PERIOD)
    assert m["reported"] == 0 and m["response_rate"] is None and m["score"] is None
    parent = Category.objects.filter(parent__isnull=False).order_by("code").first().parent  # type: ignore[union-attr]
    m = appeal_metrics(viewer=admin, area=scenario.community.code, now=NOW, category=parent.code, **PERIOD)
    assert m["reported"] == 8
    handler = make_user(Role.GRID_WORKER, scenario.grid_a)
    Appeal.objects.filter(rating=Appeal.Rating.SATISFIED, area_code=scenario.grid_a.code).update(
        lead_user=handler
    )
    m = appeal_metrics(viewer=admin, area=scenario.community.code, now=NOW, person=handler.pk, **PERIOD)
    assert (m["reported"], m["satisfaction_rate"]) == (1, 1.0)
    m = appeal_metrics(viewer=admin, area=scenario.community.code, now=NOW, unit=999999, **PERIOD)
    assert m["reported"] == 0
    with pytest.raises(InvalidInput):
        appeal_metrics(viewer=admin, area=scenario.community.code, now=NOW, category="nope", **PERIOD)


def test_scope_is_enforced(scenario: Tree) -> None:
    grid_worker = make_user(Role.GRID_WORKER, scenario.grid_b)
    with pytest.raises(NotFound):
        appeal_metrics(viewer=grid_worker, area=scenario.community.code, now=NOW, **PERIOD)
    own = appeal_metrics(viewer=grid_worker, now=NOW, **PERIOD)  # defaults to the viewer's grid
    assert own["area"]["code"] == scenario.grid_b.code and own["reported"] == 1
    with pytest.raises(Forbidden):
        appeal_metrics(viewer=make_user(Role.RESIDENT), now=NOW, **PERIOD)


def test_a_few_queries_whatever_the_size(scenario: Tree, django_assert_max_num_queries: Any) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, scenario.community)
    with django_assert_max_num_queries(5):
        appeal_metrics(viewer=staff, area=scenario.community.code, now=NOW, **PERIOD)


def test_composite_score_skips_rates_without_sample() -> None:
    w = {"response_rate": 30, "resolution_rate": 35, "satisfaction_rate": 35}
    assert (
        composite_score({"response_rate": 0.5, "resolution_rate": None, "satisfaction_rate": None}, w) == 50
    )
    assert composite_score({}, w) is None


def test_api_returns_the_documented_keys(scenario: Tree, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    staff = make_user(Role.COMMUNITY_STAFF, scenario.community)
    r = api_client(staff).get(
        "/api/v1/metrics/appeals", {"area": scenario.community.code, "from": "2025-10-01", "to": "2025-10-31"}
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert {k: body[k] for k in EXPECTED} == EXPECTED
    assert len(body["ranking"]) == 2
    bad = api_client(staff).get("/api/v1/metrics/appeals", {"area": scenario.grid_c.code})
    assert bad.status_code == 404
    bad = api_client(staff).get("/api/v1/metrics/appeals", {"from": "2025-13-01"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "from"
