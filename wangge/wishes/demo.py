"""Demo data for micro-wishes: three seasons, wishes in every status on the wall, claims by volunteers and
co-building units, units' resources (the three lists). Deterministic: draws only from ``ctx.rng``."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q

from wangge.core import pii
from wangge.core.audit import audit
from wangge.core.transactions import batch
from wangge.registry.models import Resident, Tagging

from . import services
from .models import Kind, Resource, Season, Wish, WishClaim

S = Wish.Status

# What each beneficiary asks for: (title, estimated value in yuan). Old people's wishes go to the old
# (独居/空巢老人), children's to the left-behind children (demo/tests/test_truthful.py checks both).
ELDER_GOODS = [
    ("一台收音机", 80),
    ("一副老花镜", 60),
    ("一床厚棉被", 150),
    ("一双防滑棉鞋", 90),
    ("一个电热水壶", 70),
    ("一台电风扇", 130),
    ("一根助行拐杖", 50),
    ("一个血压计", 160),
    ("一件羽绒服", 200),
    ("一台电饭煲", 150),
]
CHILD_GOODS = [
    ("一套儿童绘本", 120),
    ("一个新书包", 100),
    ("一套学习文具", 40),
    ("一盏护眼台灯", 80),
    ("一个足球", 60),
]
ELDER_SERVICES = [
    ("上门理发", 0),
    ("教我用智能手机视频通话", 0),
    ("陪同去医院复诊", 0),
    ("修理漏水的水龙头", 30),
    ("帮忙更换门锁", 50),
    ("一次家庭大扫除", 0),
    ("陪老人聊天读报", 0),
]
CHILD_SERVICES = [("周末辅导数学作业", 0)]
ELDER_REASONS = ["行动不便，子女在外地", "家里老物件坏了", "想让生活方便一些"]
CHILD_REASONS = ["孩子开学需要", "父母在外打工，想添点学习用品"]
RESOURCES = [
    ("爱心家电5台", Kind.GOODS, "小家电，可送货上门"),
    ("冬衣棉被20套", Kind.GOODS, "年底集中发放"),
    ("学习用品30份", Kind.GOODS, "书包、文具"),
    ("义诊服务", Kind.SERVICE, "每月一次，量血压、测血糖"),
    ("志愿维修队", Kind.SERVICE, "水电小修"),
    ("理发志愿服务", Kind.SERVICE, "每月第二个周六"),
    ("助老器具10件", Kind.GOODS, "拐杖、助行器、老花镜"),
    ("法律咨询", Kind.SERVICE, "公益律师坐班"),
]
CATEGORY = {"elderly_alone": "独居老人", "empty_nest": "空巢老人"}


def _beneficiaries(ctx: Any, limit: int) -> list[tuple[Resident, str]]:
    """Residents in care: the first community's grids first, so the demo community account sees them."""
    grids = sorted(ctx.grids, key=lambda g: (not g.code.startswith(ctx.communities[0].code), g.code))
    tokens = {pii.tag_token(code): code for code in ("elderly_alone", "left_behind_child")}
    empty_nest = pii.tag_token("empty_nest")
    out: list[tuple[Resident, str]] = []
    seen: set[int] = set()
    for grid in grids:
        rows = (
            Tagging.objects.filter(Q(token__in=tokens) | Q(token=empty_nest))
            .filter(
                Q(resident__household__house__building__area__code__startswith=grid.code)
                | Q(household__house__building__area__code__startswith=grid.code)
            )
            .select_related("resident__household__house__building__area", "household")
            .order_by("id")[:6]
        )
        for t in rows:
            if t.resident_id:
                r, code = t.resident, tokens.get(t.token, "")
            else:  # an empty-nest household: its head
                r = (
                    Resident.objects.filter(household=t.household, relation="head")
                    .select_related("household__house__building__area")
                    .first()
                )
                code = "empty_nest"
            if r is None or r.pk in seen:
                continue
            seen.add(r.pk)
            out.append((r, code))
            if len(out) >= limit:
                return out
    return out


def populate_demo(ctx: Any) -> None:
    # The demo builder runs every hook inside its own transaction: the use cases nest in it on purpose.
    with batch():
        _populate(ctx)


def _populate(ctx: Any) -> None:
    rng = ctx.rng
    now = ctx.now
    today = now.date()
    n_wishes = 48 if ctx.size == "small" else 240
    seasons = [
        Season.objects.create(
            number=1,
            name="春风暖心",
            starts_on=today - timedelta(days=300),
            ends_on=today - timedelta(days=200),
            active=False,
        ),
        Season.objects.create(
            number=2,
            name="金秋助学",
            starts_on=today - timedelta(days=199),
            ends_on=today - timedelta(days=60),
            active=False,
        ),
        Season.objects.create(number=3, name="冬日微光", starts_on=today - timedelta(days=59)),
    ]
    people = _beneficiaries(ctx, n_wishes)
    if not people:
        ctx.log("wishes: 没有找到关爱对象，跳过")
        return
    volunteers = [u for name, u in sorted(ctx.users.items()) if name.startswith("volunteer")]
    units = list(ctx.units.get("co_building", []))
    poster = {g.code: ctx.users.get(f"gridworker{i + 1:03d}") for i, g in enumerate(ctx.grids)}
    # Mostly open and done; a few of every other status so each page and filter shows something.
    plan = (
        [S.OPEN] * 14
        + [S.FULFILLED] * 14
        + [S.CLAIMED] * 5
        + [S.DELIVERING] * 4
        + [S.PENDING_REVIEW] * 4
        + [S.CLOSED, S.WITHDRAWN, S.REJECTED, S.EXPIRED, S.DRAFT, S.OPEN, S.FULFILLED, S.OPEN]
    )
    wishes: list[Wish] = []
    for_child: set[int] = set()  # positions of the children's wishes
    claims: list[WishClaim] = []
    for i in range(n_wishes):
        resident, code = people[i % len(people)]
        status = plan[i % len(plan)]
        child = code == "left_behind_child"
        if rng.random() < (0.8 if child else 0.4):
            title, value = rng.choice(CHILD_GOODS if child else ELDER_GOODS)
            kind = Kind.GOODS
        else:
            title, value = rng.choice(CHILD_SERVICES if child else ELDER_SERVICES)
            kind = Kind.SERVICE
        done = status in (S.FULFILLED, S.CLOSED, S.EXPIRED, S.REJECTED, S.WITHDRAWN)
        season = seasons[rng.randrange(2)] if done and rng.random() < 0.6 else seasons[2]
        created = now - timedelta(days=rng.randint(3, 50) if season is seasons[2] else rng.randint(70, 290))
        grid = resident.household.house.building.area
        grid_code = grid.code[:15]
        category = CATEGORY.get(code, "")  # 留守儿童 is sensitive (a minor): never shown publicly
        reviewed = status not in (S.DRAFT, S.PENDING_REVIEW)
        building = resident.household.house.building
        w = Wish(
            season=season,
            beneficiary=resident,
            area=grid,
            posted_by=poster.get(grid_code),
            on_behalf=True,
            title=title,
            reason=rng.choice(CHILD_REASONS if child else ELDER_REASONS),
            estimated_value=Decimal(value),
            kind=kind,
            deadline=(created + timedelta(days=60)).date()
            if status != S.EXPIRED
            else today - timedelta(days=2),
            status=status,
            public_category=category if reviewed else "",
            public_title=title if reviewed else "",
            public_label=services.make_public_label(resident=resident, title=title, category=category)
            if reviewed
            else "",
            reviewed_by=ctx.users.get("community") if reviewed else None,
            reviewed_at=created + timedelta(days=1) if reviewed else None,
            review_note="请补充具体需求" if status == S.REJECTED else "",
            opened_at=created + timedelta(days=1) if reviewed and status != S.REJECTED else None,
            fulfilled_at=created + timedelta(days=rng.randint(5, 20)) if status == S.FULFILLED else None,
            lat=building.lat if building.lat is not None else grid.center_lat,
            lng=building.lng if building.lng is not None else grid.center_lng,
        )
        if child:
            for_child.add(len(wishes))
        wishes.append(w)
    Wish.objects.bulk_create(wishes)
    for pos, w in enumerate(wishes):
        if w.status not in (S.CLAIMED, S.DELIVERING, S.FULFILLED):
            continue
        by_unit = units and rng.random() < 0.3
        user = None if by_unit else rng.choice(volunteers)
        claimed_at = (w.opened_at or now) + timedelta(days=rng.randint(0, 3))
        c = WishClaim(
            wish=w,
            claimant_user=user,
            claimant_unit=rng.choice(units) if by_unit else None,
            claimed_by=user or (ctx.users.get("volunteer001")),
            status=str(w.status),  # the claim states share these three names
            last_progress_at=min(now, claimed_at + timedelta(days=2)),
        )
        if w.status in (S.DELIVERING, S.FULFILLED):
            c.delivered_at = min(now, claimed_at + timedelta(days=2))
            c.delivery_note = "已当面送达，孩子很高兴" if pos in for_child else "已当面送达，老人很高兴"
        if w.status == S.FULFILLED:
            c.confirmed_at = w.fulfilled_at
            c.ended_at = w.fulfilled_at
            c.auto_confirmed = rng.random() < 0.2
        claims.append(c)
    WishClaim.objects.bulk_create(claims)
    paid = 0
    for c in claims:
        if c.status == "fulfilled" and c.claimant_user is not None:
            services._award_points(c, by=None)
            paid += 1
    resources = []
    for j, unit in enumerate(units):
        for k in range(2):
            title, kind, desc = RESOURCES[(2 * j + k) % len(RESOURCES)]
            community = ctx.communities[(j + k) % len(ctx.communities)]
            resources.append(
                Resource(
                    unit=unit,
                    community=community,
                    title=title,
                    kind=kind,
                    description=desc,
                    quantity=rng.randint(1, 30),
                    lat=community.center_lat,
                    lng=community.center_lng,
                )
            )
    Resource.objects.bulk_create(resources)
    audit("import", None, by=None, object_type="wishes.wish", note=f"demo: {len(wishes)} wishes")
    ctx.log(
        f"wishes: {len(seasons)} 季，{len(wishes)} 个心愿，{len(claims)} 个认领，{len(resources)} 项资源，"
        f"{paid} 笔积分"
    )
