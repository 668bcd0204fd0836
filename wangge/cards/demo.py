"""Demo data for the 便民服务卡: each community's service hotline (Hai'an numbers: 0513 and eight digits
starting 88) and each grid worker post's work phone, so every household's card prints complete."""

from __future__ import annotations

import random
from typing import Any

from wangge.accounts.models import Post
from wangge.areas.models import Area


def populate_demo(ctx: Any) -> None:
    # A generator of our own: the shared ``ctx.rng`` sequence of the hooks after this one stays as it was.
    rng = random.Random(6)
    used: set[str] = set()

    def unique(make: Any) -> str:
        while True:
            value = make()
            if value not in used:
                used.add(value)
                return str(value)

    communities = list(ctx.communities)
    for c in communities:
        c.hotline = unique(lambda: f"0513-88{rng.randrange(10**6):06d}")
    Area.objects.bulk_update(communities, ["hotline"])
    posts = list(Post.objects.filter(kind=Post.Kind.GRID_WORKER, active=True).order_by("pk"))
    for p in posts:
        # Work phones are mobiles the street issues to its grid workers (one number block per district).
        p.work_phone = unique(lambda: f"1390627{rng.randrange(10**4):04d}")
    Post.objects.bulk_update(posts, ["work_phone"])
    ctx.log(f"cards: {len(communities)} 个社区服务热线，{len(posts)} 名网格员工作电话")
