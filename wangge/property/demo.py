"""Demo data for 红色物业: the property company of the first community publishes its commitments in five
groups (the seeds' company published 20 in 5 categories, e.g. "道路廊灯损坏8小时内更换"), then a year of its
cases in those categories — driven through the appeals services with the clock of each step, so compliance is
computed from real cases — getting faster month by month; and four quarters of evaluations whose satisfaction
rises (the seed: from 60% to 98.5%), with comments the company answered.

The appeals demo's own cases of this company (the last 90 days) count too, as they would in production.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from wangge.accounts.models import Unit, User
from wangge.accounts.roles import Role
from wangge.appeals import services as appeals
from wangge.appeals.models import Category
from wangge.core import pii
from wangge.core.errors import ServiceError
from wangge.registry.models import Building, Household, Resident

from . import services
from .models import Evaluation, Score

COMMITMENTS = [
    ("维修服务", "楼道灯损坏8小时内更换", ["SQ0101"], 8),
    ("维修服务", "道路廊灯损坏8小时内更换", ["SQ0901"], 8),
    ("设施设备", "管道堵塞漏水24小时内修复", ["SQ0801"], 24),
    ("设施设备", "电梯故障6小时内恢复运行", ["SQ0701"], 6),
    ("环境卫生", "生活垃圾反映后24小时内清运", ["SQ1002"], 24),
    ("秩序维护", "乱停车反映后4小时内劝导处理", ["SQ0201"], 4),
    ("服务响应", "物业服务问题3日内整改答复", ["SQ0102"], 72),
]
TEXTS = {
    "SQ0101": "3单元楼道灯不亮", "SQ0901": "中心花园路灯坏了", "SQ0801": "楼下污水井堵塞外溢",
    "SQ0701": "电梯停在6楼不动", "SQ1002": "垃圾房满了没清运", "SQ0201": "消防通道被私家车占用",
    "SQ0102": "绿化带杂草很久没修剪",
}  # fmt: skip
COMMENTS = [
    ("路灯修得比以前快多了", "感谢认可，我们会坚持8小时内更换的承诺。"),
    ("垃圾房周末清运不及时", "已调整排班，周末增加一次清运。"),
    ("地下车库照明太暗", "已列入本月维修计划，更换为LED灯。"),
    ("电梯年检公示能否贴在一楼", "已在各单元一楼公示栏张贴年检合格证复印件。"),
    ("保安夜间巡逻看不到人", "已增加夜间巡逻频次，并在群里公布巡逻路线。"),
]


def _member(company: Unit, password_hash: str) -> User:
    user = User.objects.filter(unit=company, is_active=True, role=Role.PROPERTY_STAFF).order_by("id").first()
    if user is None:
        user = User.objects.create(
            username=f"property{company.pk}", role=Role.PROPERTY_STAFF, unit=company,
            display_name=f"{company.name[:6]}客服", password=password_hash,
            phone=f"133{company.pk:08d}", phone_hash=pii.phone_hash(f"133{company.pk:08d}"),
        )  # fmt: skip
    return user


def _history(ctx: Any, company: Unit, grids: list[Any], worker: User, staff: User, handler: User) -> int:
    """A year of the company's cases in its commitments' categories, compliance rising."""
    rng = ctx.rng
    cats = {
        c.code: c
        for c in Category.objects.filter(code__in=[code for _, _, cs, _ in COMMITMENTS for code in cs])
    }
    limits = {cs[0]: hours for _, _, cs, hours in COMMITMENTS}
    per_month = 12 if ctx.size == "small" else 18
    made = 0
    for month in range(12):  # month 0 is the oldest; the last three overlap the appeals demo's window
        share = 0.6 + 0.385 * min(month, 9) / 9  # the share resolved within the promise: 60% → 98.5%
        first = ctx.now - dt.timedelta(days=30 * (12 - month))
        for i in range(per_month):
            code = rng.choice(list(limits))
            if code not in cats:
                continue
            t = first + dt.timedelta(days=rng.uniform(0, 29), hours=rng.uniform(0, 10))
            t = t.replace(hour=max(7, min(t.hour, 20)))
            limit = dt.timedelta(hours=limits[code])
            met = rng.random() < share
            took = limit * (rng.uniform(0.15, 0.9) if met else rng.uniform(1.1, 2.5))
            if t + took + dt.timedelta(hours=3) > ctx.now:  # only steps that have already happened
                continue
            grid = rng.choice(grids)
            try:
                a, _ = appeals.appeal_submit(
                    by=staff, category=code, description=TEXTS[code], channel="patrol", area_code=grid.code,
                    idempotency_key=f"demo-property-{company.pk}-{month}-{i}", now=t,
                )  # fmt: skip
                t += dt.timedelta(minutes=rng.randint(5, 40))
                if a.state == "submitted":
                    appeals.appeal_accept(appeal_id=a.pk, by=staff, now=t)
                appeals.appeal_dispatch(appeal_id=a.pk, by=staff, lead_unit_id=company.pk, now=t)
                appeals.appeal_acknowledge(appeal_id=a.pk, by=handler, now=t + took * 0.1)
                appeals.appeal_resolve(appeal_id=a.pk, by=handler, note="已处理完毕", now=t + took)
                appeals.appeal_check(appeal_id=a.pk, by=staff, passed=True, note="现场核查通过",
                                     now=t + took + dt.timedelta(hours=2))  # fmt: skip
                made += 1
            except ServiceError as exc:  # the demo must not stop on one case
                ctx.log(f"property: 跳过一件历史诉求（{exc.detail}）")
    return made


def _evaluations(ctx: Any, company: Unit, community: Any, groups: list[str], staff: User) -> int:
    """Four quarters of household evaluations, bulk-written (the service's rules: one per household)."""
    rng = ctx.rng
    households = list(
        Household.objects.filter(active=True, house__building__property_company=company,
                                 house__building__area__code__startswith=community.code).order_by("id")
    )  # fmt: skip
    if not households:
        return 0
    y, m = ctx.now.year, ctx.now.month
    q = (m - 1) // 3 + 1
    quarters = []
    for back in range(4, 0, -1):  # the four quarters before this one
        qq, yy = q - back, y
        while qq < 1:
            qq, yy = qq + 4, yy - 1
        quarters.append((yy, qq))
    mean = [3.6, 4.0, 4.4, 4.8]  # satisfaction rising
    made = 0
    for qi, (yy, qq) in enumerate(quarters):
        rng.shuffle(households)
        sample = households[: min(len(households), 60 if ctx.size == "small" else 150)]
        at = ctx.now.replace(year=yy, month=qq * 3, day=20, hour=19, minute=0)
        evs = []
        for j, hh in enumerate(sample):
            comment, reply = COMMENTS[(j // 15 + qi) % len(COMMENTS)] if j % 15 == 0 else ("", "")
            if qi == len(quarters) - 1 and j % 30 == 15:  # the latest comments wait for the company's answer
                reply = ""
            evs.append(Evaluation(company=company, community=community, household=hh, year=yy, quarter=qq,
                                  comment=comment, reply=reply, replied_at=at + dt.timedelta(days=3) if reply else None,
                                  replied_by=staff if reply else None, submitted_at=at))  # fmt: skip
        Evaluation.objects.bulk_create(evs)
        scores = []
        for ev in Evaluation.objects.filter(company=company, year=yy, quarter=qq):
            for g in groups:
                s = round(rng.gauss(mean[qi], 0.6))
                scores.append(Score(evaluation=ev, group=g, score=max(1, min(5, s))))
        Score.objects.bulk_create(scores)
        made += len(evs)
    return made


def populate_demo(ctx: Any) -> None:
    community = ctx.communities[0]
    company_id = (
        Building.objects.filter(area__code__startswith=community.code, property_company__isnull=False)
        .values_list("property_company_id", flat=True)
        .order_by("id")
        .first()
    )
    if company_id is None:
        ctx.log("property: 第一个社区没有物业公司，跳过")
        return
    company = Unit.objects.get(pk=company_id)
    staff = ctx.users["community"]
    cats = {
        c.code: c
        for c in Category.objects.filter(code__in=[code for _, _, cs, _ in COMMITMENTS for code in cs])
    }
    published = ctx.now - dt.timedelta(days=400)
    for i, (group, text, codes, hours) in enumerate(COMMITMENTS):
        services.commitment_create(
            company=company, group=group, text=text, categories=[cats[c] for c in codes if c in cats],
            time_limit_hours=hours, order=i, published_at=published, by=staff,
        )  # fmt: skip
    handler = _member(company, User.objects.get(pk=staff.pk).password)
    grids = [g for g in ctx.grids if g.code.startswith(community.code) and g.grid_type != "dedicated"]
    from wangge.accounts.models import Post

    worker_post = (
        Post.objects.filter(kind=Post.Kind.GRID_WORKER, area__in=grids).select_related("user").first()
    )
    worker = worker_post.user if worker_post else staff
    cases = _history(ctx, company, grids, worker, staff, handler)
    groups = list(dict.fromkeys(g for g, _, _, _ in COMMITMENTS))
    evaluations = _evaluations(ctx, company, community, groups, handler)
    resident = Resident.objects.filter(account=ctx.users.get("resident")).first()
    ctx.log(
        f"property: {company.name} 公布 {len(COMMITMENTS)} 项承诺（5类），补充历史诉求 {cases} 件，"
        f"季度评议 {evaluations} 户次{'（演示居民可在本季度评议）' if resident else ''}"
    )
