"""Demo data for patrols: three weeks of morning patrols of the first grids by their grid workers — a walk
along the grid's buildings sampled every 15 s (most fixes good, some poor ones in between), the checklist
answered, and now and then a discovery that became a case whose description matches its category."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.utils import timezone

from wangge.areas import geo
from wangge.registry.models import Building

from . import coverage, services
from .models import Patrol, PatrolChecklistItem, PatrolDiscovery, PatrolPass, PatrolPoint

DAYS = 21
STEP_S = 15  # the phone's sampling interval
SPEED_M_S = 1.1  # walking with stops
# checklist item code → (case category, description) found on a patrol
FINDINGS = {
    "fire_lane": [
        ("SQ1001", "消防通道被杂物和电动车堵塞，消防车无法通行"),
        ("SQ1001", "楼道内堆放纸箱杂物，占用疏散通道"),
    ],
    "flying_wire": [("SJ0403", "一楼住户从窗口私拉电线给电动车飞线充电，存在火灾隐患")],
    "rubbish": [("SJ0101", "单元门口暴露垃圾未清运，已有异味"), ("SQ1002", "垃圾桶满溢，清运不及时")],
    "hazard": [
        ("BJ0101", "人行道上水井盖松动，踩上去有响声"),
        ("SQ0101", "单元楼道灯不亮，老人夜间上下楼不便"),
    ],
}
NOTES = ["巡查正常", "提醒商户门前三包", "劝导居民垃圾分类投放", "提醒居民收好晾晒衣物", ""]


def _walk(rng: Any, buildings: list[tuple[int, float, float]]) -> list[tuple[float, float]]:
    """A nearest-neighbour walk through most of the buildings from a random one."""
    left = [b for b in buildings if rng.random() < 0.85] or buildings[:1]
    here = left.pop(rng.randrange(len(left)))
    route = [(here[1], here[2])]
    while left:
        left.sort(key=lambda b: (b[1] - here[1]) ** 2 + (b[2] - here[2]) ** 2)
        here = left.pop(0)
        route.append((here[1], here[2]))
    return route


def _track(rng: Any, route: list[tuple[float, float]], start: dt.datetime) -> list[PatrolPoint]:
    """Points every STEP_S seconds along the route (straight lines between buildings, a few metres of noise;
    one fix in eight is poor, as indoors or between tall buildings)."""
    points: list[PatrolPoint] = []
    at = start
    step_m = SPEED_M_S * STEP_S
    for (lat1, lng1), (lat2, lng2) in zip(route, route[1:] + route[-1:], strict=True):
        d = max(geo.distance_m(lat1, lng1, lat2, lng2), 1.0)
        n = max(1, math.ceil(d / step_m))
        for k in range(n):
            f = k / n
            kx = 111_320 * math.cos(math.radians(lat1))
            poor = rng.random() < 0.125
            acc = rng.uniform(60, 150) if poor else rng.uniform(4, 25)
            noise = acc * 0.5
            lat = lat1 + (lat2 - lat1) * f + rng.uniform(-noise, noise) / 111_320
            lng = lng1 + (lng2 - lng1) * f + rng.uniform(-noise, noise) / kx
            points.append(
                PatrolPoint(recorded_at=at, lat=lat, lng=lng, accuracy_m=round(acc, 1), good=not poor)
            )
            at += dt.timedelta(seconds=STEP_S)
    return points


def populate_demo(ctx: Any) -> None:
    from wangge.appeals.services import appeal_submit

    rng = ctx.rng
    today = timezone.localdate(ctx.now)
    n_grids = 3 if ctx.size == "small" else 8
    items = list(
        PatrolChecklistItem.objects.filter(area__isnull=True, active=True).values_list("code", flat=True)
    )
    patrols = made_points = cases = 0
    for i, grid in enumerate(ctx.grids[:n_grids]):
        worker = ctx.users.get(f"gridworker{i + 1:03d}")
        if worker is None:
            continue
        buildings = list(
            Building.objects.filter(area__code__startswith=grid.code, lat__isnull=False, lng__isnull=False)
            .order_by("pk")
            .values_list("pk", "lat", "lng")
        )
        if not buildings:
            continue
        index = coverage.BuildingIndex(buildings, services.coverage_distance_m())
        for back in range(DAYS, 0, -1):
            day = today - dt.timedelta(days=back)
            if day.weekday() == 6 or rng.random() < 0.1:  # Sundays off, and the odd day of meetings
                continue
            start = timezone.make_aware(
                dt.datetime.combine(day, dt.time(8, 30)) + dt.timedelta(minutes=rng.randint(0, 60))
            )
            points = _track(rng, _walk(rng, buildings), start)
            end = points[-1].recorded_at + dt.timedelta(minutes=rng.randint(1, 5))
            answers = {code: ("issue" if rng.random() < 0.08 else "ok") for code in items}
            patrol = Patrol.objects.create(
                area=grid,
                area_code=grid.code,
                worker=worker,
                client_id=f"demo-{grid.code}-{day:%Y%m%d}",
                state=Patrol.State.DONE,
                started_at=start,
                ended_at=end,
                checklist=answers,
                notes=rng.choice(NOTES),
            )
            for p in points:
                p.patrol = patrol
            PatrolPoint.objects.bulk_create(points, batch_size=1000)
            first = coverage.passed(index, [(p.recorded_at, p.lat, p.lng) for p in points if p.good])
            PatrolPass.objects.bulk_create(
                [
                    PatrolPass(patrol=patrol, building_id=pk, area_code=grid.code, day=day, passed_at=at)
                    for pk, at in first.items()
                ]
            )
            patrols += 1
            made_points += len(points)
            for code in [c for c, v in answers.items() if v == "issue" and c in FINDINGS]:
                category, text = rng.choice(FINDINGS[code])
                found = points[rng.randrange(len(points))]
                try:
                    appeal, _ = appeal_submit(
                        by=worker,
                        category=category,
                        description=text,
                        channel=services.DISCOVERY_CHANNEL,
                        address=grid.name,
                        area_code=grid.code,
                        idempotency_key=f"patrol:{patrol.pk}:demo-{code}",
                        now=found.recorded_at,
                    )
                except Exception as exc:  # the demo goes on without that case
                    ctx.log(f"patrols: 问题转诉求失败：{exc}")
                    continue
                PatrolDiscovery.objects.create(
                    patrol=patrol,
                    appeal=appeal,
                    client_id=f"demo-{code}",
                    checklist_code=code,
                    lat=found.lat,
                    lng=found.lng,
                    found_at=found.recorded_at,
                )
                cases += 1
    ctx.log(f"patrols: {patrols} 次巡查，{made_points} 个定位点，{cases} 个问题转为诉求")
