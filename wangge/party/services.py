"""Every write of the party context: members join and leave a branch (and change role), 党员中心户 are set up
and take on the households they serve, 党建联盟 are formed.

Staff with ``mobilisation.manage`` act on the party organisations of their area scope (others: not found).
Every write is one atomic use case, validated before anything is written, audited, and keeps
``areas.PartyOrg.member_count`` (the count of active memberships) and ``secretary_name`` in step.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from wangge.accounts.models import Unit
from wangge.accounts.roles import user_can
from wangge.areas.models import Area, PartyOrg
from wangge.core.audit import audit
from wangge.core.errors import Conflict, InvalidInput, NotFound, from_django_validation
from wangge.core.scoping import scope_for
from wangge.core.transactions import use_case
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

PAST_DAYS = 365 * 80
FUTURE_DAYS = 31
SERVED_MAX = 30  # households one 党员中心户 can really look after
ORG_NOT_FOUND = "党组织不存在"


def _clean(obj: Any) -> None:
    try:
        obj.full_clean(validate_constraints=False)
    except ValidationError as exc:
        raise from_django_validation(exc) from exc


def may_manage(user: Any, code: str) -> bool:
    return user_can(user, "mobilisation.manage") and scope_for(user).contains(code)


def _check_manage(by: Any, org: PartyOrg) -> None:
    if not may_manage(by, org.area.code):
        raise NotFound(ORG_NOT_FOUND)


def _lock_org(org_id: int) -> PartyOrg:
    org = PartyOrg.objects.select_for_update().select_related("area").filter(pk=org_id).first()
    if org is None:
        raise NotFound(ORG_NOT_FOUND)
    return org


def _grid_prefix(org: PartyOrg) -> str:
    """Households carry their grid's code: a micro-grid group's people live under its grid's code."""
    return org.area.code[:15]


def _check_day(day: dt.date, field: str) -> dt.date:
    today = timezone.localdate()
    low, high = today - dt.timedelta(days=PAST_DAYS), today + dt.timedelta(days=FUTURE_DAYS)
    if not low <= day <= high:
        raise InvalidInput.field(field, f"日期须在 {low} 到 {high} 之间")
    return day


def party_org_recount(org: PartyOrg) -> int:
    """``member_count`` is the number of active memberships; ``secretary_name`` the active secretary's."""
    rows = list(
        Membership.objects.filter(org=org, until__isnull=True).select_related("resident", "member__user")
    )
    secretary = next((m.person_name for m in rows if m.role == Membership.Role.SECRETARY), "")
    PartyOrg.objects.filter(pk=org.pk).update(member_count=len(rows), secretary_name=secretary[:50])
    org.member_count, org.secretary_name = len(rows), secretary[:50]
    return len(rows)


def _check_resident(org: PartyOrg, resident: Resident) -> None:
    # The grid code is written by database triggers: read the row, not the caller's (maybe fresh) object.
    resident.area_code = (
        Resident.objects.filter(pk=resident.pk).values_list("area_code", flat=True).first() or ""
    )
    if not resident.active:
        raise InvalidInput.field("resident_id", "该居民已不在册")
    if resident.political_status not in PARTY_STATUSES:
        raise InvalidInput.field("resident_id", "该居民不是党员（政治面貌须为中共党员或中共预备党员）")
    if not resident.area_code.startswith(_grid_prefix(org)):
        raise InvalidInput.field("resident_id", "该居民不住在本党组织所在区域")


def _check_reported(org: PartyOrg, member: Member) -> None:
    if not member.is_party_member:
        raise InvalidInput.field("member_id", "该报到人不是党员")
    community = org.area.code[:12]
    reported = CommunityReport.objects.filter(
        member=member, active=True, community__code__startswith=community
    ).exists()
    if not reported:
        raise InvalidInput.field("member_id", "该党员未向本社区报到（双报到）")


@use_case
def membership_add(
    *,
    org: PartyOrg,
    by: Any,
    resident: Resident | None = None,
    member: Member | None = None,
    role: str = Membership.Role.MEMBER,
    since: dt.date | None = None,
) -> Membership:
    """Add a resident party member or a reported in-service member to ``org`` in ``role``."""
    org = _lock_org(org.pk)
    _check_manage(by, org)
    if (resident is None) == (member is None):
        raise InvalidInput.field("resident_id", "请选择一名党员居民或一名报到党员")
    if role not in Membership.Role.values:
        raise InvalidInput.field("role", "职务无效")
    if resident is not None:
        _check_resident(org, resident)
    if member is not None:
        _check_reported(org, member)
    m = Membership(
        org=org,
        resident=resident,
        member=member,
        role=role,
        since=_check_day(since or timezone.localdate(), "since"),
        created_by=by if getattr(by, "pk", None) else None,
    )
    _clean(m)
    try:
        with transaction.atomic():
            m.save()
    except IntegrityError as exc:
        if (
            role == Membership.Role.SECRETARY
            and Membership.objects.filter(
                org=org, role=Membership.Role.SECRETARY, until__isnull=True
            ).exists()
        ):
            raise Conflict("本党组织已有书记，请先调整现任书记的职务") from exc
        field = "resident_id" if resident is not None else "member_id"
        raise InvalidInput.field(field, "此人已是本党组织成员") from exc
    party_org_recount(org)
    audit("create", m, by=by, changes={"org": org.pk, "role": role})
    return m


def _lock_membership(membership_id: int, by: Any) -> Membership:
    m = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("org__area", "resident", "member__user")
        .filter(pk=membership_id)
        .first()
    )
    if m is None or not may_manage(by, m.org.area.code):
        raise NotFound("成员不存在")
    return m


@use_case
def membership_change_role(*, membership: Membership, role: str, by: Any) -> Membership:
    m = _lock_membership(membership.pk, by)
    if m.until is not None:
        raise Conflict("该成员已离开本党组织")
    if role not in Membership.Role.values:
        raise InvalidInput.field("role", "职务无效")
    before = m.role
    m.role = role
    try:
        with transaction.atomic():
            m.save(update_fields=["role", "updated_at"])
    except IntegrityError as exc:
        raise Conflict("本党组织已有书记，请先调整现任书记的职务") from exc
    party_org_recount(m.org)
    audit("update", m, by=by, changes={"role": [before, role]})
    return m


@use_case
def membership_end(*, membership: Membership, by: Any, until: dt.date | None = None) -> Membership:
    """The member leaves the organisation (moved, transferred): the row stays with its dates."""
    m = _lock_membership(membership.pk, by)
    if m.until is not None:
        raise Conflict("该成员已离开本党组织")
    end = _check_day(until or timezone.localdate(), "until")
    if end < m.since:
        raise InvalidInput.field("until", "结束日期不能早于起始日期")
    if m.centres.exists():
        raise Conflict("该成员是党员中心户户长，请先撤销其中心户")
    m.until = end
    m.save(update_fields=["until", "updated_at"])
    party_org_recount(m.org)
    audit("update", m, by=by, changes={"until": str(end)})
    return m


def _household_in(org: PartyOrg, household: Household, field: str) -> None:
    household.area_code = (
        Household.objects.filter(pk=household.pk).values_list("area_code", flat=True).first() or ""
    )
    if not household.active:
        raise InvalidInput.field(field, "该户已不在住")
    if not household.area_code.startswith(_grid_prefix(org)):
        raise InvalidInput.field(field, "该户不在本党组织所在网格")


@use_case
def centre_create(*, org: PartyOrg, household: Household, keeper: Membership, by: Any) -> CentreHousehold:
    """Set up a 党员中心户: ``household`` of the active resident member ``keeper`` of ``org``."""
    org = _lock_org(org.pk)
    _check_manage(by, org)
    _household_in(org, household, "household_id")
    if keeper.org_id != org.pk or keeper.until is not None or keeper.resident_id is None:
        raise InvalidInput.field("keeper_id", "户长须为本党组织在册的党员居民")
    if keeper.resident.household_id != household.pk:
        raise InvalidInput.field("keeper_id", "户长须住在该中心户")
    centre = CentreHousehold(
        org=org,
        household=household,
        keeper=keeper,
        since=timezone.localdate(),
        created_by=by if getattr(by, "pk", None) else None,
    )
    _clean(centre)
    try:
        with transaction.atomic():
            centre.save()
    except IntegrityError as exc:
        raise InvalidInput.field("household_id", "该户已是党员中心户") from exc
    audit("create", centre, by=by, changes={"org": org.pk, "household": household.pk})
    return centre


@use_case
def centre_serve(*, centre: CentreHousehold, household: Household, by: Any) -> ServedHousehold:
    """The 党员中心户 takes on ``household`` (each household is served by one centre)."""
    c = (
        CentreHousehold.objects.select_for_update(of=("self",))
        .select_related("org__area")
        .filter(pk=centre.pk)
        .first()
    )
    if c is None or not may_manage(by, c.org.area.code):
        raise NotFound("党员中心户不存在")
    _household_in(c.org, household, "household_id")
    if household.pk == c.household_id:
        raise InvalidInput.field("household_id", "中心户不能联系自己")
    if c.served.count() >= SERVED_MAX:
        raise InvalidInput.field("household_id", f"一个中心户最多联系 {SERVED_MAX} 户")
    served = ServedHousehold(
        centre=c, household=household, created_by=by if getattr(by, "pk", None) else None
    )
    try:
        with transaction.atomic():
            served.save()
    except IntegrityError as exc:
        raise InvalidInput.field("household_id", "该户已由其他党员中心户联系") from exc
    audit("create", served, by=by, changes={"centre": c.pk, "household": household.pk})
    return served


@use_case
def centre_unserve(*, served: ServedHousehold, by: Any) -> None:
    s = ServedHousehold.objects.select_related("centre__org__area").filter(pk=served.pk).first()
    if s is None or not may_manage(by, s.centre.org.area.code):
        raise NotFound("联系户不存在")
    audit("delete", s, by=by, changes={"centre": s.centre_id, "household": s.household_id})
    s.delete()


@use_case
def alliance_create(
    *,
    area: Area,
    name: str,
    by: Any,
    orgs: list[PartyOrg],
    units: list[tuple[Unit, str]] | None = None,
    estate: str = "",
    focus: str = "",
    lead: PartyOrg | None = None,
) -> Alliance:
    """A 党建联盟 around a 小区 in ``area``: at least two party organisations of that area's community, and the
    co-building units that join with what they offer."""
    if not may_manage(by, area.code):
        raise NotFound("区域不存在")
    community = area.code[:12]
    if len({o.pk for o in orgs}) < 2:
        raise InvalidInput.field("org_ids", "联盟至少需要两个党组织")
    for o in orgs:
        if not o.area.code.startswith(community) or not may_manage(by, o.area.code):
            raise InvalidInput.field("org_ids", f"{o.name} 不在本社区")
    if lead is not None and lead.pk not in {o.pk for o in orgs}:
        raise InvalidInput.field("lead_id", "牵头党组织须是联盟成员", label="牵头党组织")
    alliance = Alliance(
        area=area,
        name=name,
        estate=estate,
        focus=focus,
        created_by=by if getattr(by, "pk", None) else None,
    )
    _clean(alliance)
    try:
        with transaction.atomic():
            alliance.save()
    except IntegrityError as exc:
        raise InvalidInput.field("name", "本区域已有同名联盟") from exc
    lead_id = lead.pk if lead is not None else orgs[0].pk
    seen: set[int] = set()
    links = []
    for o in orgs:
        if o.pk not in seen:
            seen.add(o.pk)
            links.append(AllianceOrg(alliance=alliance, org=o, lead=o.pk == lead_id))
    AllianceOrg.objects.bulk_create(links)
    unit_seen: set[int] = set()
    unit_links = []
    for unit, offer in units or []:
        if unit.pk in unit_seen:
            continue
        unit_seen.add(unit.pk)
        unit_links.append(AllianceUnit(alliance=alliance, unit=unit, offer=offer[:200]))
    AllianceUnit.objects.bulk_create(unit_links)
    audit(
        "create",
        alliance,
        by=by,
        changes={"orgs": sorted(seen), "units": sorted(unit_seen)},
    )
    return alliance
