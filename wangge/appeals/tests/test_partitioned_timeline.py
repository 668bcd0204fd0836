"""The case timeline partitioned by month on PostgreSQL (docs/scale.md): a case's timeline is an index scan on
the months from the case's report on (the partitions before it are pruned by the time bound the selector
gives); on SQLite the same read over the plain table."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection

from wangge.appeals import selectors
from wangge.appeals import services as s
from wangge.appeals.models import AppealEvent
from wangge.core import partitions

from .conftest import World, submit_kwargs

pytestmark = pytest.mark.django_db


def _scanned(plan: str) -> set[str]:
    return {w for w in re.findall(r"appeals_appealevent_(?:p\d{6}|default)\b", plan)}


def test_a_cases_timeline_reads_its_months_by_index(world: World) -> None:
    now = dt.datetime.now(dt.UTC)
    old_at = now - dt.timedelta(days=130)
    report_at = now - dt.timedelta(days=40)
    if connection.vendor == "postgresql":
        partitions.ensure(since=old_at)
    older, _ = s.appeal_submit(by=world.resident, now=old_at, **submit_kwargs(world))
    appeal, _ = s.appeal_submit(by=world.resident2, now=report_at, **submit_kwargs(world))
    rows = selectors.timeline(world.street, appeal)
    assert [r["kind"] for r in rows][:1] == ["submitted"]
    assert all(r["id"] not in set(older.events.values_list("pk", flat=True)) for r in rows)
    assert len(rows) == AppealEvent.objects.filter(appeal=appeal).count()
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:  # each case's events are in the month they happened
        cur.execute(
            "SELECT DISTINCT tableoid::regclass::text FROM appeals_appealevent WHERE appeal_id = %s",
            [older.pk],
        )
        assert [r[0] for r in cur.fetchall()] == [f"appeals_appealevent_p{old_at:%Y%m}"]
        # 20,000 events of the older case spread over the last 130 days: the planner has a reason to use indexes.
        cur.execute(
            "INSERT INTO appeals_appealevent (appeal_id, kind, actor_role, at, note, data, area_code, category_id_at)"
            " SELECT %s, 'urged', '', now() - (g %% 130) * interval '1 day', '', '{}'::jsonb, '', NULL"
            " FROM generate_series(1, 20000) g",
            [older.pk],
        )
        cur.execute("ANALYZE appeals_appealevent")
    plan = selectors.timeline_queryset(appeal).explain()
    assert "Index" in plan, plan
    seq = [line for line in plan.splitlines() if "Seq Scan on" in line]
    assert all("cost=0.00..0.00" in line for line in seq), (
        plan
    )  # only never-written months, which cost nothing
    scanned = _scanned(plan)
    since = report_at - selectors.TIMELINE_MARGIN
    first = dt.date(since.year, since.month, 1)
    assert f"appeals_appealevent_p{old_at:%Y%m}" not in scanned, plan
    assert all(name.endswith("default") or name[-6:] >= f"{first:%Y%m}" for name in scanned), plan
    assert f"appeals_appealevent_p{report_at:%Y%m}" in scanned, plan
