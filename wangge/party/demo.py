"""Demo data for the party organisation: each grid branch's members are the party-member residents of its
grid (a secretary and 3–5 committee members among them) plus the in-service members reported to the
community; some 党员中心户 each serve 5–10 households of their grid; two 党建联盟. Counts are derived."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count
from django.utils import timezone

from wangge.areas.models import PartyOrg
from wangge.registry.models import Household, Resident
from wangge.volunteers.models import CommunityReport, Member

from .models import (
    PARTY_STATUSES,
    Alliance,
    AllianceOrg,
    AllianceUnit,
    CentreHousehold,
    Membership,
    ServedHousehold,
)

CENTRES_PER_GRID = 3
OFFERS = ["每月一次义诊进小区", "法律咨询周周见", "认领楼道微改造", "助老助餐志愿服务", "青少年暑期课堂"]


def populate_demo(ctx: Any) -> None:
    rng = ctx.rng
    today = timezone.localdate(ctx.now)
    branches = {
        o.area.code: o
        for o in PartyOrg.objects.filter(kind=PartyOrg.Kind.GRID_BRANCH)
        .select_related("area")
        .order_by("area__code")
    }
    if not branches:
        ctx.log("party: 没有网格党支部，跳过")
        return

    # Party-member residents per grid.
    people: dict[str, list[Resident]] = defaultdict(list)
    for r in Resident.objects.filter(political_status__in=PARTY_STATUSES, active=True).order_by("id"):
        people[r.area_code[:15]].append(r)

    memberships: list[Membership] = []
    for code, org in branches.items():
        crowd = people.get(code, [])
        if not crowd:
            continue
        leaders = rng.sample(crowd, min(len(crowd), 1 + rng.randint(3, 5)))
        roles = {leaders[0].pk: Membership.Role.SECRETARY}
        for r in leaders[1:]:
            roles[r.pk] = Membership.Role.COMMITTEE
        if len(leaders) > 2:
            roles[leaders[1].pk] = Membership.Role.DEPUTY
        for r in crowd:
            since = today - dt.timedelta(days=rng.randint(30, 3650))
            memberships.append(
                Membership(org=org, resident=r, role=roles.get(r.pk, Membership.Role.MEMBER), since=since)
            )

    # In-service members reported to a community (双报到) join one of its grid branches.
    by_community: dict[str, list[PartyOrg]] = defaultdict(list)
    for code, org in branches.items():
        by_community[code[:12]].append(org)
    seen: set[tuple[int, int]] = set()
    reports = (
        CommunityReport.objects.filter(active=True, member__kind=Member.Kind.IN_SERVICE_PARTY)
        .select_related("community")
        .order_by("id")
    )
    for rep in reports:
        options = by_community.get(rep.community.code[:12], [])
        if not options:
            continue
        org = options[rng.randrange(len(options))]
        if (org.pk, rep.member_id) in seen:
            continue
        seen.add((org.pk, rep.member_id))
        memberships.append(
            Membership(
                org=org,
                member_id=rep.member_id,
                role=Membership.Role.MEMBER,
                since=today - dt.timedelta(days=rng.randint(30, 365)),
            )
        )
    Membership.objects.bulk_create(memberships, batch_size=1000)

    # 党员中心户: households flagged in the registry whose party member is in the branch.
    keepers: dict[int, Membership] = {}
    for m in Membership.objects.filter(resident__isnull=False, until__isnull=True).select_related("resident"):
        keepers.setdefault(m.resident.household_id, m)
    centres: list[CentreHousehold] = []
    per_grid: dict[str, int] = defaultdict(int)
    for h in Household.objects.filter(is_party_center=True, active=True).order_by("id"):
        keeper = keepers.get(h.pk)
        grid = h.area_code[:15]
        if keeper is None or grid not in branches or per_grid[grid] >= CENTRES_PER_GRID:
            continue
        per_grid[grid] += 1
        centres.append(
            CentreHousehold(
                org=branches[grid],
                household=h,
                keeper=keeper,
                since=today - dt.timedelta(days=rng.randint(30, 900)),
            )
        )
    CentreHousehold.objects.bulk_create(centres, batch_size=1000)

    # Each centre serves 5–10 households of its grid, nearest by house (same building first).
    taken = {c.household_id for c in centres}
    grid_households: dict[str, list[Household]] = defaultdict(list)
    for h in Household.objects.filter(active=True, area_code__in=list(per_grid)).order_by("house_id", "id"):
        grid_households[h.area_code[:15]].append(h)
    centre_rows = {
        c.household_id: c for c in CentreHousehold.objects.select_related("household").order_by("id")
    }
    served: list[ServedHousehold] = []
    for c in centre_rows.values():
        pool = grid_households.get(c.household.area_code[:15], [])
        idx = next((i for i, h in enumerate(pool) if h.pk == c.household_id), 0)
        want = rng.randint(5, 10)
        for _, h in sorted(enumerate(pool), key=lambda p: (abs(p[0] - idx), p[0])):
            if want == 0:
                break
            if h.pk in taken:
                continue
            taken.add(h.pk)
            served.append(ServedHousehold(centre=c, household=h))
            want -= 1
    ServedHousehold.objects.bulk_create(served, batch_size=1000)

    # Two alliances: the first two communities with branches, their committee and branches, two units each.
    committees = {
        o.area.code: o
        for o in PartyOrg.objects.filter(kind=PartyOrg.Kind.COMMUNITY_COMMITTEE).select_related("area")
    }
    units = list(ctx.units.get("co_building", []))
    made = 0
    for community in ctx.communities:
        orgs = by_community.get(community.code, [])[:3]
        lead = committees.get(community.code)
        if lead is not None:
            orgs = [lead, *orgs]
        if len(orgs) < 2:
            continue
        estate = f"{community.name.removesuffix('社区').removesuffix('村')}小区"
        alliance = Alliance.objects.create(
            name=f"{estate}党建联盟",
            area=community,
            estate=estate,
            focus="物业服务、环境整治与为老服务共商共治",
        )
        AllianceOrg.objects.bulk_create(
            [AllianceOrg(alliance=alliance, org=o, lead=i == 0) for i, o in enumerate(orgs)]
        )
        picked = rng.sample(units, min(2, len(units))) if units else []
        AllianceUnit.objects.bulk_create(
            [
                AllianceUnit(alliance=alliance, unit=u, offer=OFFERS[rng.randrange(len(OFFERS))])
                for u in picked
            ]
        )
        made += 1
        if made == 2:
            break

    # member_count and secretary_name follow the lists.
    counts = dict(
        Membership.objects.filter(until__isnull=True)
        .order_by()
        .values("org_id")
        .annotate(n=Count("pk"))
        .values_list("org_id", "n")
    )
    secretaries = {
        m.org_id: m.person_name
        for m in Membership.objects.filter(until__isnull=True, role=Membership.Role.SECRETARY).select_related(
            "resident", "member__user"
        )
    }
    orgs = list(branches.values())
    for o in orgs:
        o.member_count = counts.get(o.pk, 0)
        o.secretary_name = secretaries.get(o.pk, "")[:50]
    PartyOrg.objects.bulk_update(orgs, ["member_count", "secretary_name"], batch_size=1000)
    ctx.log(
        f"party: {len(memberships)} 名党员进入 {len(branches)} 个网格党支部，"
        f"{len(centres)} 个党员中心户联系 {len(served)} 户，{made} 个党建联盟"
    )
