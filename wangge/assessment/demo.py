"""Demo assessment: one active scheme per subject kind (grid workers, grids and communities monthly, streets
yearly), weights summing to 100, and the scores of the last 12 whole months (and last year for streets)
computed by the real code from the demo data — months before the demo's records simply have no sample (0
points, 样本不足). Grid workers get a 三岗十八级 grade, and the best ranked grid worker of the latest month with
a ranking is a confirmed 金牌网格员. Small demo: ~190 s under a load average of 20 (the
grid scheme is most of it: 12 months × 24 grids × 6 figures)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.utils import timezone

from wangge.accounts.models import Post

from . import figures, services
from .models import GridWorkerGrade, Nomination, Score

ATTENDANCE = "attendance.weeks_met_share"

CASES = [
    {"figure": "appeals.resolution_rate", "weight": 20, "floor": 0.5, "target": 0.95},
    {"figure": "appeals.satisfaction_rate", "weight": 20, "floor": 0.6, "target": 0.95},
    {"figure": "appeals.on_time_close_rate", "weight": 20, "floor": 0.6, "target": 1.0},
]
GRID_WORKER = [
    *CASES,
    {"figure": "visits.completion", "weight": 25, "floor": 0.5, "target": 0.95},
    {"figure": "patrols.coverage", "weight": 15, "floor": 0.2, "target": 0.8, "in_sample": False},
]
GRID = [
    *CASES,
    {"figure": "visits.completion", "weight": 20, "floor": 0.5, "target": 0.95},
    {"figure": "patrols.coverage", "weight": 10, "floor": 0.2, "target": 0.8, "in_sample": False},
    {"figure": "volunteers.hours", "weight": 10, "floor": 0, "target": 20, "in_sample": False},
]
COMMUNITY = [
    *CASES,
    {"figure": "visits.completion", "weight": 15, "floor": 0.5, "target": 0.95},
    {"figure": "patrols.coverage", "weight": 5, "floor": 0.2, "target": 0.8, "in_sample": False},
    {"figure": "projects.milestones_on_time", "weight": 10, "floor": 0.5, "target": 1.0},
    {"figure": "volunteers.hours", "weight": 10, "floor": 0, "target": 80, "in_sample": False},
]


def _with_attendance(items: list[dict[str, Any]], subject_kind: str) -> list[dict[str, Any]]:
    """Community and street schemes take 10 points of attendance when the attendance app offers the figure
    (taken from the cases' three items' weights: 20 → 17, 17, 16)."""
    fig = figures.figure_for(ATTENDANCE)
    if fig is None or subject_kind not in fig.subjects:
        return items
    out = [dict(i) for i in items]
    for item, weight in zip(out[:3], (17, 17, 16), strict=True):
        item["weight"] = weight
    return [*out, {"figure": ATTENDANCE, "weight": 10, "floor": 0.5, "target": 1.0, "in_sample": False}]


def _last_months(today: dt.date, n: int) -> list[dt.date]:
    out, day = [], today.replace(day=1)
    for _ in range(n):
        day = (day - dt.timedelta(days=1)).replace(day=1)
        out.append(day)
    return sorted(out)


def populate_demo(ctx: Any) -> None:
    started = time.monotonic()
    by = ctx.users["admin"]
    today = timezone.localdate(ctx.now)
    specs = [
        ("网格员月度考评", "grid_worker", "monthly", GRID_WORKER),
        ("网格月度考评", "grid", "monthly", GRID),
        ("社区月度考评", "community", "monthly", _with_attendance(COMMUNITY, "community")),
        ("街道年度考评", "street", "yearly", _with_attendance(COMMUNITY, "street")),
    ]
    schemes = {}
    for name, kind, period, items in specs:
        scheme = services.scheme_create(
            name=name, area=ctx.district, subject_kind=kind, period=period, items=items, by=by,
            note="演示方案：各项分值合计 100 分",
        )  # fmt: skip
        schemes[kind] = services.scheme_activate(scheme=scheme, by=by, now=ctx.now)

    # 三岗十八级: every grid worker's post, mostly 三岗 (其他社区工作者), some 二岗, levels by seniority.
    posts = list(Post.objects.filter(kind=Post.Kind.GRID_WORKER, active=True).order_by("id"))
    grades = []
    for post in posts:
        tier = ctx.rng.choices((2, 3), weights=(1, 4))[0]
        grades.append(
            GridWorkerGrade(
                post=post,
                tier=tier,
                level=ctx.rng.randint(1, 6),
                since=dt.date(today.year - ctx.rng.randint(0, 6), ctx.rng.randint(1, 12), 1),
                updated_by=by,
            )
        )
    GridWorkerGrade.objects.bulk_create(grades)

    months = _last_months(today, 12)
    for kind in ("grid_worker", "grid", "community"):
        t0 = time.monotonic()
        for start in months:
            services.score_compute(scheme=schemes[kind], period_start=start, now=ctx.now)
        ctx.log(f"考评 {kind}: 12 个月得分 {time.monotonic() - t0:.1f} 秒")
    services.score_compute(scheme=schemes["street"], period_start=dt.date(today.year - 1, 1, 1), now=ctx.now)

    # 金牌网格员: the best ranked grid worker of the latest month that ranks anyone (the demo's records cover
    # the last weeks; earlier months have too small a sample), nominated by a worker of their community.
    min_sample = int(services.config()["min_sample"])
    staff = {
        p.area.code: p
        for p in Post.objects.filter(
            kind__in=[Post.Kind.COMMUNITY_SECRETARY, Post.Kind.COMMUNITY_STAFF], active=True
        ).select_related("user", "area")
    }
    ranked = Score.objects.filter(scheme=schemes["grid_worker"], sample__gte=min_sample)
    best = next(
        (s for s in ranked.order_by("-period_start", "-total", "id")[:500] if s.area_code[:12] in staff), None
    )
    nominator = staff[best.area_code[:12]] if best is not None else None
    if best is None:
        ctx.log("考评：没有排名内且社区有工作人员的网格员，未生成金牌网格员")
    if best is not None and nominator is not None:
        Nomination.objects.create(
            scheme=schemes["grid_worker"],
            period_start=best.period_start,
            user_id=best.user_id,
            score=best,
            community=nominator.area,
            state=Nomination.State.CONFIRMED,
            reason="诉求办理及时、走访全覆盖",
            nominated_by=nominator.user,
            decided_by=ctx.users.get("street") or by,
            decided_at=ctx.now,
            decision_note="同意",
        )
    ctx.log(f"考评：4 个方案、{len(grades)} 名网格员定级，共 {time.monotonic() - started:.1f} 秒")
