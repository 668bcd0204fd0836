"""Demo data for deliberation, after the seeds:

- 盛世名门 (Hai'an, 旺池社区第一网格): neighbours quarrelled over dogs off the leash; the grid branch called a
  "文明养犬睦邻里" grid council, which agreed the 网格养犬公约 — here the first grid's council adopts it (two
  versions), publishes it, and residents acknowledge it;
- a community council meeting on e-bike charging whose resolution became a case (苏中尚城's charging
  station), another resolution followed up by the secretary, a third a volunteer task;
- a resident proposal that gathered its supports and sits on the next grid meeting's agenda, and one that
  is still collecting;
- mediations in the first community: neighbours, a family, a property company; mediators from the grid
  worker to the 老娘舅 panel; agreements, referrals, follow-up visits.

Everything goes through the services (with past clocks where the story is in the past).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from wangge.accounts.models import User
from wangge.accounts.roles import Role
from wangge.core import pii
from wangge.demo import names
from wangge.registry.models import Resident

from . import services
from .models import CouncilMember, Mediator

DOG_V1 = """盛世名门小区网格养犬公约（草案）
一、文明出行：遛犬须拴绳，牵引绳长度不超过1.5米，主动避让老人、儿童和孕妇。
二、清洁卫生：随身携带拾便袋，及时清理犬只粪便。
三、安静有序：犬只吠叫扰民时主人应及时制止，22:00后不在楼道、电梯内逗留。
四、依法登记：犬只按规定办理登记，按时接种狂犬病疫苗。"""

DOG_V2 = (
    DOG_V1.replace("（草案）", "")
    + """
五、电梯礼让：携犬乘电梯须抱起或收短牵引绳，他人拒绝同乘时主动等候下一趟。
六、互相监督：居民发现不文明养犬行为可向网格员反映，由网格党支部、楼栋长上门劝导。
本公约经网格协商议事会表决通过，自公布之日起施行。"""
)

MEDIATIONS = [
    # kind, matter, respondent is a company, mediator kind, outcome, terms / referred to, kept on the visit
    (
        "neighbour",
        "楼上卫生间渗水殃及楼下天花板",
        False,
        "grid_worker",
        "agreement",
        "楼上一周内重做防水，赔偿楼下粉刷费800元",
        True,
    ),
    (
        "neighbour",
        "犬只夜间吠叫扰邻",
        False,
        "elder_arbiter",
        "agreement",
        "夜间将犬只关在室内，遛犬拴绳，双方互留电话",
        True,
    ),
    (
        "neighbour",
        "公共楼道堆放杂物占用通道",
        False,
        "grid_worker",
        "agreement",
        "三日内清理杂物，楼道不再堆放",
        True,
    ),
    (
        "family",
        "赡养老人费用分担",
        False,
        "laoniangjiu",
        "agreement",
        "兄弟二人每月各承担老人生活费1000元，轮流照顾",
        True,
    ),
    (
        "property",
        "电梯长期故障物业维修不及时",
        True,
        "three_officials",
        "agreement",
        "物业15日内更换电梯主板，减免业主一个月物业费",
        False,
    ),
    (
        "company",
        "装修公司拖延工期拒退预付款",
        True,
        "three_officials",
        "referred_court",
        "海安市人民法院",
        None,
    ),
    (
        "neighbour",
        "车位被邻居长期占用",
        False,
        "elder_arbiter",
        "referred_department",
        "区住房和城乡建设局",
        None,
    ),
    ("neighbour", "空调外机噪音与滴水", False, "grid_worker", "failed", "", None),
    ("property", "物业费上涨争议", True, "laoniangjiu", "", "", None),
    ("family", "宅基地边界争议", False, "peoples_mediator", "", "", None),
]

MEDIATOR_NAMES = {
    "grid_worker": None,  # the grid's own worker
    "elder_arbiter": "长者评理员",
    "three_officials": "三官一律工作室",
    "laoniangjiu": "老娘舅调解团",
    "peoples_mediator": "人民调解员",
}


def _at(now: dt.datetime, days: float, hour: int = 19) -> dt.datetime:
    return timezone.localtime(now - dt.timedelta(days=days)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )


def _resident_accounts(ctx: Any, grid: Any, count: int) -> list[User]:
    """Give ``count`` adult residents of ``grid`` an account (residents who use the phone pages)."""
    rows = list(
        Resident.objects.filter(household__house__building__area=grid, account__isnull=True, active=True)
        .filter(birth_date__year__lte=2005)
        .order_by("id")[:count]
    )
    pw = make_password(ctx.password)
    users = [
        User(
            username=f"resident{grid.code[-3:]}{i + 1:02d}",
            role=Role.RESIDENT,
            password=pw,
            display_name=r.name,
            # A mobile number like every demo account (so phone login works): 135 + the resident's id.
            phone=f"135{r.pk:08d}",
            phone_hash=pii.phone_hash(f"135{r.pk:08d}"),
        )
        for i, r in enumerate(rows)
    ]
    User.objects.bulk_create(users)
    for user, r in zip(users, rows, strict=True):
        Resident.objects.filter(pk=r.pk).update(account=user)
    return users


def populate_demo(ctx: Any) -> None:
    rng = ctx.rng
    now = ctx.now
    community = ctx.communities[0]
    grids = [g for g in ctx.grids if g.code.startswith(community.code)]
    grid = grids[0]
    secretary = ctx.users["community"]
    worker = ctx.users["gridworker001"]
    me = ctx.users["resident"]
    neighbours = _resident_accounts(ctx, grid, 14)

    # --- councils -------------------------------------------------------------------------------------
    grid_council = services.council_create(
        name=f"{grid.name}党群议事会", area=grid, proposal_threshold=8, by=secretary
    )
    services.council_member_add(
        council=grid_council, user=worker, role=CouncilMember.Role.CONVENOR, by=secretary
    )
    services.council_member_add(council=grid_council, user=me, note="居民代表", by=secretary)
    for i, u in enumerate(neighbours[:6]):
        note = ["楼栋长", "在职党员", "养犬居民代表", "居民代表", "老党员", "物业代表"][i]
        services.council_member_add(council=grid_council, user=u, note=note, by=secretary)
    community_council = services.council_create(
        name=f"{community.name}党群议事会", area=community, proposal_threshold=30, by=secretary
    )
    services.council_member_add(
        council=community_council, user=secretary, role=CouncilMember.Role.CONVENOR, by=secretary
    )
    for g in grids[:6]:
        u = ctx.users.get(f"gridworker{ctx.grids.index(g) + 1:03d}")
        if u is not None and u.pk != secretary.pk:
            services.council_member_add(
                council=community_council, user=u, note=f"{g.name}网格员", by=secretary
            )
    services.council_member_add(council=community_council, user=me, note="居民代表", by=secretary)

    # --- the dog convention (盛世名门) ---------------------------------------------------------------------
    t0 = _at(now, 45)
    dog_meeting = services.meeting_create(
        council=grid_council,
        title="文明养犬睦邻里·网格协商议事会",
        starts_at=t0,
        place="盛世名门小区党群服务站",
        by=worker,
        now=t0 - dt.timedelta(days=5),
    )
    item = services.agenda_add(
        meeting=dog_meeting,
        title="不文明养犬引发邻里纠纷，如何约定",
        description="近两月网格内接到犬只未拴绳、随地便溺、夜间吠叫反映十余起。",
        by=worker,
    )
    services.meeting_notify(meeting=dog_meeting, by=worker, now=t0 - dt.timedelta(days=3))
    for u in [worker, me, *neighbours[:6]]:
        services.meeting_sign_in(meeting=dog_meeting, by=u, code=dog_meeting.signin_code, now=t0)
    convention = services.convention_create(
        council=grid_council,
        title="盛世名门小区网格养犬公约",
        text=DOG_V1,
        by=worker,
        note="议事会前征求意见稿",
    )
    services.convention_revise(
        convention=convention, text=DOG_V2, by=worker, note="采纳议事会意见：增加电梯礼让、互相监督两条"
    )
    resolution = services.resolution_add(
        meeting=dog_meeting,
        agenda_item=item,
        text="表决通过《盛世名门小区网格养犬公约》（第2版），张贴于各单元门口，网格员和楼栋长劝导落实。",
        votes_for=7,
        votes_against=0,
        votes_abstain=1,
        by=worker,
        now=t0 + dt.timedelta(hours=1),
    )
    services.meeting_record_minutes(
        meeting=dog_meeting,
        minutes=(
            "到会8人（网格员、楼栋长、在职党员、养犬居民和不养犬居民代表、物业代表）。\n"
            "养犬居民代表表示愿意遛犬拴绳、随手清理；不养犬居民希望电梯内礼让。\n"
            "经民主协商形成公约第2版，举手表决7票赞成、1票弃权，通过。"
        ),
        by=worker,
        now=t0 + dt.timedelta(hours=2),
    )
    convention = services.convention_adopt(
        convention=convention, resolution=resolution, by=worker, now=t0 + dt.timedelta(days=1)
    )
    for u in [me, *neighbours[: 6 + rng.randint(2, 6)]]:
        services.convention_acknowledge(convention=convention, by=u)

    # --- the community council: e-bike charging ------------------------------------------------------------
    t1 = _at(now, 20)
    c_meeting = services.meeting_create(
        council=community_council,
        title=f"{community.name}居民议事会：电动车充电难",
        starts_at=t1,
        place=f"{community.name}党群服务中心",
        by=secretary,
        now=t1 - dt.timedelta(days=4),
    )
    services.agenda_add(
        meeting=c_meeting,
        title="电动车楼道充电隐患与集中充电棚选址",
        description="物业、供电公司列席",
        by=secretary,
    )
    services.agenda_add(meeting=c_meeting, title="楼道杂物清理", by=secretary)
    services.meeting_notify(meeting=c_meeting, by=secretary, now=t1 - dt.timedelta(days=2))
    for m in CouncilMember.objects.filter(council=community_council).select_related("user"):
        if rng.random() < 0.85:
            services.meeting_sign_in(
                meeting=c_meeting,
                by=m.user,
                code=c_meeting.signin_code,
                now=t1 + dt.timedelta(minutes=rng.randint(-20, 10)),
            )
    r1 = services.resolution_add(
        meeting=c_meeting,
        text="在小区北侧空地建设电动车集中充电棚（40个充电口），社区报街道协调供电公司接电，物业负责日常管理。",
        votes_for=9,
        votes_against=1,
        by=secretary,
        now=t1 + dt.timedelta(hours=1),
    )
    services.resolution_to_case(
        resolution=r1, category="SQ0301", by=secretary, now=t1 + dt.timedelta(hours=2)
    )
    r2 = services.resolution_add(
        meeting=c_meeting,
        text="充电棚建成前，物业每日巡查楼道，劝离飞线充电；社区书记牵头跟进。",
        by=secretary,
        now=t1 + dt.timedelta(hours=1, minutes=10),
    )
    follow_up = services.resolution_follow_up(
        resolution=r2, owner=secretary, due_on=(t1 + dt.timedelta(days=30)).date(), by=secretary
    )
    services.follow_up_update(
        follow_up=follow_up,
        state="in_progress",
        note="物业已安排每日晚间巡查，劝离飞线充电12起",
        by=secretary,
    )
    r3 = services.resolution_add(
        meeting=c_meeting,
        text="组织党员志愿者周末清理楼道杂物",
        by=secretary,
        now=t1 + dt.timedelta(hours=1, minutes=20),
    )
    local = timezone.localtime(now)
    sat = (local + dt.timedelta(days=(5 - local.weekday()) % 7 or 7)).replace(
        hour=8, minute=30, second=0, microsecond=0
    )
    services.resolution_to_task(
        resolution=r3,
        title="楼道杂物清理（议事会决议）",
        starts_at=sat,
        ends_at=sat + dt.timedelta(hours=3),
        capacity=12,
        by=secretary,
    )
    services.meeting_record_minutes(
        meeting=c_meeting,
        minutes="到会居民代表、网格员、物业、供电公司列席。议定充电棚选址小区北侧空地；楼道杂物周末集中清理。",
        by=secretary,
        now=t1 + dt.timedelta(hours=2),
    )

    # --- the next grid meeting and residents' proposals -------------------------------------------------------
    t2 = timezone.localtime(now + dt.timedelta(days=6)).replace(hour=19, minute=0, second=0, microsecond=0)
    upcoming = services.meeting_create(
        council=grid_council,
        title="网格议事会（月度）",
        starts_at=t2,
        place="盛世名门小区党群服务站",
        by=worker,
        now=now,
    )
    services.meeting_notify(meeting=upcoming, by=worker, now=now)
    reached = services.proposal_create(
        by=me,
        title="消防通道划线并禁止停车",
        body="小区消防通道常被私家车占用，上周救护车进不来。建议划黄色网格线、设置禁停标识，物业加强巡查。",
        scope="grid",
    )
    for u in neighbours[:9]:
        services.proposal_support(proposal=reached, by=u, now=now)
    collecting = services.proposal_create(
        by=neighbours[7],
        title="增设公共晾晒架",
        body="小区南侧空地闲置，建议增设公共晾晒架，方便老人晾晒被褥。",
        scope="grid",
    )
    for u in [me, *neighbours[8:10]]:
        services.proposal_support(proposal=collecting, by=u, now=now)
    services.proposal_create(
        by=neighbours[8],
        title="社区增设老年助餐点",
        body="社区独居老人多，建议在党群服务中心开设老年助餐点，低保和高龄老人优惠。",
        scope="community",
    )

    # --- mediation ------------------------------------------------------------------------------------------
    people = list(
        Resident.objects.filter(household__house__building__area__in=grids, active=True)
        .order_by("id")
        .values_list("id", "name")[: len(MEDIATIONS) * 6]
    )
    companies = [u.name for u in ctx.units.get("property_company", [])] or ["海安某物业服务有限公司"]
    for i, (kind, matter, company, mediator_kind, outcome, detail, kept) in enumerate(MEDIATIONS):
        g = grids[i % min(len(grids), 4)]
        gi = ctx.grids.index(g)
        staff = ctx.users.get(f"gridworker{gi + 1:03d}") or secretary
        opened = _at(now, 60 - i * 5, hour=10)
        a, b = people[i * 2], people[i * 2 + 1]
        respondent: dict[str, Any] = (
            {
                "name": companies[i % len(companies)] if kind == "property" else "海安某装饰工程有限公司",
                "kind": "company",
            }
            if company
            else {"name": b[1], "phone": names.phone(rng)}
        )
        d = services.dispute_open(
            area=g,
            kind=kind,
            matter=matter,
            parties=[
                {"name": a[1], "phone": names.phone(rng), "side": "applicant"},
                {**respondent, "side": "respondent"},
            ],
            by=staff,
            now=opened,
        )
        name = MEDIATOR_NAMES[mediator_kind] or str(staff)
        if mediator_kind in ("elder_arbiter", "laoniangjiu"):
            name = f"{names.person_name(rng, rng.random() < 0.6, 1952)}（{name}）"
        services.mediator_add(
            dispute=d,
            kind=mediator_kind,
            user=staff if mediator_kind == "grid_worker" else None,
            name=name,
            lead=True,
            by=staff,
        )
        if mediator_kind != "grid_worker":
            services.mediator_add(dispute=d, kind=Mediator.Kind.GRID_WORKER, user=staff, by=staff)
        sessions = rng.randint(1, 3)
        for s in range(sessions):
            services.session_record(
                dispute=d,
                notes=[
                    "双方到场陈述，调解员释法明理",
                    "实地查看，听取楼栋长意见",
                    "背靠背分别做工作，双方各退一步",
                ][s],
                held_at=opened + dt.timedelta(days=2 + s * 3, hours=5),
                place=f"{g.name}调解室",
                by=staff,
            )
        if not outcome:
            continue
        closed_at = opened + dt.timedelta(days=2 + sessions * 3, hours=8)
        services.dispute_close(
            dispute=d,
            outcome=outcome,
            terms=detail if outcome == "agreement" else "",
            referred_to=detail if outcome.startswith("referred") else "",
            by=staff,
            now=closed_at,
        )
        if kept is not None:
            services.visit_record(
                dispute=d,
                note="协议已履行，双方关系缓和" if kept else "物业尚未更换主板，已督促并报社区跟进",
                kept=kept,
                visited_at=closed_at + dt.timedelta(days=10),
                by=staff,
            )
    ctx.log(f"deliberation: 2 个议事会、3 次会议、1 部公约、3 条居民提议、{len(MEDIATIONS)} 件纠纷调解")
