"""Demo data for pairing: elderly living alone and left-behind children paired with volunteers (riders),
weeks of visits, a few overdue ones (flagged), and one hand-over with its overlap."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from wangge.core import pii
from wangge.core.transactions import batch
from wangge.registry.models import Resident

from . import services
from .models import Pairing, Visit

NOTES = [
    "送菜上门，聊了半小时",
    "量血压，正常",
    "帮忙交水电费",
    "陪同散步",
    "检查燃气阀门",
    "辅导作业",
    "打电话问候",
    "代买药品",
    "帮忙打扫卫生",
    "一切正常",
]


def _residents(ctx: Any, code: str, limit: int) -> list[Resident]:
    first = ctx.communities[0].code
    qs = Resident.objects.filter(
        taggings__token=pii.tag_token(code), active=True, household__house__building__area__in=ctx.grids
    ).order_by("id")
    own = list(qs.filter(household__house__building__area__code__startswith=first)[:limit])
    if len(own) < limit:
        own += list(qs.exclude(household__house__building__area__code__startswith=first)[: limit - len(own)])
    return own


def populate_demo(ctx: Any) -> None:
    # The demo builder runs every hook inside its own transaction: the use cases nest in it on purpose.
    with batch():
        _populate(ctx)


def _populate(ctx: Any) -> None:
    rng = ctx.rng
    now = ctx.now
    today = timezone.localdate(now)
    count = 12 if ctx.size == "small" else 28  # Hai'an: 28 pairings
    staff = ctx.users["district"]
    volunteers = [u for name, u in sorted(ctx.users.items()) if name.startswith("volunteer")]
    people = [(r, "elderly_alone") for r in _residents(ctx, "elderly_alone", count - count // 4)]
    people += [(r, "left_behind_child") for r in _residents(ctx, "left_behind_child", count // 4)]
    if not people:
        ctx.log("pairing: 没有找到关爱对象，跳过")
        return
    pairings: list[Pairing] = []
    visits: list[Visit] = []
    for i, (resident, kind) in enumerate(people):
        started = today - timedelta(days=rng.randint(60, 240))
        p = services.pairing_create(
            resident=resident,
            volunteer=volunteers[i % len(volunteers)],
            backup=volunteers[(i + 25) % len(volunteers)] if i % 3 == 0 else None,
            care_kind=kind,
            visit_every_days=7 if kind == "elderly_alone" else 14,
            starts_on=started,
            notes=rng.choice(
                ["老人耳背，敲门要用力", "孩子爷爷奶奶照看，周末在家", "有高血压，提醒按时吃药", ""]
            ),
            by=staff,
        )
        # Every fifth pairing has fallen behind (its last visit is weeks ago): the grid worker is told.
        behind = i % 5 == 4
        last_day = today - timedelta(days=rng.randint(16, 30) if behind else rng.randint(0, 5))
        if i == 0:  # handed over below: the first volunteer's visits stop within the overlap
            last_day = today - timedelta(days=9)
        day = started + timedelta(days=rng.randint(1, 4))
        last = None
        while day <= last_day:
            at = timezone.make_aware(datetime.combine(day, time(rng.randint(9, 18), rng.choice([0, 15, 30]))))
            visits.append(
                Visit(
                    pairing=p,
                    volunteer=p.volunteer,
                    visited_at=at,
                    duration_minutes=rng.choice([20, 30, 45, 60]),
                    mode=rng.choice(["home", "home", "home", "phone"]),
                    note=rng.choice(NOTES),
                    recorded_by=p.volunteer,
                )
            )
            last = at
            day += timedelta(days=p.visit_every_days + rng.randint(-1, 1))
        if last is not None:
            Pairing.objects.filter(pk=p.pk).update(last_visit_at=last)
            p.last_visit_at = last
        pairings.append(p)
    Visit.objects.bulk_create(visits)
    # One hand-over: the first volunteer moved away 20 days ago; two weeks of overlap.
    first = pairings[0]
    successor = volunteers[(len(pairings) + 7) % len(volunteers)]
    services.pairing_handover(
        pairing=first,
        to_volunteer=successor,
        by=staff,
        reason="原志愿者搬离本社区",
        notes="老人每周三上午在家；钥匙在隔壁王阿姨处；爱听淮剧",
        overlap_days=14,
        handed_on=today - timedelta(days=20),
    )
    after = [
        Visit(
            pairing=first,
            volunteer=successor,
            visited_at=now - timedelta(days=d, hours=2),
            duration_minutes=40,
            note=n,
            recorded_by=successor,
        )
        for d, n in ((18, "与前任一起上门认门"), (11, "第一次独立走访"), (4, "送了米和油"))
    ]
    Visit.objects.bulk_create(after)
    Pairing.objects.filter(pk=first.pk).update(last_visit_at=max(v.visited_at for v in after))
    flagged = services.flag_missed(now)["missed_visits_flagged"]
    ctx.log(
        f"pairing: {len(pairings)} 对结对，{len(visits) + len(after)} 次走访，1 次交接，{flagged} 条漏访提醒"
    )
