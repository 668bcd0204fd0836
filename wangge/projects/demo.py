"""Demo project lists: 20 projects in every state across the communities — 书记项目 of the community
secretaries, 民生实事 and 共建项目 of co-building units — with milestones dated around today, evidence on the
done ones, and some overdue (flagged by the clock like in production)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from wangge.core.transactions import batch

from . import services
from .models import Project

# (title, kind, budget, milestones as (title, days from the start), evidence per done milestone)
CATALOGUE = [
    (
        "老旧小区楼道照明改造",
        "livelihood",
        48000,
        [("摸排需改造楼道", 10), ("招标采购灯具", 30), ("安装并验收", 60)],
    ),
    (
        "“红色管家”物业服务提升",
        "secretary",
        20000,
        [("成立小区党支部", 14), ("组建业委会", 45), ("签订服务承诺", 75)],
    ),
    (
        "非机动车集中充电棚建设",
        "livelihood",
        120000,
        [("选址征求意见", 20), ("施工建设", 60), ("投入使用", 90)],
    ),
    ("“一老一小”暑期托管", "secretary", 15000, [("招募志愿者", 7), ("开班", 21), ("结业展示", 56)]),
    ("共建单位助老食堂", "co_building", 80000, [("签订共建协议", 10), ("场地改造", 40), ("开餐", 60)]),
    ("背街小巷环境整治", "livelihood", 36000, [("清理堆物", 7), ("补种绿化", 30), ("居民回访", 45)]),
    ("骑手暖“新”驿站建设", "co_building", 25000, [("选址", 10), ("配置设施", 25), ("挂牌运行", 40)]),
    ("小区加装电梯协调", "secretary", 5000, [("意愿调查", 20), ("业主表决", 50), ("报建", 90)]),
    ("社区议事厅改造", "livelihood", 30000, [("方案设计", 15), ("施工", 45), ("启用", 60)]),
    ("党员中心户结对帮扶", "secretary", 8000, [("确定帮扶名单", 7), ("上门走访", 30), ("年度总结", 120)]),
]
EVIDENCE = "已完成：现场照片和签到表已存档，居民代表参与验收。"


def populate_demo(ctx: Any) -> None:
    community_staff, street_staff, district = (ctx.users.get(k) for k in ("community", "street", "district"))
    units = ctx.units.get("co_building", [])
    if community_staff is None or street_staff is None or district is None:
        ctx.log("projects: 缺少社区、街道或区级账号，跳过")
        return
    first = ctx.communities[0]
    grids = [g for g in ctx.grids if g.code.startswith(first.code)]
    today = timezone.localdate(ctx.now)
    states = ["declared", "approved", "in_progress", "in_progress", "done", "stopped"]
    made = 0
    with batch():
        for i in range(20):
            title, kind, budget, steps = CATALOGUE[i % len(CATALOGUE)]
            # The first community's secretary runs most (the street approves); the street runs a few of its
            # own (the district approves).
            if i % 4 == 3:
                area, secretary, approver = ctx.streets[0], street_staff, district
            else:
                area = first if i % 2 == 0 or not grids else grids[i % len(grids)]
                secretary, approver = community_staff, street_staff
            target = states[i % len(states)]
            # Projects that have run longer started earlier; their milestones straddle today.
            start = today - dt.timedelta(days={"declared": 3, "approved": 10}.get(target, 40 + 5 * (i % 4)))
            unit = units[i % len(units)] if kind == "co_building" and units else None
            p = services.project_declare(
                by=secretary,
                area=area,
                title=title if i < len(CATALOGUE) else f"{title}（二期）",
                kind=kind,
                description=f"{area.name}{title}，面向辖区居民。",
                budget_yuan=Decimal(budget),
                unit_id=unit.pk if unit else None,
                owner_id=None if unit else secretary.pk,
                milestones=[{"title": t, "due_on": start + dt.timedelta(days=d)} for t, d in steps],
            )
            if target != "declared":
                services.project_approve(by=approver, project_id=p.pk)
            if target in ("in_progress", "done", "stopped"):
                services.project_start(by=secretary, project_id=p.pk)
            for m in p.milestones.order_by("due_on"):
                finish = target == "done" or (target == "in_progress" and m.due_on <= today and i % 3 != 0)
                if finish:
                    services.milestone_done(
                        by=secretary, project_id=p.pk, milestone_id=m.pk, evidence=EVIDENCE,
                        done_on=min(m.due_on, today),
                    )  # fmt: skip
            if target == "done":
                Project.objects.filter(pk=p.pk).update(state="done", done_at=ctx.now)
            if target == "stopped":
                services.project_stop(
                    by=secretary, project_id=p.pk, reason="选址与规划冲突，居民议事会决定暂缓"
                )
            made += 1
        flagged = services.flag_overdue(ctx.now)
    ctx.log(f"projects: {made} 个项目，{flagged['flagged']} 个逾期节点已提醒")
