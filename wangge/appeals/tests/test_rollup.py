"""The metrics rollup (AppealDailyStat) gives the same figures as the raw computation over the cases."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Q

from wangge.accounts.roles import Role
from wangge.appeals import rollup
from wangge.appeals.metrics import AVG_KEYS, COUNT_KEYS, RATE_KEYS, appeal_metrics
from wangge.appeals.models import Appeal, AppealDailyStat, AppealRollupState, Category, State
from wangge.appeals.tests.test_metrics import EXPECTED, NOW, PERIOD, SH, scenario  # noqa: F401
from wangge.core.errors import InvalidInput
from wangge.core.periodic import run_all
from wangge.testing import Tree, make_user

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)
KEYS = (*COUNT_KEYS, *RATE_KEYS, *AVG_KEYS, "score")


def _random_cases(tree: Tree, n: int, seed: int = 7) -> None:
    """Cases in every state, some with deadlines around NOW, spread over September–October 2025."""
    rng = random.Random(seed)
    cats = list(Category.objects.filter(parent__isnull=False).order_by("code")[:3])
    grids = [tree.grid_a, tree.grid_b, tree.grid_c]
    states = [s for s in State.values if s != State.MERGED]
    start = dt.datetime(2025, 9, 1, 0, 0, tzinfo=SH)
    rows = []
    for _ in range(n):
        grid = rng.choice(grids)
        reported = start + dt.timedelta(minutes=rng.randrange(0, 50 * 24 * 60))
        state = rng.choice(states)
        f: dict[str, Any] = {"state": state}
        if state not in (State.SUBMITTED,) and rng.random() < 0.9:
            f["opened_at"] = reported + rng.random() * 3 * H
        if state in (State.DISPATCHED, State.ACKNOWLEDGED, State.IN_PROGRESS, State.RESOLVED, State.CLOSED):
            f["dispatched_at"] = reported + 4 * H
            f["response_due_at"] = reported + rng.choice([6, 30, 200]) * H
            f["resolve_due_at"] = reported + rng.choice([1, 3, 10, 30]) * D
            if state != State.DISPATCHED or rng.random() < 0.2:
                f["first_ack_at"] = reported + rng.random() * 40 * H
        if state in (State.RESOLVED, State.CLOSED):
            f["resolved_at"] = reported + rng.random() * 12 * D
        if state == State.CLOSED:
            f["closed_at"] = f["resolved_at"] + D
            if rng.random() < 0.8:
                f["rating"] = rng.choice(Appeal.Rating.values)
                f["solved"] = rng.random() < 0.7
        f["overdue"] = rng.random() < 0.2
        f["held"] = rng.random() < 0.1
        f["extended"] = rng.random() < 0.1
        f["rework_count"] = 1 if rng.random() < 0.1 else 0
        f["dissatisfied_reopens"] = 1 if rng.random() < 0.05 else 0
        rows.append(
            Appeal(
                channel=Appeal.Channel.RESIDENT_WEB,
                category=rng.choice(cats),
                description="x",
                grid=grid,
                area_code=grid.code,
                reported_at=reported,
                **f,
            )
        )
    Appeal.objects.bulk_create(rows)


def _figures(m: dict[str, Any]) -> dict[str, Any]:
    ranking = [{k: r[k] for k in ("code", "rank", "score", "sample", "response_rate")} for r in m["ranking"]]
    return {**{k: m[k] for k in KEYS}, "ranking": ranking}


def _both(area: str | None, now: dt.datetime, **kw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    admin = make_user(Role.ADMIN)
    raw = appeal_metrics(viewer=admin, area=area, now=now, source="raw", **kw)
    rolled = appeal_metrics(viewer=admin, area=area, now=now, source="rollup", **kw)
    return _figures(raw), _figures(rolled)


def test_rollup_matches_the_raw_figures(tree: Tree, settings: Any) -> None:
    settings.WANGGE_APPEAL_METRICS = {"min_sample": 5}
    _random_cases(tree, 400)
    refreshed = NOW - 2 * D
    rollup.refresh(refreshed)
    assert AppealDailyStat.objects.count() > 50
    for area in (None, tree.district.code, tree.street.code, tree.community.code, tree.grid_a.code):
        for now, kw in [
            (refreshed, {"start": "2025-09-01", "end": "2025-10-31"}),  # as of the refresh
            (NOW, {"start": "2025-09-01", "end": "2025-10-31"}),  # deadlines passed since: added
            (NOW, {"start": "2025-09-10", "end": "2025-09-30"}),  # a period ended before: subtracted
            (NOW, {}),  # the default 30 days: partial first day from the cases
            (NOW, {"start": "2025-09-03T10:30:00", "end": "2025-10-19T15:00:00"}),  # partial both ends
        ]:
            raw, rolled = _both(area, now, **kw)
            assert raw["reported"] > 0
            assert rolled == raw, (area, now, kw)


def test_the_hand_computed_scenario_through_the_rollup(scenario: Tree) -> None:  # noqa: F811
    rollup.rebuild(NOW - 5 * D)  # judged earlier: the correction brings it to NOW
    admin = make_user(Role.ADMIN)
    m = appeal_metrics(viewer=admin, area=scenario.community.code, now=NOW, source="rollup", **PERIOD)
    assert {k: m[k] for k in EXPECTED} == EXPECTED


def test_refresh_picks_up_changes_and_is_stale_until_then(tree: Tree) -> None:
    _random_cases(tree, 120, seed=3)
    admin = make_user(Role.ADMIN)
    t1 = NOW - D
    rollup.refresh(t1)
    case = Appeal.objects.filter(state=State.IN_PROGRESS, reported_at__gte=NOW - 20 * D).first()
    assert case is not None
    before = appeal_metrics(viewer=admin, area=tree.district.code, now=NOW, **PERIOD)
    case.state, case.closed_at, case.resolved_at = State.CLOSED, NOW - H, NOW - 2 * H
    case.save()
    stale = appeal_metrics(viewer=admin, area=tree.district.code, now=NOW, **PERIOD)
    assert stale["closed"] == before["closed"]  # one tick stale, by design
    out = run_all(NOW)
    assert out["appeals_rollup"]["days"] >= 1
    fresh = appeal_metrics(viewer=admin, area=tree.district.code, now=NOW, **PERIOD)
    assert fresh["closed"] == before["closed"] + 1
    raw, rolled = _both(tree.district.code, NOW, **PERIOD)
    assert rolled == raw
    # A refresh with nothing changed rewrites only what the overlap window covers, and stays equal.
    rollup.refresh(NOW + 30 * D)
    raw, rolled = _both(tree.district.code, NOW + 30 * D, **PERIOD)
    assert rolled == raw


def test_filters_fall_back_to_the_cases_and_rebuild_command(tree: Tree) -> None:
    _random_cases(tree, 60, seed=5)
    admin = make_user(Role.ADMIN)
    with pytest.raises(InvalidInput):
        appeal_metrics(viewer=admin, area=tree.district.code, now=NOW, source="rollup", **PERIOD)
    call_command("appeals_rollup", "--rebuild")
    state = AppealRollupState.objects.get()
    assert state.rebuilt_at is not None
    # Nothing is rolled up per category: the category filter reads the cases (and is exact).
    cat = Appeal.objects.order_by("pk").first().category  # type: ignore[union-attr]
    m = appeal_metrics(viewer=admin, area=tree.district.code, now=NOW, category=cat.code, **PERIOD)
    assert (
        m["reported"]
        == Appeal.objects.filter(category=cat, reported_at__gte=dt.datetime(2025, 10, 1, tzinfo=SH)).count()
    )


def test_rollup_reads_few_rows_in_few_queries(tree: Tree, django_assert_max_num_queries: Any) -> None:
    _random_cases(tree, 200, seed=11)
    rollup.refresh(NOW)
    admin = make_user(Role.ADMIN)
    with django_assert_max_num_queries(6):
        appeal_metrics(viewer=admin, area=tree.district.code, now=NOW, **PERIOD)


def _stored() -> dict[tuple[int, str, dt.date], dict[str, int]]:
    fields = ["depth", "area_code", "day", *rollup.STAT_FIELDS]
    return {
        (r["depth"], r["area_code"], r["day"]): {k: r[k] for k in rollup.STAT_FIELDS}
        for r in AppealDailyStat.objects.values(*fields)
    }


def _reference(as_of: dt.datetime) -> dict[tuple[int, str, dt.date], dict[str, int]]:
    """The rows as the former Python path computes them (buckets per depth in Python)."""
    return {
        (r.depth, r.area_code, r.day): {k: getattr(r, k) for k in rollup.STAT_FIELDS}
        for r in rollup._compute(Q(), as_of)
    }


def test_sql_rebuild_writes_the_rows_of_the_python_path(tree: Tree) -> None:
    _random_cases(tree, 300, seed=17)
    # Cases filed on a community or a street (shorter codes) and one at a day's edge in local time.
    for case, code in zip(
        Appeal.objects.order_by("pk")[:20], [tree.community.code, tree.street.code] * 10, strict=True
    ):
        case.area_code = code
        case.save(update_fields=["area_code"])
    edge = Appeal.objects.order_by("pk")[20]
    edge.reported_at = dt.datetime(2025, 9, 15, 23, 59, 59, 999999, tzinfo=SH)
    edge.save(update_fields=["reported_at"])
    as_of = NOW - 3 * D
    rollup.rebuild(as_of)
    stored, expected = _stored(), _reference(as_of)
    assert len(stored) > 100 and {k[0] for k in stored} == set(rollup.DEPTHS)
    assert any(v["sum_close"] > 0 for v in stored.values())
    assert stored == expected
    # A refresh rewrites day ranges in SQL: still the same rows as the Python path at its time.
    moved = Appeal.objects.filter(state=State.IN_PROGRESS).order_by("pk").first()
    assert moved is not None
    moved.state, moved.resolved_at, moved.closed_at = State.CLOSED, NOW - 2 * H, NOW - H
    moved.rating, moved.updated_at = Appeal.Rating.SATISFIED, NOW - D
    moved.save()
    out = rollup.refresh(NOW)
    assert out["days"] >= 1
    assert _stored() == _reference(NOW)
