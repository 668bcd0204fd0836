"""Demo attendance: a 第一书记 in every community (at most 12) and a 下沉干部 in every other one, dispatched for
this year by the organisation department; check-ins over the last 8 weeks and this week so far. Most cadres
keep the rule (2 days a week) with a rare slip; about a third are "weak" and often come once or not at all, so
the list shows cadres with good and bad weeks, and the closed weeks are recorded and flagged by the same
service the periodic job runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from wangge.accounts.models import User
from wangge.accounts.roles import Role
from wangge.core import pii
from wangge.places.models import Place

from . import services
from .models import CadreAssignment, CheckIn, week_start

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = [
    "建国",
    "志强",
    "海燕",
    "晓东",
    "文华",
    "立新",
    "春梅",
    "振华",
    "红军",
    "卫东",
    "玉兰",
    "国平",
    "丽娟",
    "德明",
]
UNITS = ["区委组织部", "区财政局", "区住建局", "区民政局", "区卫健委", "区人社局", "区城管局", "区教育局"]
WEEKS = 8


def populate_demo(ctx: Any) -> None:
    now = timezone.localtime(ctx.now)
    today = now.date()
    communities = list(ctx.communities)[:12]
    if not communities:
        return
    year_start = min(dt.date(today.year, 1, 1), week_start(today) - dt.timedelta(weeks=WEEKS + 1))
    year_end = dt.date(today.year, 12, 31)
    password = make_password(ctx.password)
    people: list[tuple[Any, str, int, bool]] = []  # (community, role, days per week, weak)
    for i, community in enumerate(communities):
        people.append((community, CadreAssignment.Role.FIRST_SECRETARY, 2, i % 3 == 2))
        if i % 2 == 0:
            people.append((community, CadreAssignment.Role.DISPATCHED, 1 if i % 4 == 0 else 2, i % 4 == 2))
    users = User.objects.bulk_create(
        [
            User(
                username=f"cadre{n + 1:03d}",
                password=password,
                role=Role.DEPARTMENT_STAFF,
                display_name=SURNAMES[(n * 7) % len(SURNAMES)] + GIVEN[(n * 5) % len(GIVEN)],
                # A mobile number like every demo account (so phone login works): 1340 + the cadre's number.
                phone=f"1340{n + 1:07d}",
                phone_hash=pii.phone_hash(f"1340{n + 1:07d}"),
            )
            for n in range(len(people))
        ]
    )
    by = ctx.users.get("district") or ctx.users.get("admin")
    assignments = CadreAssignment.objects.bulk_create(
        [
            CadreAssignment(
                user=u,
                area=community,
                role=role,
                unit_name=UNITS[n % len(UNITS)],
                starts_on=year_start,
                ends_on=year_end,
                days_per_week=days,
                created_by=by,
            )  # fmt: skip
            for n, (u, (community, role, days, _weak)) in enumerate(zip(users, people, strict=True))
        ]
    )
    stations: dict[str, list[Place]] = {}
    for place in Place.objects.filter(active=True).select_related("area").order_by("id"):
        stations.setdefault(place.area.code[:12], []).append(place)
    rows: list[CheckIn] = []
    first_monday = week_start(today) - dt.timedelta(weeks=WEEKS)
    for a, (_c, _role, days, weak) in zip(assignments, people, strict=True):
        centre = (a.area.center_lat, a.area.center_lng)
        for w in range(WEEKS + 1):
            monday = first_monday + dt.timedelta(weeks=w)
            workdays = [
                monday + dt.timedelta(days=d) for d in range(5) if monday + dt.timedelta(days=d) < today
            ]
            if not workdays:
                continue
            if weak:
                n = ctx.rng.choice([0, 1, 1, days, days])
            else:
                n = days if ctx.rng.random() < 0.9 else days - 1
            for day in sorted(ctx.rng.sample(workdays, min(n, len(workdays)))):
                hour, minute = ctx.rng.randint(8, 15), ctx.rng.randint(0, 59)
                moment = timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))
                places = stations.get(a.area.code[:12], [])
                if places and ctx.rng.random() < 0.4:
                    p = ctx.rng.choice(places)
                    rows.append(
                        CheckIn(assignment=a, at=moment, day=day, method="code", place=p, counted=True)
                    )
                elif centre[0] is not None:
                    lat = centre[0] + ctx.rng.uniform(-0.002, 0.002)
                    lng = centre[1] + ctx.rng.uniform(-0.002, 0.002)
                    dist = services.community_distance_m(a.area, lat, lng)
                    rows.append(
                        CheckIn(
                            assignment=a, at=moment, day=day, method="location", lat=lat, lng=lng,
                            accuracy_m=ctx.rng.choice([8, 12, 20, 35]), distance_m=round(dist or 0, 1), counted=True,
                        )
                    )  # fmt: skip
                    if ctx.rng.random() < 0.2:  # leaving in the afternoon: kept, the day counts once
                        later = moment + dt.timedelta(hours=ctx.rng.randint(2, 4))
                        if later < now:
                            rows.append(
                                CheckIn(
                                    assignment=a, at=later, day=day, method="location", lat=lat, lng=lng,
                                    accuracy_m=15, distance_m=round(dist or 0, 1), counted=False,
                                )
                            )  # fmt: skip
    CheckIn.objects.bulk_create(rows, batch_size=1000)
    closed = services.weeks_close(ctx.now)
    ctx.extra["attendance_assignments"] = [a.pk for a in assignments]
    ctx.log(
        f"attendance: {len(assignments)} 名下沉干部, {len(rows)} 次签到, "
        f"{closed['weeks_recorded']} 个周记录（{closed['weeks_flagged']} 周未达标）"
    )
