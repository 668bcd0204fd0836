"""The figures rollup is maintained by the services in their own transactions and equals the recomputation
from the records; the figures read from it equal the figures computed from the periods alone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.testing import make_user
from wangge.visits import rollup, services
from wangge.visits.models import ScheduledVisit, StatSpan, VisitorStat, VisitStat
from wangge.visits.tests.factories import make_household


def _ranges(today: dt.date) -> list[tuple[dt.date, dt.date]]:
    first = today.replace(day=1)
    return [
        (today - dt.timedelta(days=60), today + dt.timedelta(days=60)),  # whole months and both ends
        (first, rollup.next_month(first) - dt.timedelta(days=1)),  # exactly one month
        (today, today),
        (today + dt.timedelta(days=7), today + dt.timedelta(days=40)),
        (today - dt.timedelta(days=400), today + dt.timedelta(days=400)),
    ]


@pytest.mark.django_db(transaction=True)
def test_services_keep_the_rollup_equal_to_the_records(tree):
    gw = make_user(Role.GRID_WORKER, tree.grid_a)
    gw_b = make_user(Role.GRID_WORKER, tree.grid_b)
    h1 = make_household(tree.grid_a, tags=("elderly_alone",))  # weekly, special
    h2 = make_household(tree.grid_a)
    h3 = make_household(tree.grid_b, tags=("elderly_alone",))
    h4 = make_household(tree.grid_c)
    now = timezone.now()
    services.schedule_tick(now)  # every household due today
    services.visit_record(by=gw, household=h1, client_id="a1")  # on time (special)
    services.visit_record(by=gw_b, household=h3, client_id="b1", visited_at=now - dt.timedelta(days=2))
    services.visit_record(by=gw, household=h1, client_id="a1")  # a re-send: lands once, counted once
    # Ten days on: h2 and h4 were never visited (missed); h1 and h3 are due again and missed too.
    services.schedule_tick(now + dt.timedelta(days=11))
    # h2 is visited late; h4's next visit is cancelled (in hospital): it counts in no figure.
    services.visit_record(by=gw, household=h2, client_id="a2")
    ready4 = ScheduledVisit.objects.get(household=h4, state="ready")
    services.visit_cancel(scheduled=ready4, reason="in_hospital", by=make_user(Role.GRID_WORKER, tree.grid_c))

    states = sorted(ScheduledVisit.objects.values_list("household_id", "state"))
    assert sorted(s for _, s in states).count("missed") == 4
    assert rollup.stored() == rollup.computed()
    # Hand-computed: the buckets of today's due day under grid_a: h1's first period completed on time and
    # h2's missed; h1 special closed 1, on time 1.
    today = timezone.localdate(now)
    row = VisitStat.objects.get(span=StatSpan.DAY, start=today, area_code=tree.grid_a.code)
    assert (row.completed, row.missed, row.special_closed, row.special_on_time) == (1, 1, 1, 1)
    assert VisitorStat.objects.get(span=StatSpan.DAY, start=today, visitor=gw).visits == 2  # h1, h2
    for code in (tree.district.code, tree.street.code, tree.community.code, tree.grid_a.code):
        for date_from, date_to in _ranges(today):
            assert rollup.figures(code, date_from, date_to) == rollup.raw_figures(code, date_from, date_to), (
                code,
                date_from,
                date_to,
            )
    before = rollup.stored()
    assert rollup.rebuild()["area_rows"] == len(before[0])
    assert rollup.stored() == before


@pytest.mark.django_db
def test_rebuild_repairs_rows_written_outside_the_services(tree):
    h = make_household(tree.grid_a)
    ScheduledVisit.objects.create(
        household=h,
        area_code=tree.grid_a.code,
        due_on=dt.date(2026, 1, 31),
        closes_on=dt.date(2026, 2, 3),
        every_days=90,
        state="completed",
        completed_on=dt.date(2026, 2, 1),
    )
    VisitStat.objects.create(
        span=StatSpan.DAY, start=dt.date(2025, 5, 1), area_code=tree.grid_a.code, missed=9
    )
    assert rollup.stored() != rollup.computed()
    rollup.rebuild()
    assert (
        rollup.stored()
        == rollup.computed()
        == (
            {
                (StatSpan.DAY, dt.date(2026, 1, 31), tree.grid_a.code): {
                    "completed": 1,
                    "missed": 0,
                    "special_closed": 0,
                    "special_on_time": 0,
                },
                (StatSpan.MONTH, dt.date(2026, 1, 1), tree.grid_a.code): {
                    "completed": 1,
                    "missed": 0,
                    "special_closed": 0,
                    "special_on_time": 0,
                },
            },
            {},
        )
    )


@pytest.mark.django_db
def test_figures_read_month_rows_for_whole_months_and_day_rows_for_the_ends(tree):
    """Rows made to disagree on purpose (a month row of 100, day rows of 1): which ones a range reads shows."""
    d, code = dt.date, tree.grid_a.code
    VisitStat.objects.create(span=StatSpan.MONTH, start=d(2026, 2, 1), area_code=code, completed=100)
    VisitStat.objects.create(span=StatSpan.MONTH, start=d(2026, 3, 1), area_code=code, completed=1000)
    for day in range(1, 29):
        VisitStat.objects.create(span=StatSpan.DAY, start=d(2026, 2, day), area_code=code, completed=1)
    for day in range(1, 32):
        VisitStat.objects.create(span=StatSpan.DAY, start=d(2026, 3, day), area_code=code, missed=1)

    def done(a: dt.date, b: dt.date) -> tuple[int, int]:
        f = rollup.figures(tree.community.code, a, b).get(code, {"completed": 0, "missed": 0})
        return f["completed"], f["missed"]

    assert done(d(2026, 2, 1), d(2026, 2, 28)) == (100, 0)  # the whole month
    assert done(d(2026, 2, 2), d(2026, 2, 28)) == (27, 0)  # days only
    assert done(d(2026, 2, 15), d(2026, 3, 31)) == (1014, 0)  # 14 days + March whole
    assert done(d(2026, 2, 1), d(2026, 3, 2)) == (100, 2)  # February whole + 2 days
    assert done(d(2026, 1, 1), d(2026, 1, 31)) == (0, 0)
