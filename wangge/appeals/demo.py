"""Demo cases for the demo district: a few months of the case loop, run through the real services on a
simulated clock so that every timestamp, deadline, timeline entry and notification is what the system
itself would have written.

How it works: each case has a *life* (a generator) that yields the time of its next step and then performs
that step through ``wangge.appeals.services`` with ``now=<that time>``. A scheduler runs all lives in
global time order and calls the periodic job (``appeals_tick``) every ``TICK_HOURS`` of simulated time, so
warnings, escalations (超期升级, 督办 cards) and auto-closes happen on their own, as they would in production.
Steps that would fall after ``ctx.now`` are never taken: recent cases naturally stay submitted, dispatched,
in progress or awaiting a rating. No timestamps are adjusted afterwards (the services take ``now``); the only
exceptions are the rows that have no ``now`` (notifications' ``created_at``), which keep the load time.

``populate_demo(ctx)`` is called by ``wangge demo`` (see ``wangge.demo.context``). Sizes: ``small`` makes
``SMALL_CASES`` cases over ``SMALL_DAYS`` days; ``district`` makes ``DISTRICT_CASES`` over ``DISTRICT_DAYS``.
The benchmark's 1,000,000 cases are bulk-inserted by the benchmark itself, not here.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password

from wangge.accounts.models import Post, Unit, User
from wangge.accounts.roles import Role, user_can
from wangge.areas.geo import parse_boundary
from wangge.core import pii
from wangge.core.errors import ServiceError

from . import services
from .models import Appeal, Category, HandlerType, State

SMALL_CASES, SMALL_DAYS = 320, 90
DISTRICT_CASES, DISTRICT_DAYS = 2000, 180
TICK_HOURS = 12

# Channel mix: (channel, weight). Resident channels are reported by residents/volunteers; the others by staff.
CHANNELS = [
    ("resident_web", 30),
    ("phone", 15),
    ("snapshot", 10),
    ("patrol", 20),
    ("staff_entry", 12),
    ("hotline_12345", 10),
    ("rider_volunteer", 3),
]
# What happens to a case (besides the time running out): (fate, weight).
FATES = [
    ("normal", 57),
    ("backlog", 3),  # the dispatcher is slow to open it: recent ones still wait on the board
    ("slow", 8),  # resolves well after the deadline
    ("stuck", 3),  # never resolves: stays overdue and escalates
    ("cancel", 3),
    ("duplicate", 3),  # a second report of the same thing is merged into it
    ("return", 4),  # the first handler returns it (退单); re-dispatched to the grid
    ("check_fail", 4),  # the on-site check fails once (返工)
    ("dissatisfied", 5),  # the resident is dissatisfied once (重办)
    ("whistle", 5),  # 吹哨报到: a department is summoned
    ("urge", 3),
    ("extend", 3),
    ("hold", 2),
    ("unrated", 6),  # nobody rates: closes automatically after N days
]
# What residents write, per subcategory (code → texts; "{n}" is a place). A case's text is always drawn from
# its own category's list, so a case filed as 路灯 never reads like a rubbish complaint (demo/tests/test_truthful.py).
CASE_TEXTS = {
    "SJ0101": ["{n}路边有暴露垃圾，气味很大", "{n}旁边垃圾堆了好几天没人清理"],
    "SJ0102": ["{n}附近堆放建筑渣土", "{n}旁积存的垃圾渣土一直没清运"],
    "SJ0103": ["{n}路面有油污，走路打滑", "{n}门前道路不洁，满地废弃物"],
    "SJ0104": ["{n}旁边河道漂浮垃圾", "{n}附近水面不洁，有塑料袋漂着"],
    "SJ0201": ["{n}墙面贴满小广告", "{n}电线杆上有人涂写小广告"],
    "SJ0202": ["{n}新装了一块户外广告牌，不知道有没有审批", "{n}的户外广告挡住了窗户"],
    "SJ0301": ["{n}有人违法建设，在搭彩钢棚", "{n}有人私自加盖房屋，疑似违法建设"],
    "SJ0302": ["{n}工地夜间施工，噪音扰民", "{n}施工扬尘很大，窗户都不敢开"],
    "SJ0303": ["{n}路面破损，有个大坑", "{n}道路坑槽积水，电动车容易摔"],
    "SJ0401": ["{n}路面塌陷了一块，很危险", "{n}附近地面下沉塌陷"],
    "SJ0402": ["{n}自来水管破裂，路上都是水", "{n}附近供水管道爆了，一直在跑水"],
    "SJ0403": ["{n}楼道里有人飞线充电，有火灾隐患", "{n}楼道堆放易燃物，火灾隐患大"],
    "SJ0501": ["{n}有流动摊贩无照经营", "{n}门口游商摆摊卖水果，影响通行"],
    "SJ0502": ["{n}沿街店铺占道经营", "{n}的店家把货摆到人行道上经营"],
    "SJ0503": ["{n}门口车辆乱停，堵住消防通道", "{n}人行道上停满了机动车"],
    "SJ0601": ["{n}有其他事件需要处置：一棵树枝挂着电线", "{n}有其他事件：共享单车堆成一片"],
    "BJ0101": ["{n}上水井盖缺失，有安全隐患", "{n}的上水井盖破损移位"],
    "BJ0102": ["{n}污水井盖丢了，晚上很危险", "{n}污水井盖破损，有异味冒出"],
    "BJ0103": ["{n}一段路灯不亮，连着好几盏", "{n}路灯晚上全黑"],
    "BJ0104": ["{n}消防栓损坏漏水", "{n}消防栓被撞歪了"],
    "BJ0201": ["{n}路口交通信号灯不亮", "{n}的信号灯故障，一直闪黄灯"],
    "BJ0202": ["{n}道路护栏损坏", "{n}护栏倒伏在路边"],
    "BJ0301": ["{n}垃圾箱满溢没人清", "{n}的垃圾箱破损了"],
    "BJ0302": ["{n}公共厕所卫生差", "{n}公厕水龙头坏了"],
    "BJ0401": ["{n}行道树倒伏，挡住了路", "{n}行道树枝叶太低，影响通行"],
    "BJ0402": ["{n}绿地被人占了种菜", "{n}绿地毁损，草都被踩秃了"],
    "BJ0501": ["{n}有一栋老房子墙体开裂，疑似危房", "{n}危房屋顶塌了一角"],
    "BJ0601": ["{n}健身器材坏了，老人用着不安全", "{n}健身设施的单杠松动"],
    "SQ0101": ["{n}楼道灯不亮，晚上进出不安全", "{n}楼道灯损坏一个多月了"],
    "SQ0102": ["{n}物业保洁不到位，楼道很脏", "{n}物业服务差，门岗经常没人"],
    "SQ0201": ["小区{n}停车混乱，车位被占", "小区{n}有人长期占用别人的停车位"],
    "SQ0301": ["{n}缺少电动车充电桩，只能飞线充电", "{n}充电设施坏了，没法充电"],
    "SQ0401": ["{n}有人遛狗不拴绳，吓到小孩", "{n}养犬人不清理狗的便溺"],
    "SQ0501": ["楼下{n}有人深夜噪音扰民", "{n}的店铺音响太响，噪音扰民"],
    "SQ0601": ["{n}两户邻里因漏水起纠纷，需要调解", "{n}邻里矛盾：楼上楼下为晾衣服吵架"],
    "SQ0701": ["{n}单元电梯经常停运", "{n}电梯故障，昨天还困了人"],
    "SQ0702": ["{n}老楼居民想加装电梯", "{n}加装电梯的事想请社区协调"],
    "SQ0801": ["{n}下水管道堵塞，污水冒出来", "{n}楼道管道漏水"],
    "SQ0901": ["小区{n}路灯不亮", "小区{n}附近道路照明坏了"],
    "SQ1001": ["{n}楼道堆物，堵住消防通道", "{n}楼道里堆满杂物"],
    "FW0101": ["{n}的独居老人行动不便，想请人代办医保报销", "{n}的王阿姨想请人陪办老年证"],
    "SQ1002": ["小区{n}垃圾没有及时清运", "小区{n}的垃圾清运不及时，已经满出来了"],
}
GENERIC_TEXTS = ["{n}有个问题需要处理", "{n}发现问题，请尽快处理"]
PLACES = ["东门", "南门", "3号楼", "5号楼", "菜场", "幼儿园", "公交站", "健身广场", "停车场", "北区"]


def _weighted(rng: Any, items: list[tuple[str, int]]) -> str:
    return rng.choices([k for k, _ in items], weights=[w for _, w in items], k=1)[0]


@dataclass
class _People:
    """Who does what in the demo district."""

    grid_worker: dict[str, User]  # grid code → grid worker
    area_staff: list[User]  # community, street, district staff (dispatchers and supervisors)
    residents: list[User]
    hotline: User | None
    unit_member: dict[int, User]  # unit id → a member who acts for it
    departments: list[Unit]
    stats: Counter[str] = field(default_factory=Counter)

    def dispatcher(self, appeal: Appeal) -> User | None:
        candidates = [self.grid_worker.get(appeal.area_code[:15])] + self.area_staff
        return next((u for u in candidates if u is not None and services.can_dispatch(u, appeal)), None)

    def supervisor(self, appeal: Appeal) -> User | None:
        return next((u for u in self.area_staff if services.can_supervise(u, appeal)), None)

    def lead(self, appeal: Appeal) -> User | None:
        if appeal.lead_user_id:
            return appeal.lead_user
        return self.unit_member.get(appeal.lead_unit_id or -1)

    def checker(self, appeal: Appeal) -> User | None:
        gw = self.grid_worker.get(appeal.area_code[:15])
        return gw or next((u for u in self.area_staff if user_can(u, "appeals.check")), None)


def _people(ctx: Any) -> _People:
    users: dict[str, User] = ctx.users
    grid_worker: dict[str, User] = {}
    for post in Post.objects.filter(kind=Post.Kind.GRID_WORKER, active=True).select_related("user", "area"):
        grid_worker.setdefault(post.area.code, post.user)
    area_staff = [users[n] for n in ("community", "street", "district") if n in users]
    residents = [u for n, u in sorted(users.items()) if u.role in (Role.RESIDENT, Role.VOLUNTEER)]
    handling = [u for kind in ("department", "property_company") for u in ctx.units.get(kind, [])]
    members: dict[int, User] = {}
    for u in User.objects.filter(unit__in=handling, is_active=True).order_by("id"):
        members.setdefault(u.unit_id, u)  # type: ignore[arg-type]
    # Units without an account get one staff account each, so their cases can be acknowledged and resolved.
    missing = [u for u in handling if u.pk not in members]
    if missing:
        pw = make_password(ctx.password)
        new = [
            User(
                username=f"unitstaff{u.pk:03d}",
                role=Role.DEPARTMENT_STAFF if u.kind == Unit.Kind.DEPARTMENT else Role.PROPERTY_STAFF,
                password=pw,
                display_name=f"{u.name[:20]}值班员",
                unit=u,
                # A mobile number like every demo account (so phone login works): 136 + the unit's id.
                phone=f"136{u.pk:08d}",
                phone_hash=pii.phone_hash(f"136{u.pk:08d}"),
            )
            for u in missing
        ]
        User.objects.bulk_create(new)
        for user in User.objects.filter(username__in=[n.username for n in new]):
            members[user.unit_id] = user  # type: ignore[index]
    return _People(
        grid_worker=grid_worker,
        area_staff=area_staff,
        residents=residents or area_staff,
        hotline=users.get("district"),
        unit_member=members,
        departments=list(ctx.units.get("department", [])),
    )


class _Points:
    """Random points inside each grid (rejection sampling in the grid's bounding box)."""

    def __init__(self, rng: Any, grids: list[Any]) -> None:
        self.rng = rng
        self.shapes = {}
        for g in grids:
            if g.boundary:
                try:
                    self.shapes[g.code] = parse_boundary(g.boundary)
                except ValueError:
                    continue
        self.codes = sorted(self.shapes)

    def sample(self, code: str) -> tuple[float, float]:
        from shapely.geometry import Point

        geom = self.shapes[code]
        minx, miny, maxx, maxy = geom.bounds
        for _ in range(50):
            lng, lat = self.rng.uniform(minx, maxx), self.rng.uniform(miny, maxy)
            if geom.contains(Point(lng, lat)):
                return lat, lng
        c = geom.representative_point()
        return c.y, c.x


def _department_for(category: Category, departments: list[Unit]) -> Unit | None:
    """The register's department for a category (the demo's names carry the city: 海安市城市管理局)."""
    if not category.department_name:
        return None
    return next((d for d in departments if category.department_name in d.name), None)


Life = Generator[dt.datetime, None, None]


def _hours(rng: Any, lo: float, hi: float) -> dt.timedelta:
    return dt.timedelta(hours=rng.uniform(lo, hi))


def _life(
    ctx: Any, people: _People, points: _Points, cats: list[Category], n: int, start: dt.datetime
) -> Life:
    """One case from report to close. Yields the time of each next step, then takes it."""
    rng = ctx.rng
    s = people.stats
    fate = _weighted(rng, FATES)
    channel = _weighted(rng, CHANNELS)
    grid_code = rng.choice(points.codes)
    lat, lng = points.sample(grid_code)
    cat = rng.choice(cats)
    text = rng.choice(CASE_TEXTS.get(cat.code, GENERIC_TEXTS)).format(n=rng.choice(PLACES))
    if channel in ("patrol", "staff_entry"):
        reporter = people.grid_worker.get(grid_code) or people.area_staff[0]
    elif channel == "hotline_12345":
        reporter = people.hotline or people.area_staff[-1]
    else:
        reporter = rng.choice(people.residents)
    t = start
    yield t
    appeal, _ = services.appeal_submit(
        by=reporter,
        category=cat.code,
        description=text,
        channel=channel,
        kind=rng.choice(["problem"] * 6 + ["help", "service"]),
        lat=lat,
        lng=lng,
        address=f"{rng.choice(PLACES)}附近",
        anonymous=rng.random() < 0.05,
        external_ref=f"12345-{start:%Y%m%d}{n:05d}" if channel == "hotline_12345" else "",
        reporter_phone=f"139{rng.randrange(10**8):08d}" if channel == "hotline_12345" else "",
        idempotency_key=f"demo-{n}",
        now=t,
    )
    pk = appeal.pk
    s["submitted"] += 1

    def fresh() -> Appeal:
        return Appeal.objects.select_related("category", "lead_user").get(pk=pk)

    if fate == "duplicate":
        t += _hours(rng, 1, 20)
        yield t
        dup, _ = services.appeal_submit(
            by=rng.choice(people.residents),
            category=cat.code,
            description=text + "（又有人反映）",
            channel="resident_web",
            lat=lat + 0.0001,
            lng=lng,
            idempotency_key=f"demo-{n}-dup",
            now=t,
        )
        t += _hours(rng, 0.2, 2)
        yield t
        who = people.dispatcher(dup)
        if who:
            services.appeal_merge(appeal_id=dup.pk, into_id=pk, by=who, note="同一问题，合并办理", now=t)
            s["merged"] += 1

    # 立案 (self-verified channels are opened on submit).
    if fresh().state == State.SUBMITTED:
        t += _hours(rng, 20, 80) if fate == "backlog" else _hours(rng, 0.2, 3)
        yield t
        a = fresh()
        who = people.dispatcher(a)
        if who is None:
            return
        if fate == "cancel":
            services.appeal_cancel(appeal_id=pk, by=who, reason="经核实不属实", now=t)
            s["cancelled"] += 1
            return
        services.appeal_accept(appeal_id=pk, by=who, note="情况属实，予以立案", now=t)

    # 派遣, to the suggested handler (or the register's department, or the grid).
    t += _hours(rng, 10, 60) if fate == "backlog" else _hours(rng, 0.1, 2)
    yield t
    a = fresh()
    who = people.dispatcher(a)
    if who is None:
        return
    lead_unit = (
        _department_for(a.category, people.departments)
        if a.category.handler_type == HandlerType.DEPARTMENT
        else None
    )
    try:
        services.appeal_dispatch(
            appeal_id=pk, by=who, lead_unit_id=lead_unit.pk if lead_unit else None, now=t
        )
    except ServiceError:  # the register names nobody: the grid worker leads
        gw = people.grid_worker.get(a.area_code[:15])
        if gw is None:
            return
        services.appeal_dispatch(appeal_id=pk, by=who, lead_user_id=gw.pk, now=t)
    s["dispatched"] += 1

    if fate == "return":
        t += _hours(rng, 0.5, 4)
        yield t
        a = fresh()
        handler = people.lead(a)
        if handler is None:
            return
        services.appeal_return(appeal_id=pk, by=handler, reason="不属于本单位职责范围", now=t)
        s["returned"] += 1
        t += _hours(rng, 0.5, 3)
        yield t
        a = fresh()
        who = people.dispatcher(a)
        gw = people.grid_worker.get(a.area_code[:15])
        if who is None or gw is None:
            return
        services.appeal_dispatch(appeal_id=pk, by=who, lead_user_id=gw.pk, note="改派网格员", now=t)

    rounds = 0
    while True:
        # 签收 (late for slow and stuck handlers).
        late = fate in ("slow", "stuck") and rounds == 0
        t += _hours(rng, 6, 40) if late else _hours(rng, 0.2, 3)
        yield t
        a = fresh()
        handler = people.lead(a)
        if handler is None:
            return
        services.appeal_acknowledge(appeal_id=pk, by=handler, note="已签收", now=t)
        if rng.random() < 0.5:
            t += _hours(rng, 0.2, 4)
            yield t
            services.appeal_start(appeal_id=pk, by=handler, note="已到现场", now=t)

        if rounds == 0 and fate == "whistle":
            t += _hours(rng, 1, 8)
            yield t
            a = fresh()
            who = people.dispatcher(a) or people.supervisor(a)
            dept = rng.choice(people.departments) if people.departments else None
            if who is not None and dept is not None:
                services.appeal_whistle(
                    appeal_id=pk, by=who, reason="需多部门协同处置", unit_ids=[dept.pk], now=t
                )
                s["whistled"] += 1
                member = people.unit_member.get(dept.pk)
                if member is not None and rng.random() < 0.8:
                    t += _hours(rng, 1, 12)
                    yield t
                    services.appeal_report_in(appeal_id=pk, by=member, note="已到场报到", now=t)
        if rounds == 0 and fate == "urge":
            t += _hours(rng, 4, 20)
            yield t
            who = people.supervisor(fresh())
            if who is not None:
                services.appeal_urge(appeal_id=pk, by=who, note="请加快办理", level="yellow", now=t)
                s["urged"] += 1
        if rounds == 0 and fate in ("extend", "hold"):
            t += _hours(rng, 2, 10)
            yield t
            if fate == "extend":
                services.appeal_extend(
                    appeal_id=pk, by=handler, amount=3, unit="working_days", reason="需采购配件", now=t
                )
            else:
                services.appeal_hold(appeal_id=pk, by=handler, reason="等待业主委员会表决", now=t)
            t += _hours(rng, 1, 6)
            yield t
            who = people.supervisor(fresh())
            if who is None:
                return
            if fate == "extend":
                services.appeal_extend(appeal_id=pk, by=who, action="approve", reason="同意", now=t)
                s["extended"] += 1
            else:
                services.appeal_hold(appeal_id=pk, by=who, action="approve", reason="同意缓办", now=t)
                s["held"] += 1
                t += _hours(rng, 24, 120)
                yield t
                services.appeal_hold(appeal_id=pk, by=who, action="resume", reason="表决完成", now=t)
        if fate == "stuck":
            return  # never resolved: the tick marks it overdue and escalates it

        # 办结.
        t += _hours(rng, 30, 120) if late else _hours(rng, 0.5, 10)
        yield t
        services.appeal_resolve(appeal_id=pk, by=handler, note="已处理完毕", now=t)
        s["resolved"] += 1

        # 核查 where the category needs it.
        a = fresh()
        if a.category.needs_onsite_check:
            t += _hours(rng, 1, 20)
            yield t
            checker = people.checker(a)
            if checker is None:
                return
            passed = not (fate == "check_fail" and rounds == 0)
            services.appeal_check(
                appeal_id=pk,
                by=checker,
                passed=passed,
                note="现场核查" + ("通过" if passed else "未通过"),
                now=t,
            )
            if not passed:
                s["reworked"] += 1
                rounds += 1
                continue

        # 评价 (or nobody rates, and the tick auto-closes it).
        a = fresh()
        if fate == "unrated":
            return
        t += _hours(rng, 1, 60)
        yield t
        # A reporter without an account (hotline, staff entry) is called back (电话回访) by the dispatcher.
        rater = a.reporter if a.reporter_id else (people.dispatcher(a) if rng.random() < 0.7 else None)
        if rater is None:
            return
        if fate == "dissatisfied" and rounds == 0:
            services.appeal_rate(
                appeal_id=pk,
                by=rater,
                satisfaction="dissatisfied",
                solved=False,
                comment="问题没解决",
                now=t,
            )
            s["reworked"] += 1
            rounds += 1
            continue
        satisfaction = rng.choices(["satisfied", "basically", "dissatisfied"], weights=[85, 11, 4])[0]
        services.appeal_rate(
            appeal_id=pk,
            by=rater,
            satisfaction=satisfaction,
            solved=satisfaction != "dissatisfied",
            comment="" if rng.random() < 0.7 else "处理及时，谢谢",
            now=t,
        )
        s["rated"] += 1
        return


def _run(
    lives: Iterator[tuple[dt.datetime, Life]],
    end: dt.datetime,
    tick: Callable[[dt.datetime], Any],
    stats: Counter[str],
) -> None:
    """Run every life in global time order, ticking every TICK_HOURS; drop steps after ``end``."""
    seq = itertools.count()
    heap: list[tuple[dt.datetime, int, Life]] = []
    for when, life in lives:
        heapq.heappush(heap, (when, next(seq), life))
    next_tick = heap[0][0] if heap else end
    step = dt.timedelta(hours=TICK_HOURS)
    while heap:
        when, _, life = heapq.heappop(heap)
        if when > end:
            continue
        while next_tick <= when:
            tick(next_tick)
            next_tick += step
        try:
            upcoming = life.send(None)
        except StopIteration:
            continue
        except ServiceError as exc:  # a step the situation no longer allows (e.g. escalated away): stop there
            stats[f"stopped:{type(exc).__name__}"] += 1
            continue
        heapq.heappush(heap, (upcoming, next(seq), life))
    while next_tick <= end:
        tick(next_tick)
        next_tick += step
    tick(end)


def populate_demo(ctx: Any) -> None:
    """Create the demo district's cases (see the module docstring)."""
    n_cases, days = (DISTRICT_CASES, DISTRICT_DAYS) if ctx.size == "district" else (SMALL_CASES, SMALL_DAYS)
    cats = list(Category.objects.filter(active=True, parent__isnull=False).order_by("code"))
    if not cats or not ctx.grids:
        ctx.log("appeals: 无类别或网格，跳过演示诉求")
        return
    people = _people(ctx)
    # Cases land in the grids that have a grid worker (the demo's staffed grids).
    staffed = [g for g in ctx.grids if g.code in people.grid_worker] or list(ctx.grids)
    points = _Points(ctx.rng, staffed)
    if not points.codes:
        ctx.log("appeals: 网格无边界，跳过演示诉求")
        return
    end = ctx.now
    begin = end - dt.timedelta(days=days)
    # Start times: uniform over the period, during the day (07:00–21:00).
    starts = []
    for _ in range(n_cases):
        day = begin + dt.timedelta(days=ctx.rng.uniform(0, days))
        day = day.replace(hour=ctx.rng.randint(7, 20), minute=ctx.rng.randint(0, 59), second=0, microsecond=0)
        starts.append(min(day, end - dt.timedelta(minutes=1)))
    starts.sort()
    lives = ((when, _life(ctx, people, points, cats, i, when)) for i, when in enumerate(starts))
    totals: Counter[str] = Counter()

    def tick(now: dt.datetime) -> None:
        for key, value in services.appeals_tick(now=now).items():
            totals[key] += value

    _run(lives, end, tick, people.stats)
    by_state = Counter(Appeal.objects.values_list("state", flat=True))
    ctx.log(
        "appeals: 演示诉求 {} 件（{}）；自动预警 {}、超期升级 {}、自动结案 {}".format(
            sum(by_state.values()),
            "、".join(f"{State(k).label} {v}" for k, v in sorted(by_state.items())),
            totals["warned"],
            totals["escalated"],
            totals["auto_closed"],
        )
    )
