"""Party API: organisations with their members, 党员中心户 and the households they serve, 党建联盟.
Names are masked (张*) and households named by number and building, never by address."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from wangge.accounts.models import Unit
from wangge.areas.models import Area, PartyOrg
from wangge.core.errors import InvalidInput, NotFound
from wangge.core.pii import mask_name
from wangge.registry.models import Household, Resident
from wangge.volunteers.models import Member

from . import selectors, services
from .models import Alliance, CentreHousehold, Membership
from .schemas import (
    PartyAllianceIn,
    PartyAllianceOut,
    PartyBranchOut,
    PartyCentreIn,
    PartyCentreOut,
    PartyEndIn,
    PartyMemberIn,
    PartyMemberOut,
    PartyOrgDetailOut,
    PartyRoleIn,
    PartyServedOut,
    PartyServeIn,
)

router = Router(tags=["party"])

SOURCE_LABELS = {"resident": "居住地党员", "reported": "双报到在职党员"}


def household_label(h: Household) -> str:
    building = h.house.building.name if h.house_id else ""
    return f"{h.number or h.pk} {building}".strip()


def org_out(o: PartyOrg) -> dict[str, Any]:
    return {
        "id": o.pk,
        "name": o.name,
        "kind": o.kind,
        "kind_label": o.get_kind_display(),
        "area_code": o.area.code,
        "area_name": o.area.name,
        "secretary": mask_name(o.secretary_name),
        "member_count": getattr(o, "active_members", o.member_count),
    }


def member_out(m: Membership) -> dict[str, Any]:
    unit = ""
    if m.member_id and m.member.unit_id:
        unit = m.member.unit.name
    return {
        "id": m.pk,
        "org_id": m.org_id,
        "name": mask_name(m.person_name),
        "source": m.source,
        "source_label": SOURCE_LABELS[m.source],
        "unit": unit,
        "role": m.role,
        "role_label": m.get_role_display(),
        "since": m.since,
        "until": m.until,
    }


def centre_out(c: CentreHousehold) -> dict[str, Any]:
    return {
        "id": c.pk,
        "org_id": c.org_id,
        "household_id": c.household_id,
        "household": household_label(c.household),
        "keeper": mask_name(c.keeper.resident.name if c.keeper.resident_id else ""),
        "since": c.since,
        "served": [
            {"id": s.pk, "household_id": s.household_id, "household": household_label(s.household)}
            for s in c.served.all()
        ],
    }


def alliance_out(a: Alliance) -> dict[str, Any]:
    return {
        "id": a.pk,
        "name": a.name,
        "area_code": a.area.code,
        "area_name": a.area.name,
        "estate": a.estate,
        "focus": a.focus,
        "orgs": [{"id": link.org_id, "name": link.org.name, "lead": link.lead} for link in a.org_links.all()],
        "units": [
            {"id": link.unit_id, "name": link.unit.name, "offer": link.offer} for link in a.unit_links.all()
        ],
    }


@router.get("/party/orgs", response=list[PartyBranchOut])
def party_orgs(request: HttpRequest, kind: str | None = None) -> Any:
    """Party organisations in the viewer's scope with their active member counts (one query)."""
    if kind is not None and kind not in PartyOrg.Kind.values:
        raise InvalidInput.field("kind", "类型无效")
    return [org_out(o) for o in selectors.party_org_list(viewer=request.user, kind=kind)[:2000]]


@router.get("/party/orgs/{org_id}", response=PartyOrgDetailOut)
def party_org_detail(request: HttpRequest, org_id: int) -> Any:
    """One organisation: its secretary, committee and members, 党员中心户 with their households, 党建联盟."""
    org = selectors.party_org_get(viewer=request.user, pk=org_id)
    members = selectors.membership_list(viewer=request.user, org=org)
    org.active_members = len(members)  # type: ignore[attr-defined]
    return {
        **org_out(org),
        "members": [member_out(m) for m in members],
        "centres": [centre_out(c) for c in selectors.centre_list(viewer=request.user, org=org)],
        "alliances": [alliance_out(a) for a in selectors.alliance_list(viewer=request.user, org=org)],
    }


@router.get("/party/orgs/{org_id}/members", response=list[PartyMemberOut])
def party_org_members(request: HttpRequest, org_id: int, include_past: bool = False) -> Any:
    org = selectors.party_org_get(viewer=request.user, pk=org_id)
    return [
        member_out(m)
        for m in selectors.membership_list(viewer=request.user, org=org, include_past=include_past)
    ]


def _resident(by: Any, pk: int | None) -> Resident | None:
    if pk is None:
        return None
    r = Resident.objects.visible_to(by).filter(pk=pk).first()
    if r is None:
        raise InvalidInput.field("resident_id", "居民不存在")
    return r


def _member(by: Any, pk: int | None) -> Member | None:
    if pk is None:
        return None
    m = Member.objects.visible_to(by).select_related("user").filter(pk=pk).first()
    if m is None:
        raise InvalidInput.field("member_id", "报到党员不存在")
    return m


@router.post("/party/orgs/{org_id}/members", response={201: PartyMemberOut})
def party_member_add(request: HttpRequest, org_id: int, payload: PartyMemberIn) -> Any:
    org = selectors.party_org_get(viewer=request.user, pk=org_id)
    m = services.membership_add(
        org=org,
        resident=_resident(request.user, payload.resident_id),
        member=_member(request.user, payload.member_id),
        role=payload.role,
        since=payload.since,
        by=request.user,
    )
    return Status(201, member_out(m))


def _membership(request: HttpRequest, membership_id: int) -> Membership:
    m = (
        Membership.objects.visible_to(request.user)
        .select_related("org", "resident", "member__user", "member__unit")
        .filter(pk=membership_id)
        .first()
    )
    if m is None:
        raise NotFound("成员不存在")
    return m


@router.post("/party/members/{membership_id}/role", response=PartyMemberOut)
def party_member_role(request: HttpRequest, membership_id: int, payload: PartyRoleIn) -> Any:
    m = services.membership_change_role(
        membership=_membership(request, membership_id), role=payload.role, by=request.user
    )
    return member_out(m)


@router.post("/party/members/{membership_id}/end", response=PartyMemberOut)
def party_member_end(request: HttpRequest, membership_id: int, payload: PartyEndIn) -> Any:
    m = services.membership_end(
        membership=_membership(request, membership_id), until=payload.until, by=request.user
    )
    return member_out(m)


def _household(by: Any, pk: int) -> Household:
    h = Household.objects.visible_to(by).select_related("house__building").filter(pk=pk).first()
    if h is None:
        raise InvalidInput.field("household_id", "户不存在")
    return h


@router.post("/party/orgs/{org_id}/centres", response={201: PartyCentreOut})
def party_centre_create(request: HttpRequest, org_id: int, payload: PartyCentreIn) -> Any:
    org = selectors.party_org_get(viewer=request.user, pk=org_id)
    keeper = (
        Membership.objects.visible_to(request.user)
        .select_related("resident")
        .filter(pk=payload.keeper_id)
        .first()
    )
    if keeper is None:
        raise InvalidInput.field("keeper_id", "户长不存在")
    c = services.centre_create(
        org=org, household=_household(request.user, payload.household_id), keeper=keeper, by=request.user
    )
    return Status(201, centre_out(_centre(request, c.pk)))


def _centre(request: HttpRequest, pk: int) -> CentreHousehold:
    c = next((x for x in _centres(request, pk)), None)
    if c is None:
        raise NotFound("党员中心户不存在")
    return c


def _centres(request: HttpRequest, pk: int) -> list[CentreHousehold]:
    from django.db.models import Prefetch

    from .models import ServedHousehold

    return list(
        CentreHousehold.objects.visible_to(request.user)
        .filter(pk=pk)
        .select_related("household__house__building", "keeper__resident")
        .prefetch_related(
            Prefetch("served", queryset=ServedHousehold.objects.select_related("household__house__building"))
        )
    )


@router.post("/party/centres/{centre_id}/served", response={201: PartyServedOut})
def party_centre_serve(request: HttpRequest, centre_id: int, payload: PartyServeIn) -> Any:
    centre = _centre(request, centre_id)
    household = _household(request.user, payload.household_id)
    s = services.centre_serve(centre=centre, household=household, by=request.user)
    return Status(201, {"id": s.pk, "household_id": household.pk, "household": household_label(household)})


@router.get("/party/alliances", response=list[PartyAllianceOut])
def party_alliances(request: HttpRequest) -> Any:
    return [alliance_out(a) for a in selectors.alliance_list(viewer=request.user)[:500]]


@router.get("/party/alliances/{alliance_id}", response=PartyAllianceOut)
def party_alliance_detail(request: HttpRequest, alliance_id: int) -> Any:
    return alliance_out(selectors.alliance_get(viewer=request.user, pk=alliance_id))


@router.post("/party/alliances", response={201: PartyAllianceOut})
def party_alliance_create(request: HttpRequest, payload: PartyAllianceIn) -> Any:
    area = Area.objects.visible_to(request.user).filter(code=payload.area_code).first()
    if area is None:
        raise InvalidInput.field("area_code", "区域不存在")
    visible = PartyOrg.objects.visible_to(request.user).select_related("area")
    found = {o.pk: o for o in visible.filter(pk__in=payload.org_ids)}
    missing = [pk for pk in payload.org_ids if pk not in found]
    if missing:
        raise InvalidInput.field("org_ids", "党组织不存在")
    lead = None
    if payload.lead_id is not None:
        lead = found.get(payload.lead_id)
        if lead is None:
            raise InvalidInput.field("lead_id", "牵头党组织须是联盟成员", label="牵头党组织")
    unit_ids = [u.unit_id for u in payload.units]
    units = {u.pk: u for u in Unit.objects.filter(pk__in=unit_ids)}
    if len(units) != len(set(unit_ids)):
        raise InvalidInput.field("units", "共建单位不存在")
    a = services.alliance_create(
        area=area,
        name=payload.name,
        estate=payload.estate,
        focus=payload.focus,
        orgs=[found[pk] for pk in payload.org_ids],
        lead=lead,
        units=[(units[u.unit_id], u.offer) for u in payload.units],
        by=request.user,
    )
    return Status(201, alliance_out(selectors.alliance_get(viewer=request.user, pk=a.pk)))
