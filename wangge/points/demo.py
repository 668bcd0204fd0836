"""Demo data for points: a rewards catalogue per focus community (and one per co-building unit) with stock,
and a few redemptions paid from the points earned in the volunteers demo. Deterministic (``ctx.rng``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from wangge.accounts.models import Post
from wangge.core.transactions import batch

from . import services
from .models import PointAccount

ITEMS = [
    ("洗衣液", 60, 30, 2),
    ("环保购物袋", 20, 100, 3),
    ("电影票", 120, 10, 1),
    ("理发券", 40, 40, 2),
    ("大米5kg", 150, 20, 1),
    ("充电宝", 200, 8, 1),
]


def populate_demo(ctx: Any) -> None:
    # The demo builder runs every hook inside its own transaction: the use cases nest in it on purpose.
    with batch():
        _populate(ctx)


def _populate(ctx: Any) -> None:
    rng = ctx.rng
    focus = ctx.communities[: max(2, min(6, len(ctx.communities)))]
    rewards = []
    for community in focus:
        post = Post.objects.filter(Q(area=community), active=True).select_related("user").first()
        by = post.user if post else ctx.users["district"]
        for name, price, stock, limit in rng.sample(ITEMS, k=4):
            rewards.append(
                services.reward_create(
                    name=name, price=price, stock=stock, per_person_limit=limit, area=community, by=by
                )
            )
    for unit in ctx.units.get("co_building", [])[:3]:
        rewards.append(
            services.reward_create(
                name=f"{unit.name}开放日参观",
                price=80,
                stock=15,
                per_person_limit=1,
                unit=unit,
                area=unit.area,
                by=ctx.users["district"],
            )
        )
    redeemed = 0
    for account in PointAccount.objects.filter(balance__gte=40).select_related("user").order_by("id")[:15]:
        affordable = [r for r in rewards if r.price <= account.balance]
        if not affordable:
            continue
        try:
            services.reward_redeem(reward_id=rng.choice(affordable).pk, user=account.user)
            redeemed += 1
        except Exception:  # a limit or stock reached in the demo: skip
            continue
    ctx.log(f"积分：{len(rewards)} 件兑换物品，{redeemed} 笔兑换")
