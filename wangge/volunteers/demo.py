"""Demo data for mobilisation: member profiles for the demo volunteers, 双报到 reports, co-building units
with agreements, service posts, open tasks (with sign-ups and a waitlist), past tasks with approved hours
(which pay points), and members' micro-projects. Deterministic: draws only from ``ctx.rng``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from wangge.accounts.models import Post
from wangge.core.transactions import batch
from wangge.points.rules import RATING_FACTORS
from wangge.points.services import points_earn

from . import services
from .models import (
    Activity,
    CommunityReport,
    Member,
    MicroProject,
    PostClaim,
    Rating,
    ServicePost,
    Signup,
    UnitAgreement,
)

KINDS = [
    Member.Kind.IN_SERVICE_PARTY,
    Member.Kind.IN_SERVICE_PARTY,
    Member.Kind.RETIRED_PARTY,
    Member.Kind.VOLUNTEER,
    Member.Kind.RIDER,
    Member.Kind.COURIER,
    Member.Kind.DRIVER,
]
SKILLS = ["急救", "理发", "家电维修", "法律咨询", "心理疏导", "摄影", "驾驶", "电脑手机", "书法", "手语"]
TASKS = [
    ("核酸检测秩序维护", "协助社区维护检测点秩序、引导居民排队", ["急救"]),
    ("敬老院清洁日", "为敬老院老人打扫房间、陪伴聊天", []),
    ("小区垃圾分类督导", "在投放点指导居民分类投放", []),
    ("文明交通劝导", "路口劝导电动车佩戴头盔、不闯红灯", []),
    ("独居老人上门探访", "两人一组走访独居老人，了解需求", ["心理疏导"]),
    ("防汛物资搬运", "仓库物资整理、装车", ["驾驶"]),
    ("义务理发进社区", "为行动不便老人上门理发", ["理发"]),
    ("反诈宣传进楼栋", "逐楼栋张贴宣传海报、讲解防骗知识", []),
]
POSTS = [
    ("楼道长助理", "post"),
    ("党群服务驿站值班", "post"),
    ("“红色代办员”代办服务", "project"),
    ("小区微更新", "project"),
]
MICRO = [
    ("义务理发", "每周六上午"),
    ("手机使用教学", "每周三晚上"),
    ("家电小修", "预约上门"),
    ("法律咨询", "每月第一个周日"),
]


def _staff_for(ctx: Any, community: Any) -> Any:
    post = Post.objects.filter(area=community, active=True).select_related("user").first()
    return post.user if post is not None else ctx.users["district"]


def populate_demo(ctx: Any) -> None:
    # The demo builder runs every hook inside its own transaction: the use cases nest in it on purpose.
    with batch():
        _populate(ctx)


def _populate(ctx: Any) -> None:
    rng = ctx.rng
    now = ctx.now
    volunteers = [u for name, u in sorted(ctx.users.items()) if name.startswith("volunteer")]
    co_units = list(ctx.units.get("co_building", []))
    # Most demo members live in the first communities, so the demo community account sees them.
    focus = ctx.communities[: max(2, min(6, len(ctx.communities)))]

    members = []
    for i, user in enumerate(volunteers):
        kind = KINDS[i % len(KINDS)]
        members.append(
            Member(
                user=user,
                kind=kind,
                skills=rng.sample(SKILLS, k=rng.randint(1, 3)),
                availability=rng.choice(["工作日晚上", "周末全天", "每天早上", "随时"]),
                home_community=focus[i % len(focus)] if i % 5 else rng.choice(ctx.communities),
                unit=co_units[i % len(co_units)]
                if co_units and kind == Member.Kind.IN_SERVICE_PARTY
                else None,
            )
        )
    Member.objects.bulk_create(members, ignore_conflicts=True)
    members = list(Member.objects.filter(user__in=volunteers).select_related("home_community").order_by("id"))
    CommunityReport.objects.bulk_create(
        [
            CommunityReport(
                member=m, community=m.home_community, unit=m.unit, note="在职党员到居住地社区报到"
            )
            for m in members
            if m.kind == Member.Kind.IN_SERVICE_PARTY and m.home_community_id
        ]
    )

    agreements = []
    for i, unit in enumerate(co_units):
        for community in {ctx.communities[i % len(ctx.communities)], focus[i % len(focus)]}:
            agreements.append(
                UnitAgreement(
                    unit=unit,
                    community=community,
                    people=rng.randint(5, 40),
                    rooms=rng.choice(["会议室1间", "活动室", "食堂（周末）", ""]),
                    funds=rng.choice([0, 5000, 10000, 20000]),
                    skills=rng.choice(["电力维修", "医疗义诊", "法律服务", "金融知识", "IT支持"]),
                    signed_on=(now - dt.timedelta(days=rng.randint(30, 400))).date(),
                )
            )
    UnitAgreement.objects.bulk_create(agreements, ignore_conflicts=True)

    posts = []
    for community in ctx.communities:
        for title, kind in rng.sample(POSTS, k=2):
            posts.append(ServicePost(community=community, title=title, kind=kind, places=rng.randint(2, 6)))
    ServicePost.objects.bulk_create(posts)
    claims = []
    for post in ServicePost.objects.filter(community__in=focus)[:20]:
        m = rng.choice(members)
        claims.append(PostClaim(post=post, member=m))
        ServicePost.objects.filter(pk=post.pk).update(claimed_count=1)
    PostClaim.objects.bulk_create(claims, ignore_conflicts=True)

    # Open tasks: tomorrow 7–10 am and later in the week; by day, one starting within the hour (to try check-in).
    local = timezone.localtime(now)
    open_tasks: list[Activity] = []
    for ci, community in enumerate(focus + ctx.communities[len(focus) : len(focus) + 6]):
        staff = _staff_for(ctx, community)
        grids = [g for g in ctx.grids if g.code.startswith(community.code)] or [community]
        for k in range(3 if community in focus else 1):
            title, desc, skills = TASKS[(ci * 3 + k) % len(TASKS)]
            day = local.replace(hour=7 + 2 * k, minute=0, second=0, microsecond=0) + dt.timedelta(days=1 + k)
            soon = (local + dt.timedelta(minutes=20)).replace(second=0, microsecond=0)
            if ci == 0 and k == 0 and 7 <= soon.hour < 18:  # only by day: a 3-hour task ends by 21:00
                day = soon
            area = rng.choice(grids)
            lat = (area.center_lat or 0) + rng.uniform(-0.001, 0.001) if area.center_lat else None
            lng = (area.center_lng or 0) + rng.uniform(-0.001, 0.001) if area.center_lng else None
            open_tasks.append(
                services.activity_create(
                    title=title,
                    description=desc,
                    area=area,
                    place=f"{area.name}党群服务站",
                    starts_at=day,
                    ends_at=day + dt.timedelta(hours=3),
                    capacity=rng.choice([4, 6, 8, 10]),
                    skills=skills,
                    lat=lat,
                    lng=lng,
                    by=staff,
                )
            )
    for task in open_tasks[:8]:
        for m in rng.sample(members, k=min(len(members), task.capacity + rng.randint(-2, 2))):
            try:
                services.signup_create(activity_id=task.pk, user=m.user, now=now)
            except Exception:  # eligibility etc.: a demo sign-up that is refused is simply skipped
                continue

    # Past tasks: checked out, rated, approved → points.
    paid = 0
    for week in range(1, 7):
        community = focus[week % len(focus)]
        staff = _staff_for(ctx, community)
        title, desc, skills = TASKS[week % len(TASKS)]
        start = local.replace(hour=8, minute=0, second=0, microsecond=0) - dt.timedelta(days=7 * week)
        task = services.activity_create(
            title=title,
            description=desc,
            area=community,
            place=f"{community.name}党群服务中心",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=3),
            capacity=8,
            skills=skills,
            by=staff,
        )
        chosen = rng.sample(members, k=min(len(members), 8))
        rows = []
        for j, m in enumerate(chosen):
            if j == 7:
                rows.append(Signup(activity=task, member=m, status=Signup.Status.NO_SHOW))
                continue
            hours = Decimal(rng.choice(["2.00", "2.50", "3.00"]))
            rows.append(
                Signup(
                    activity=task,
                    member=m,
                    status=Signup.Status.CHECKED_OUT,
                    checked_in_at=start,
                    checked_out_at=start + dt.timedelta(hours=float(hours)),
                    hours=hours,
                    hours_approved_at=start + dt.timedelta(hours=5),
                    hours_approved_by=staff,
                )
            )
        Signup.objects.bulk_create(rows)
        Activity.objects.filter(pk=task.pk).update(confirmed_count=len(rows), status=Activity.Status.CLOSED)
        for s in Signup.objects.filter(activity=task, status=Signup.Status.CHECKED_OUT).select_related(
            "member__user"
        ):
            score = rng.choice([4, 5, 5, 3])
            Rating.objects.create(
                signup=s,
                rater=staff,
                on_behalf=True,
                score=score,
                comment=rng.choice(["很认真", "热情耐心", "准时守信", ""]),
            )
            entry = points_earn(
                user=s.member.user,
                rule_code="volunteer_hour",
                source_key=f"signup:{s.pk}",
                quantity=float(s.hours or 0),
                factor=RATING_FACTORS.get(score, 1.0),
                by=staff,
                note=f"志愿服务：{task.title}",
                on=timezone.localdate(start),
            )
            if entry:
                Signup.objects.filter(pk=s.pk).update(points_awarded=entry.points)
                paid += 1

    MicroProject.objects.bulk_create(
        [
            MicroProject(
                member=m,
                community=m.home_community,
                title=MICRO[i % len(MICRO)][0],
                schedule=MICRO[i % len(MICRO)][1],
                description="党员自设服务项目，欢迎预约",
            )
            for i, m in enumerate(members[:8])
            if m.home_community_id
        ]
    )
    ctx.extra["volunteer_members"] = members
    ctx.log(
        f"志愿服务：{len(members)} 名党员/志愿者，{len(agreements)} 份共建协议，{len(open_tasks)} 个招募中的任务，"
        f"{paid} 条已审核服务时长"
    )
