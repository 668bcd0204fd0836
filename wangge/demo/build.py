"""Build the demo district in the database: areas, party organisations, units, accounts and the registry.

Deterministic: every random choice comes from one ``random.Random(seed)`` and rows are written in a fixed
order. Rows are written with ``bulk_create`` (a district has ~440,000 residents); the tiling is validated
once up front (``geometry.validate_tiling``) instead of per row, and the grid index is bumped once.
"""

from __future__ import annotations

import importlib
import random
import time
import traceback
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from wangge.accounts.models import Post, Unit, User
from wangge.accounts.roles import Role
from wangge.areas.models import Area, PartyOrg
from wangge.areas.services import bump_index_version
from wangge.core import pii
from wangge.core.audit import audit
from wangge.registry.maintenance import analyze_database
from wangge.registry.models import Building, House, Household, HouseOwner, Resident, Tag, Tagging

from . import names
from .context import DEMO_HOOK_APPS, DemoContext
from .geometry import Node, district_plan, validate_tiling

# Households per grid (comprehensive, dedicated) by size: small ≈ 2,000 households, district ≈ 440k residents.
HOUSEHOLDS_PER_GRID = {"small": (74, 8), "district": (525, 40)}
OCCUPANCY = 0.92
BATCH = 2000

DEPARTMENTS = [
    "海安市住房和城乡建设局", "海安市城市管理局", "国网海安市供电公司", "海安市水务集团",
    "海安市公安局城东派出所", "海安市市场监督管理局", "海安市民政局", "海安市卫生健康委员会",
    "海安市生态环境局", "海安港华燃气公司", "海安市交通运输局", "海安市消防救援大队",
]  # fmt: skip
PROPERTY_COMPANIES = [
    "海安万家物业服务有限公司", "江苏苏海物业管理有限公司", "海安安居物业有限公司", "南通锦华物业服务有限公司",
    "海安金城物业管理有限公司", "海安恒信物业服务有限公司", "江苏绿城物业海安分公司", "海安宁海物业有限公司",
]  # fmt: skip
CO_BUILDING = [
    "海安农商银行", "海安市人民医院", "海安高级中学", "海安中等专业学校", "中国移动海安分公司",
    "海安市税务局", "海安市图书馆", "江苏联发纺织股份有限公司", "海安市实验小学", "海安邮政分公司",
    "中国建设银行海安支行", "海安市文化馆", "海安市中医院", "海安开发区管委会", "海安市总工会",
    "南通大学杏林学院", "海安日报社", "海安市妇幼保健院",
]  # fmt: skip
SOCIAL_ORGS = ["海安市红十字会", "海安市义工联合会", "海安市老年人协会"]


@dataclass
class Built:
    context: DemoContext
    counts: dict[str, int] = field(default_factory=dict)
    hook_errors: list[str] = field(default_factory=list)


def _area(node: Node, parent: Area | None) -> Area:
    lat, lng = node.center
    return Area(
        code=node.code,
        name=node.name,
        level=node.level,
        parent=parent,
        grid_type=node.grid_type,
        dedicated_kind=node.dedicated_kind,
        boundary=node.boundary,
        center_lat=lat,
        center_lng=lng,
    )


def _create_areas(plan: Node) -> dict[str, Area]:
    by_code: dict[str, Area] = {}
    level_nodes: list[tuple[Node, Node | None]] = [(plan, None)]
    while level_nodes:
        rows = [_area(n, by_code[p.code] if p else None) for n, p in level_nodes]
        for a in Area.objects.bulk_create(rows, batch_size=BATCH):
            by_code[a.code] = a
        level_nodes = [(c, n) for n, _ in level_nodes for c in n.children]
    bump_index_version()
    return by_code


class _Writer:
    """Accumulates rows per model and writes them in dependency order."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = defaultdict(int)

    def flush(self, model: type[Any], rows: list[Any]) -> None:
        if rows:
            model.objects.bulk_create(rows, batch_size=BATCH)
            self.counts[model.__name__] += len(rows)


def build_demo(*, size: str = "small", seed: int = 2024, stdout: Any = None, run_hooks: bool = True) -> Built:
    """Create the demo district (the database should hold no areas yet) and run the apps' demo hooks."""
    import sys

    out = stdout or sys.stdout
    rng = random.Random(seed)
    started = time.monotonic()
    plan = district_plan(size)
    problems = validate_tiling(plan)
    if problems:  # pragma: no cover - the plan is computed; this guards edits to geometry.py
        raise ValueError("demo polygons do not tile: " + "; ".join(problems))
    password = settings.WANGGE_DEMO_PASSWORD
    writer = _Writer()
    # One transaction for the base district and the hooks (each hook in a savepoint): an interrupted first
    # run leaves the database empty, so the next `demo --if-empty` builds everything again.
    with transaction.atomic():
        areas = _create_areas(plan)
        writer.counts["Area"] = len(areas)
        district = areas[plan.code]
        streets = [areas[n.code] for n in plan.children]
        communities = [areas[c.code] for s in plan.children for c in s.children]
        grids = sorted((a for a in areas.values() if a.level == "grid"), key=lambda a: a.code)
        micros = sorted((a for a in areas.values() if a.level == "microgrid"), key=lambda a: a.code)
        _log(
            out,
            f"区域：{len(streets)} 个街道，{len(communities)} 个社区，{len(grids)} 个网格，{len(micros)} 个微网格",
        )
        units = _create_units(rng, district, streets, communities)
        orgs = _create_party_orgs(rng, communities, grids, micros)
        users = _create_users(rng, password, district, streets, communities, grids, units)
        _log(out, f"账号：{len(users)} 个；单位：{sum(len(v) for v in units.values())} 个")
        registry = _Registry(rng, size, units["property_company"], orgs, writer, out)
        for i, node in enumerate(n for s in plan.children for n in s.children):
            registry.community(node, areas)
            _log(out, f"[{i + 1}/{len(communities)}] {node.name}: 累计居民 {writer.counts['Resident']:,}")
        _link_accounts(users, grids)
        _set_party_counts(orgs, registry.party_members)
        audit("import", None, by=None, object_type="demo", note=f"demo district size={size} seed={seed}")
        ctx = DemoContext(
            size=size,
            rng=rng,
            district=district,
            streets=streets,
            communities=communities,
            grids=grids,
            users=users,
            units=units,
            password=password,
            now=timezone.now(),
            stdout=out,
            microgrids=micros,
        )
        built = Built(ctx, dict(writer.counts))
        _log(out, f"基础数据完成，用时 {time.monotonic() - started:.1f} 秒")
        if run_hooks:
            for app in DEMO_HOOK_APPS:
                try:
                    module = importlib.import_module(f"wangge.{app}.demo")
                except ModuleNotFoundError as exc:
                    if exc.name in (f"wangge.{app}.demo", f"wangge.{app}"):
                        continue
                    raise
                hook = getattr(module, "populate_demo", None)
                if hook is None:
                    continue
                t0 = time.monotonic()
                try:
                    with transaction.atomic():
                        hook(ctx)
                    _log(out, f"{app}: 演示数据完成（{time.monotonic() - t0:.1f} 秒）")
                except Exception:  # one app's broken hook must not take the whole demo down
                    err = traceback.format_exc()
                    built.hook_errors.append(f"{app}: {err}")
                    _log(out, f"警告：{app} 演示数据生成失败：\n{err}")
    t0 = time.monotonic()
    analyze_database()  # autovacuum may be off or behind: the planner needs statistics for what we loaded
    _log(
        out,
        f"统计信息（ANALYZE）完成，用时 {time.monotonic() - t0:.1f} 秒；总用时 {time.monotonic() - started:.1f} 秒",
    )
    return built


def _log(out: Any, message: str) -> None:
    out.write(message + "\n")
    if hasattr(out, "flush"):
        out.flush()


def _create_units(
    rng: random.Random, district: Area, streets: list[Area], communities: list[Area]
) -> dict[str, list[Unit]]:
    rows: list[Unit] = []
    for name in DEPARTMENTS:
        rows.append(Unit(name=name, kind=Unit.Kind.DEPARTMENT, area=district, contact_name=names.person_name(rng, rng.random() < 0.5, 1980), contact_phone=names.phone(rng)))  # fmt: skip
    n_prop = max(2, min(len(PROPERTY_COMPANIES), len(communities) // 2))
    for i, name in enumerate(PROPERTY_COMPANIES[:n_prop]):
        rows.append(Unit(name=name, kind=Unit.Kind.PROPERTY_COMPANY, area=streets[i % len(streets)], contact_name=names.person_name(rng, True, 1978), contact_phone=names.phone(rng)))  # fmt: skip
    for i, name in enumerate(CO_BUILDING[: max(4, len(communities))]):
        rows.append(Unit(name=name, kind=Unit.Kind.CO_BUILDING, area=communities[i % len(communities)]))
    for name in SOCIAL_ORGS:
        rows.append(Unit(name=name, kind=Unit.Kind.SOCIAL_ORG, area=district))
    Unit.objects.bulk_create(rows)
    out: dict[str, list[Unit]] = defaultdict(list)
    for u in rows:
        out[u.kind].append(u)
    return dict(out)


def _create_party_orgs(
    rng: random.Random, communities: list[Area], grids: list[Area], micros: list[Area]
) -> dict[str, PartyOrg]:
    rows: list[PartyOrg] = []
    for c in communities:
        rows.append(PartyOrg(kind=PartyOrg.Kind.COMMUNITY_COMMITTEE, name=f"中共{c.name}委员会", area=c, secretary_name=names.person_name(rng, rng.random() < 0.6, 1975)))  # fmt: skip
    for g in grids:
        rows.append(PartyOrg(kind=PartyOrg.Kind.GRID_BRANCH, name=f"{g.name}党支部", area=g, secretary_name=names.person_name(rng, rng.random() < 0.6, 1972)))  # fmt: skip
    for m in micros:
        rows.append(PartyOrg(kind=PartyOrg.Kind.MICROGRID_GROUP, name=f"{m.name}党小组", area=m, secretary_name=names.person_name(rng, rng.random() < 0.6, 1965)))  # fmt: skip
    PartyOrg.objects.bulk_create(rows, batch_size=BATCH)
    return {o.area.code: o for o in rows}


def _user(username: str, role: str, pw_hash: str, display: str, **kw: Any) -> User:
    return User(username=username, role=role, password=pw_hash, display_name=display, **kw)


def _create_users(
    rng: random.Random,
    password: str,
    district: Area,
    streets: list[Area],
    communities: list[Area],
    grids: list[Area],
    units: dict[str, list[Unit]],
) -> dict[str, User]:
    h = make_password(password)  # hashed once: PBKDF2 per user would take minutes for a district
    nm = lambda male=None: names.person_name(rng, rng.random() < 0.5 if male is None else male, 1985)  # noqa: E731
    users = [
        _user("admin", Role.ADMIN, h, "系统管理员", is_staff=True, is_superuser=True),
        _user("district", Role.DISTRICT, h, nm(), is_staff=True),
        _user("street", Role.STREET_STAFF, h, nm(), is_staff=True),
        _user("community", Role.COMMUNITY_STAFF, h, nm(False), is_staff=True),
        _user("department", Role.DEPARTMENT_STAFF, h, nm(), unit=units["department"][0]),
        _user("property", Role.PROPERTY_STAFF, h, nm(), unit=units["property_company"][0]),
        _user("resident", Role.RESIDENT, h, ""),
    ]
    users += [_user(f"gridworker{i + 1:03d}", Role.GRID_WORKER, h, nm()) for i in range(len(grids))]
    users += [_user(f"volunteer{i + 1:03d}", Role.VOLUNTEER, h, nm()) for i in range(50)]
    # Every demo account has a mobile number (139 + its position), so phone login works for all of them.
    for i, u in enumerate(users):
        u.phone = f"139{i:08d}"
        u.phone_hash = pii.phone_hash(u.phone)
    User.objects.bulk_create(users, batch_size=BATCH)
    by_name = {u.username: u for u in users}
    posts = [
        Post(user=by_name["district"], area=district, kind=Post.Kind.DISTRICT_STAFF),
        Post(user=by_name["street"], area=streets[0], kind=Post.Kind.STREET_STAFF),
        Post(user=by_name["community"], area=communities[0], kind=Post.Kind.COMMUNITY_SECRETARY),
    ]
    posts += [
        Post(user=by_name[f"gridworker{i + 1:03d}"], area=g, kind=Post.Kind.GRID_WORKER)
        for i, g in enumerate(grids)
    ]
    Post.objects.bulk_create(posts, batch_size=BATCH)
    return by_name


class _Registry:
    """Buildings, houses, owners, households, residents and tags, one community at a time."""

    def __init__(
        self,
        rng: random.Random,
        size: str,
        companies: list[Unit],
        orgs: dict[str, PartyOrg],
        writer: _Writer,
        out: Any,
    ) -> None:
        self.rng = rng
        self.size = size
        self.companies = companies
        self.orgs = orgs
        self.writer = writer
        self.out = out
        self.ids = names.IdNumbers()
        self.tokens = {t: pii.tag_token(t) for t in Tag.objects.values_list("code", flat=True)}
        self.today = date(2025, 6, 30)  # a fixed "today" keeps ages (and so tags) deterministic
        self.party_members: dict[str, int] = defaultdict(int)  # area code → party members living there
        self.road_no = 1

    def tag(self, code: str) -> str | None:
        return self.tokens.get(code)

    def community(self, node: Node, areas: dict[str, Area]) -> None:
        rng = self.rng
        per_grid, per_dedicated = HOUSEHOLDS_PER_GRID[self.size]
        company = self.companies[rng.randrange(len(self.companies))]
        buildings: list[Building] = []
        building_micro: list[Node | None] = []
        building_grid: list[Node] = []
        plans: list[tuple[int, int, int, str]] = []  # per building: entrances, floors, per floor, use
        for gnode in node.children:
            grid = areas[gnode.code]
            dedicated = gnode.grid_type == "dedicated"
            target = per_dedicated if dedicated else int(per_grid * rng.uniform(0.9, 1.1))
            houses_needed = int(target / OCCUPANCY) + 1
            specs: list[tuple[int, int, int, str]] = []
            while sum(e * f * k for e, f, k, _ in specs) < houses_needed:
                if dedicated:
                    specs.append((1, rng.choice([2, 3, 4]), 4, "commercial" if not specs else "residential"))
                else:
                    specs.append(
                        rng.choice(
                            [
                                (2, 6, 2, "residential"),
                                (3, 6, 2, "residential"),
                                (2, 11, 2, "residential"),
                                (1, 18, 3, "residential"),
                            ]
                        )  # fmt: skip
                    )
            road = rng.choice(names.ROADS)
            estate = gnode.dedicated_kind if dedicated else names.estate_name(rng)
            w, s, e, n = gnode.bbox
            cols = max(1, int(len(specs) ** 0.5 + 0.999))
            rows = -(-len(specs) // cols)
            gno = rng.randrange(1, 300)
            for b, spec in enumerate(specs):
                r, c = divmod(b, cols)
                lng = round(w + (e - w) * (c + 0.5 + rng.uniform(-0.3, 0.3)) / cols, 6)
                lat = round(n - (n - s) * (r + 0.5 + rng.uniform(-0.3, 0.3)) / rows, 6)
                bname = f"{b + 1}幢"
                street_name = areas[node.code[:9]].name
                buildings.append(
                    Building(
                        area=grid,
                        name=bname,
                        address=f"海安市{street_name}{road}{gno}号{estate}{bname}",
                        lat=lat,
                        lng=lng,
                        entrances=spec[0],
                        floors=spec[1],
                        property_company=None if dedicated else company,
                    )
                )
                micro = None
                for m in gnode.children:
                    mw, ms, me, mn = m.bbox
                    if mw <= lng < me and ms <= lat < mn:
                        micro = m
                        break
                building_micro.append(micro)
                building_grid.append(gnode)
                plans.append(spec)
        self.writer.flush(Building, buildings)

        houses: list[House] = []
        house_building: list[int] = []
        for bi, (bld, (ents, floors, per_floor, use)) in enumerate(zip(buildings, plans, strict=True)):
            base = rng.choice([68, 76, 89, 96, 108, 120, 135])
            for ent in range(1, ents + 1):
                for fl in range(1, floors + 1):
                    for k in range(1, per_floor + 1):
                        houses.append(
                            House(
                                building=bld,
                                entrance=ent,
                                floor=fl,
                                room=f"{fl}{k:02d}",
                                exclusive_area=Decimal(f"{base + rng.uniform(-6, 6):.2f}"),
                                use=use,
                            )
                        )
                        house_building.append(bi)
        self.writer.flush(House, houses)

        households: list[Household] = []
        members: list[list[dict[str, Any]]] = []
        hh_house: list[House] = []
        hh_tags: list[list[str]] = []
        vacant: list[House] = []
        seq: dict[str, int] = defaultdict(int)
        for house, bi in zip(houses, house_building, strict=True):
            gnode = building_grid[bi]
            if house.use != "residential" or rng.random() > OCCUPANCY:
                vacant.append(house)
                continue
            people, tags = self._family(gnode.grid_type == "dedicated")
            seq[gnode.code] += 1
            micro = building_micro[bi]
            party = any(p["political"] in ("party_member", "probationary") for p in people)
            center = party and rng.random() < 0.12
            if center:
                tags.append("party_center")
            org = self.orgs.get(micro.code) if micro else self.orgs.get(gnode.code)
            for p in people:
                if p["political"] in ("party_member", "probationary"):
                    self.party_members[gnode.code] += 1
                    if micro:
                        self.party_members[micro.code] += 1
            households.append(
                Household(
                    house=house,
                    number=f"{gnode.code}{seq[gnode.code]:04d}",
                    is_party_center=center,
                    party_org=org if (center or party) else None,
                )
            )
            members.append(people)
            hh_house.append(house)
            hh_tags.append(tags)
        self.writer.flush(Household, households)

        residents: list[Resident] = []
        res_tags: list[list[str]] = []
        heads: list[list[Resident]] = []
        for hh, people in zip(households, members, strict=True):
            family: list[Resident] = []
            for p in people:
                res = Resident(
                    household=hh,
                    name=p["name"],
                    gender="male" if p["male"] else "female",
                    birth_date=p["born"],
                    id_number=p["id"],
                    id_hash=pii.id_hash(p["id"]),
                    phone=p["phone"],
                    phone_hash=pii.phone_hash(p["phone"]) if p["phone"] else "",
                    political_status=p["political"],
                    relation=p["relation"],
                    residence_type=p["residence"],
                )
                residents.append(res)
                res_tags.append(p["tags"])
                family.append(res)
            heads.append(family)
        self.writer.flush(Resident, residents)

        taggings: list[Tagging] = []
        for hh, tags in zip(households, hh_tags, strict=True):
            for t in dict.fromkeys(tags):
                if tok := self.tag(t):
                    taggings.append(Tagging(household=hh, token=tok))
        for res, tags in zip(residents, res_tags, strict=True):
            for t in dict.fromkeys(tags):
                if tok := self.tag(t):
                    taggings.append(Tagging(resident=res, token=tok))
        self.writer.flush(Tagging, taggings)

        owners: list[HouseOwner] = []
        for house, family, people in zip(hh_house, heads, members, strict=True):
            head = family[0]
            if people[0]["residence"] == "renting":
                owners.append(self._person_owner(house))
            elif len(family) > 1 and family[1].relation == "spouse" and rng.random() < 0.4:
                for res in family[:2]:
                    owners.append(HouseOwner(house=house, kind="person", name=res.name, id_number=res.id_number, id_hash=res.id_hash or "", resident=res, share=Decimal("0.5")))  # fmt: skip
            else:
                owners.append(HouseOwner(house=house, kind="person", name=head.name, id_number=head.id_number, id_hash=head.id_hash or "", resident=head))  # fmt: skip
        for house in vacant:
            if house.use == "commercial" or rng.random() < 0.25:
                owners.append(HouseOwner(house=house, kind="organisation", name="海安城建置业有限公司"))
            else:
                owners.append(self._person_owner(house))
        self.writer.flush(HouseOwner, owners)

    def _person_owner(self, house: House) -> HouseOwner:
        rng = self.rng
        male = rng.random() < 0.55
        born = names.birth_date(rng, rng.randint(1955, 1992))
        idn = self.ids.make(rng, born, male)
        return HouseOwner(
            house=house,
            kind="person",
            name=names.person_name(rng, male, born.year),
            id_number=idn,
            id_hash=pii.id_hash(idn),
        )

    def _person(
        self, age: int, male: bool, relation: str, residence: str, family: str | None = None
    ) -> dict[str, Any]:
        rng = self.rng
        year = self.today.year - age
        born = names.birth_date(rng, year)
        floating = residence in ("floating", "renting")
        political = "masses"
        if age >= 18:
            x = rng.random()
            if x < 0.075 + (0.03 if age >= 55 else 0.0):
                political = "party_member"
            elif x < 0.078 + (0.03 if age >= 55 else 0.0):
                political = "probationary"
            elif x < 0.083 + (0.03 if age >= 55 else 0.0):
                political = "other_party"
            elif age <= 28 and x < 0.4:
                political = "league_member"
        elif age >= 14 and rng.random() < 0.5:
            political = "league_member"
        has_phone = 16 <= age <= 80 and rng.random() < 0.93 or age > 80 and rng.random() < 0.35
        tags: list[str] = []
        if rng.random() < 0.02 + (0.04 if age >= 70 else 0.0):
            tags.append("disabled")
        if rng.random() < 0.007:
            tags.append("serious_illness")
        if male and age >= 30 and rng.random() < 0.025:
            tags.append("veteran")
        return {
            "name": names.person_name(rng, male, year, family),
            "male": male,
            "born": born,
            "id": self.ids.make(rng, born, male, floating),
            "phone": names.phone(rng) if has_phone else "",
            "political": political,
            "relation": relation,
            "residence": residence,
            "tags": tags,
        }

    def _family(self, dedicated: bool) -> tuple[list[dict[str, Any]], list[str]]:
        """One household: its members and household tags, in realistic proportions."""
        rng = self.rng
        P = self._person
        if dedicated:  # dormitories of a market or logistics park: floating workers
            n = rng.randint(1, 3)
            people = [P(rng.randint(20, 50), rng.random() < 0.7, "head" if i == 0 else "other", "floating") for i in range(n)]  # fmt: skip
            return people, ["short_rent"]
        kind = rng.choices(
            ["alone_old", "old_couple", "couple", "nuclear", "three_gen", "single", "renters", "left_behind"],
            weights=[7, 12, 10, 38, 18, 6, 7, 2],
        )[0]
        res = "hukou" if rng.random() < 0.82 else "permanent"
        male = rng.random() < 0.5
        fam = names.surname(rng)
        tags: list[str] = []
        if kind == "alone_old":
            people = [P(rng.randint(66, 92), rng.random() < 0.35, "head", res, fam)]
            people[0]["tags"].append("elderly_alone")
            tags.append("elderly_alone")
        elif kind == "old_couple":
            a = rng.randint(60, 86)
            people = [P(a, True, "head", res, fam), P(a - rng.randint(0, 4), False, "spouse", res)]
            tags.append("empty_nest")
        elif kind in ("couple", "nuclear", "three_gen"):
            a = rng.randint(25, 40) if kind == "couple" else rng.randint(30, 55)
            people = [P(a, True, "head", res, fam), P(a + rng.randint(-4, 2), False, "spouse", res)]
            if kind != "couple":
                for _ in range(rng.choice([1, 1, 2])):
                    people.append(P(max(0, a - rng.randint(24, 32)), rng.random() < 0.52, "child", res, fam))
            if kind == "three_gen":
                g = a + rng.randint(24, 30)
                people.append(P(g, True, "parent", res, fam))
                if rng.random() < 0.7:
                    people.append(P(g - rng.randint(0, 4), False, "parent", res))
        elif kind == "single":
            people = [P(rng.randint(22, 60), male, "head", res, fam)]
        elif kind == "renters":
            n = rng.randint(1, 3)
            people = [P(rng.randint(20, 45), male, "head", "renting", fam)]
            people += [P(rng.randint(20, 45), rng.random() < 0.5, "tenant", "renting") for _ in range(n - 1)]
            tags.append("short_rent")
        else:  # left-behind: grandparents raising a grandchild while the parents work elsewhere
            g = rng.randint(58, 75)
            people = [P(g, True, "head", res, fam), P(g - rng.randint(0, 4), False, "spouse", res)]
            child = P(rng.randint(5, 14), rng.random() < 0.5, "grandchild", res, fam)
            child["tags"].append("left_behind_child")
            people.append(child)
        if kind != "renters":
            if rng.random() < (0.06 if kind in ("alone_old", "old_couple") else 0.012):
                tags.append("low_income")
            if not tags:
                tags.append("long_term")
        return people, tags


def _link_accounts(users: dict[str, User], grids: list[Area]) -> None:
    """The ``resident`` account is the head of the first household of grid 1; volunteers are party members."""
    head = (
        Resident.objects.filter(household__house__building__area=grids[0], relation="head")
        .order_by("id")
        .first()
    )
    if head is not None:
        Resident.objects.filter(pk=head.pk).update(account=users["resident"])
        User.objects.filter(pk=users["resident"].pk).update(display_name=head.name)
        users["resident"].display_name = head.name
    volunteers = [users[f"volunteer{i + 1:03d}"] for i in range(50)]
    step = max(1, len(grids) // len(volunteers))
    picked: list[int] = []
    for i in range(len(volunteers)):
        grid = grids[(i * step) % len(grids)]
        r = (
            Resident.objects.filter(
                household__house__building__area=grid,
                political_status="party_member",
                account__isnull=True,
                birth_date__year__gte=1960,
            )
            .exclude(pk__in=picked)
            .order_by("id")
            .values_list("pk", "name")
            .first()
        )
        if r:
            picked.append(r[0])
            Resident.objects.filter(pk=r[0]).update(account=volunteers[i])
            User.objects.filter(pk=volunteers[i].pk).update(display_name=r[1])
            volunteers[i].display_name = r[1]


def _set_party_counts(orgs: dict[str, PartyOrg], members: dict[str, int]) -> None:
    """Party organisations count the party members living in their area."""
    per_community: dict[str, int] = defaultdict(int)
    for code, n in members.items():
        if len(code) == 15:
            per_community[code[:12]] += n
    for code, org in orgs.items():
        org.member_count = members.get(code, 0) if len(code) > 12 else per_community.get(code, 0)
    PartyOrg.objects.bulk_update(list(orgs.values()), ["member_count"], batch_size=BATCH)
