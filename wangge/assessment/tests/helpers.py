"""A month computed by hand: October 2025 in community 东园 (320621001001) of the test tree.

Cases reported in October in 东园 (grid_a), rated by residents unless said:
  A closed on time (resolved before its deadline), 满意, solved             — rated, due, on time
  B closed late (resolved after its deadline), 基本满意, not solved          — rated, due, late
  C closed, 缓办 (held), 不满意, not solved                                  — rated, due but held (left out)
  D in progress, deadline passed, not rated                                  — due, not closed
  P a patrol find, closed on time, rated 满意 by its handler                  — due, on time; no resident: in no rating
Not counted: H in 西园 (another community), I reported in September.

Visit periods due in October in 东园: v1 completed, v2 missed, v3 still ready; v4 cancelled (left out);
v5 due in November and v6 in 西园 (left out).

Scheme (community, monthly): 诉求解决率 40 分 linear 0→1; 按期结案率 30 分 linear 0→1; 走访完成率 30 分
threshold ≥ 0.3.
  解决率 = 1/3 (A of A, B, C) = 0.3333 → 40 × 0.3333 = 13.33
  按期结案率 = 2/4 (A, P of A, B, D, P) = 0.5 → 30 × 0.5 = 15.00
  走访完成率 = 1/3 (v1 of v1, v2, v3) = 0.3333 ≥ 0.3 → 30.00
  total 58.33
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from wangge.accounts.roles import Role
from wangge.appeals.models import Appeal, Category, State
from wangge.appeals.tests.conftest import ensure_categories
from wangge.testing import Tree, make_user
from wangge.visits.models import ScheduledVisit
from wangge.visits.tests.factories import make_household

from .. import services
from ..models import Scheme

SH = ZoneInfo("Asia/Shanghai")
T = dt.datetime(2025, 10, 10, 9, 0, tzinfo=SH)
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)
OCT = dt.date(2025, 10, 1)

ITEMS = [
    {"figure": "appeals.resolution_rate", "weight": 40, "floor": 0, "target": 1},
    {"figure": "appeals.on_time_close_rate", "weight": 30, "floor": 0, "target": 1},
    {"figure": "visits.completion", "weight": 30, "formula": "threshold", "floor": 0, "target": 0.3},
]


@dataclass
class Month:
    tree: Tree
    staff: Any
    cases: dict[str, Appeal]
    periods: dict[str, ScheduledVisit]


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


def loop(*, resolve_due: dt.timedelta, resolved: dt.timedelta | None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "opened_at": T + H,
        "dispatched_at": T + 2 * H,
        "first_ack_at": T + 3 * H,
        "response_due_at": T + 4 * H,
        "resolve_due_at": T + resolve_due,
    }
    if resolved is not None:
        out["resolved_at"] = T + resolved
    return {**out, **extra}


def period(h: Any, due: dt.date, state: str, completed_on: dt.date | None = None) -> ScheduledVisit:
    return ScheduledVisit.objects.create(
        household=h,
        area_code=h.house.building.area.code,
        due_on=due,
        closes_on=due + dt.timedelta(days=3),
        every_days=90,
        state=state,
        completed_on=completed_on,
        cancel_reason="in_hospital" if state == "cancelled" else "",
    )


def make_month(tree: Tree) -> Month:
    ensure_categories()
    ga, gc = tree.grid_a, tree.grid_c
    sat, basic, dis = Appeal.Rating.SATISFIED, Appeal.Rating.BASICALLY, Appeal.Rating.DISSATISFIED
    closed = State.CLOSED
    cases = {
        "A": mk(ga, state=closed, closed_at=T + 2 * D, rating=sat, solved=True, **loop(resolve_due=3 * D, resolved=D)),
        "B": mk(ga, state=closed, closed_at=T + 6 * D, rating=basic, solved=False, overdue=True,
                **loop(resolve_due=3 * D, resolved=5 * D)),
        "C": mk(ga, state=closed, closed_at=T + 2 * D, rating=dis, solved=False, held=True,
                **loop(resolve_due=3 * D, resolved=D)),
        "D": mk(ga, state=State.IN_PROGRESS, overdue=True, **loop(resolve_due=3 * D, resolved=None)),
        "P": mk(ga, channel=Appeal.Channel.PATROL, state=closed, closed_at=T + 2 * D, rating=sat, solved=True,
                **loop(resolve_due=3 * D, resolved=D)),
        "H": mk(gc, state=closed, closed_at=T + 2 * D, rating=sat, solved=True, **loop(resolve_due=3 * D, resolved=D)),
        "I": mk(ga, reported_at=T - 30 * D, state=closed, closed_at=T - 28 * D, rating=sat, solved=True,
                opened_at=T - 30 * D + H, resolved_at=T - 29 * D, resolve_due_at=T - 27 * D),
    }  # fmt: skip
    hh = [make_household(ga) for _ in range(6)]
    periods = {
        "v1": period(hh[0], dt.date(2025, 10, 5), "completed", dt.date(2025, 10, 5)),
        "v2": period(hh[1], dt.date(2025, 10, 12), "missed"),
        "v3": period(hh[2], dt.date(2025, 10, 30), "ready"),
        "v4": period(hh[3], dt.date(2025, 10, 15), "cancelled"),
        "v5": period(hh[4], dt.date(2025, 11, 2), "completed", dt.date(2025, 11, 2)),
        "v6": period(make_household(gc), dt.date(2025, 10, 8), "completed", dt.date(2025, 10, 8)),
    }
    staff = make_user(Role.DISTRICT, tree.district)
    return Month(tree, staff, cases, periods)


def active_scheme(month: Month, *, subject_kind: str = "community", items: list[dict[str, Any]] | None = None,
                  name: str = "社区月度考评") -> Scheme:  # fmt: skip
    scheme = services.scheme_create(
        name=name,
        area=month.tree.district,
        subject_kind=subject_kind,
        period="monthly",
        items=items or ITEMS,
        by=month.staff,
    )
    return services.scheme_activate(scheme=scheme, by=month.staff)
