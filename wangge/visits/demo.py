"""Demo data for household visits: four weeks of the schedule for the first grids — most periods visited
(some from too far away to be verified), some missed (flagged to the grid heads), a few findings that became
cases — then the clock gives every household its next visit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from wangge.appeals.services import appeal_submit
from wangge.registry.models import Household

from . import rollup, services
from .models import ScheduledVisit, Visit

NOTES = ["一切正常", "老人精神不错", "提醒注意用气安全", "核实了在住人员", "孩子在写作业", "送去了慰问品", ""]
FINDINGS = [
    ("SJ0101", "楼道口垃圾堆积，已有异味"),
    ("SJ0101", "单元门口暴露垃圾，影响通行"),
]
WEEKS = 4


def populate_demo(ctx: Any) -> None:
    rng = ctx.rng
    now = ctx.now
    today = timezone.localdate(now)
    n_grids = 3 if ctx.size == "small" else 8
    workers = {}
    for i, grid in enumerate(ctx.grids[:n_grids]):
        user = ctx.users.get(f"gridworker{i + 1:03d}")
        if user is not None:
            workers[grid.pk] = (grid, user)
    households = list(
        Household.objects.filter(active=True, house__building__area_id__in=list(workers))
        .select_related("house__building__area")
        .order_by("pk")
    )
    if not households:
        ctx.log("visits: 没有找到住户，跳过")
        return
    rules = services._tag_rules()
    tokens = services.household_tokens([h.pk for h in households])
    default, window = services.default_days(), dt.timedelta(days=services.window_days())
    start = today - dt.timedelta(days=WEEKS * 7)
    periods: list[tuple[ScheduledVisit, Visit | None]] = []
    for h in households:
        b = h.house.building
        freqs = [rules[t][0] for t in tokens.get(h.pk, ()) if t in rules and rules[t][0]]
        every = int(min((f for f in freqs if f), default=default))
        special = any(rules[t][1] for t in tokens.get(h.pk, ()) if t in rules)
        grid, worker = workers[b.area_id]
        due = start + dt.timedelta(days=rng.randint(0, min(every, 28) - 1))
        while due + window < today:
            sv = ScheduledVisit(
                household=h,
                area_code=b.area.code,
                due_on=due,
                closes_on=due + window,
                every_days=every,
                special=special,
            )
            visit = None
            if rng.random() < 0.85:
                day = due + dt.timedelta(days=rng.randint(-2, 2))
                at = timezone.make_aware(dt.datetime.combine(min(day, today), dt.time(rng.randint(9, 17), 0)))
                near = rng.random() < 0.8  # one visit in five was recorded away from the building
                metres = rng.uniform(5, 60) if near else rng.uniform(150, 600)
                lat = (b.lat or grid.center_lat or 0) + metres / 111_320
                lng = b.lng or grid.center_lng or 0
                visit = Visit(
                    household=h,
                    area_code=sv.area_code,
                    visitor=worker,
                    client_id=f"demo-{h.pk}-{due:%Y%m%d}",
                    kind=Visit.Kind.CARE if special else Visit.Kind.ROUTINE,
                    visited_at=at,
                    duration_minutes=rng.choice([10, 15, 20, 30]),
                    lat=lat,
                    lng=lng,
                    accuracy_m=rng.choice([8, 15, 30, 65]),
                    distance_m=round(metres, 1),
                    verified=metres <= services.verify_distance_m(),
                    notes=rng.choice(NOTES),
                )
                sv.state, sv.completed_on, sv.closed_at = ScheduledVisit.State.COMPLETED, day, at
                due = day + dt.timedelta(days=every)
            else:
                sv.state = ScheduledVisit.State.MISSED
                sv.closed_at = timezone.make_aware(dt.datetime.combine(due + window, dt.time(23, 0)))
                due = due + dt.timedelta(days=every)
            periods.append((sv, visit))
    visits = Visit.objects.bulk_create([v for _, v in periods if v is not None])
    for sv, v in periods:
        if v is not None:
            sv.visit = v
    ScheduledVisit.objects.bulk_create([sv for sv, _ in periods])
    # A few findings at the door became cases (channel 网格员巡查), linked to their visits.
    cases = 0
    for v, (category, text) in zip(visits[::97][: len(FINDINGS) + 1], FINDINGS * 2, strict=False):
        try:
            appeal, _ = appeal_submit(
                by=v.visitor,
                category=category,
                description=text,
                channel="patrol",
                area_code=v.area_code[:15],
                idempotency_key=f"visit:{v.client_id}:0",
                now=v.visited_at,
            )
        except Exception as exc:  # the demo goes on without that case
            ctx.log(f"visits: 问题转诉求失败：{exc}")
            continue
        v.findings.add(appeal)
        cases += 1
    result = services.schedule_tick(now)
    rollup.rebuild()  # the history was bulk-written: the figures rollup is rebuilt from it
    missed = sum(1 for sv, _ in periods if sv.state == ScheduledVisit.State.MISSED)
    unverified = sum(1 for v in visits if not v.verified)
    ctx.log(
        f"visits: {len(households)} 户，{len(visits)} 次走访（{unverified} 次未核验），"
        f"{missed} 次漏访，{cases} 个问题转为诉求，{result['scheduled']} 户排出下次走访"
    )
