"""Deliberation API: ``/councils``, ``/meetings``, ``/proposals``, ``/conventions``, ``/mediations``.

Thin: parse → one service or selector → a typed schema. Every look-up goes through the selectors'
``visible_to``: out of scope answers 404 exactly as missing."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from wangge.accounts.models import User
from wangge.areas.models import Area
from wangge.core.errors import InvalidInput, NotFound
from wangge.core.schemas import ErrorOut
from wangge.core.scoping import scope_for
from wangge.registry.models import Building

from . import selectors, services
from .models import Convention, Council, Dispute, FollowUp, Meeting, Party, Proposal, Resolution
from .schemas import (
    AckOut,
    AdoptIn,
    AgendaIn,
    AgendaItemOut,
    AttendanceOut,
    ConventionDetailOut,
    ConventionIn,
    ConventionOut,
    CouncilDetailOut,
    CouncilIn,
    CouncilMemberIn,
    CouncilMemberOut,
    CouncilOut,
    DisputeDetailOut,
    DisputeIn,
    DisputeOut,
    FollowUpIn,
    FollowUpOut,
    FollowUpUpdateIn,
    FollowUpVisitIn,
    FollowUpVisitOut,
    MediationCloseIn,
    MediationStatsOut,
    MediatorIn,
    MediatorOut,
    MeetingCancelIn,
    MeetingDetailOut,
    MeetingIn,
    MeetingOut,
    MinutesIn,
    NoticeOut,
    PartyOut,
    ProposalIn,
    ProposalOut,
    ResolutionIn,
    ResolutionOut,
    ReviseIn,
    SessionIn,
    SessionOut,
    SignInIn,
    SupportOut,
    ThresholdIn,
    ToCaseIn,
    ToTaskIn,
)

router = Router(tags=["deliberation"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
LIMIT = 500


def _area(request: HttpRequest, code: str, field: str = "area") -> Area:
    area = Area.objects.filter(code=code).first()
    if area is None or not scope_for(request.user).contains(area.code):
        raise InvalidInput.field(field, _("区域不存在或不在您的管辖范围内"))
    return area


def _user(pk: int | None, field: str) -> User:
    user = User.objects.filter(pk=pk or 0, is_active=True).first()
    if user is None:
        raise InvalidInput.field(field, _("账号不存在"))
    return user


def _area_ref(area: Area) -> dict[str, str]:
    return {"code": area.code, "name": area.name}


# --- output -----------------------------------------------------------------------------------------------


def council_out(c: Council) -> dict[str, Any]:
    return {
        "id": c.pk,
        "name": c.name,
        "kind": c.kind,
        "area": _area_ref(c.area),
        "building_id": c.building_id,
        "proposal_threshold": c.proposal_threshold,
        "active": c.active,
    }


def council_detail_out(c: Council) -> dict[str, Any]:
    members = [
        {"user_id": m.user_id, "name": str(m.user), "role": m.role, "note": m.note}
        for m in selectors.member_list(council=c)
    ]
    return {**council_out(c), "members": members}


def meeting_out(m: Meeting) -> dict[str, Any]:
    return {
        "id": m.pk,
        "council_id": m.council_id,
        "council": m.council.name,
        "area_code": m.council.area.code,
        "title": m.title,
        "starts_at": m.starts_at,
        "place": m.place,
        "online": bool(m.online_url),
        "status": m.status,
        "noticed_at": m.noticed_at,
        "held_at": m.held_at,
    }


def resolution_out(r: Resolution) -> dict[str, Any]:
    return {
        "id": r.pk,
        "meeting_id": r.meeting_id,
        "agenda_item_id": r.agenda_item_id,
        "text": r.text,
        "votes_for": r.votes_for,
        "votes_against": r.votes_against,
        "votes_abstain": r.votes_abstain,
        "outcome": r.outcome,
        "appeal_id": r.appeal_id,
        "activity_id": r.activity_id,
        "progress": selectors.resolution_progress(r),
    }


def meeting_detail_out(request: HttpRequest, m: Meeting) -> dict[str, Any]:
    manage = services.can_manage_council(request.user, m.council)
    return {
        **meeting_out(m),
        "minutes": m.minutes,
        "agenda": [
            {
                "id": a.pk,
                "position": a.position,
                "title": a.title,
                "description": a.description,
                "source": a.source,
                "appeal_id": a.appeal_id,
                "proposal_id": a.proposal_id,
            }
            for a in selectors.agenda_list(meeting=m)
        ],
        "resolutions": [resolution_out(r) for r in selectors.resolution_list(meeting=m)],
        "attendance_count": m.attendance.count(),
        "signin_code": m.signin_code if manage else None,
    }


def proposal_out(p: Proposal) -> dict[str, Any]:
    item = p.agenda_items.all()[0] if p.status in ("on_agenda", "decided") and p.agenda_items.all() else None
    return {
        "id": p.pk,
        "title": p.title,
        "body": p.body,
        "area": _area_ref(p.area),
        "council_id": p.council_id,
        "council": p.council.name,
        "author": str(p.author),
        "status": p.status,
        "support_count": p.support_count,
        "threshold": p.threshold,
        "reached_at": p.reached_at,
        "supported": bool(getattr(p, "supported", False)),
        "created_at": p.created_at,
        "meeting_id": item.meeting_id if item else None,
    }


def convention_out(c: Convention) -> dict[str, Any]:
    return {
        "id": c.pk,
        "title": c.title,
        "area": _area_ref(c.area),
        "council_id": c.council_id,
        "council": c.council.name,
        "status": c.status,
        "text": c.adopted_version.text if c.adopted_version else selectors.convention_text(c),
        "version": c.adopted_version.number if c.adopted_version else None,
        "adopted_by_resolution_id": c.adopted_by_resolution_id,
        "adopted_ref": c.adopted_ref,
        "adopted_at": c.adopted_at,
        "adopted_by": c.council.name if c.adopted_at else "",
        "published_at": c.published_at,
        "acknowledged": bool(getattr(c, "acknowledged", False)),
        "ack_count": int(getattr(c, "ack_count", 0)),
    }


def dispute_out(d: Dispute) -> dict[str, Any]:
    return {
        "id": d.pk,
        "area": _area_ref(d.area),
        "kind": d.kind,
        "matter": d.matter,
        "status": d.status,
        "outcome": d.outcome,
        "opened_at": d.opened_at,
        "closed_at": d.closed_at,
        # Masked in every list and detail: the full data is a separate, audited reveal.
        "parties": [selectors.party_view(p) for p in d.parties.all()],
        "mediators": [
            {"id": m.pk, "kind": m.kind, "name": m.name, "user_id": m.user_id, "lead": m.lead}
            for m in d.mediators.all()
        ],
    }


def dispute_detail_out(d: Dispute) -> dict[str, Any]:
    return {
        **dispute_out(d),
        "description": d.description,
        "terms": d.terms,
        "referred_to": d.referred_to,
        "appeal_id": d.appeal_id,
        "sessions": [
            {"id": s.pk, "held_at": s.held_at, "place": s.place, "notes": s.notes} for s in d.sessions.all()
        ],
        "visits": [
            {"id": v.pk, "visited_at": v.visited_at, "note": v.note, "kept": v.kept} for v in d.visits.all()
        ],
    }


# --- councils ---------------------------------------------------------------------------------------------


@router.get("/councils", response=list[CouncilOut])
def councils_list(request: HttpRequest, area: str | None = None) -> Any:
    return [council_out(c) for c in selectors.council_list(viewer=request.user, area=area)[:LIMIT]]


@router.post("/councils", response={201: CouncilDetailOut, **ERRORS})
def councils_create(request: HttpRequest, payload: CouncilIn) -> Any:
    building = None
    if payload.building_id is not None:
        building = Building.objects.select_related("area").filter(pk=payload.building_id).first()
        if building is None:
            raise InvalidInput.field("building_id", _("楼栋不存在"))
    c = services.council_create(
        name=payload.name,
        area=_area(request, payload.area),
        kind=payload.kind,
        building=building,
        proposal_threshold=payload.proposal_threshold,
        by=request.user,
    )
    return Status(201, council_detail_out(c))


@router.get("/councils/{int:council_id}", response={200: CouncilDetailOut, **ERRORS})
def councils_get(request: HttpRequest, council_id: int) -> Any:
    return council_detail_out(selectors.council_get(viewer=request.user, pk=council_id))


@router.post("/councils/{int:council_id}/members", response={201: CouncilMemberOut, **ERRORS})
def councils_member_add(request: HttpRequest, council_id: int, payload: CouncilMemberIn) -> Any:
    c = selectors.council_get(viewer=request.user, pk=council_id)
    m = services.council_member_add(
        council=c,
        user=_user(payload.user_id, "user_id"),
        role=payload.role,
        note=payload.note,
        by=request.user,
    )
    return Status(201, {"user_id": m.user_id, "name": str(m.user), "role": m.role, "note": m.note})


@router.post("/councils/{int:council_id}/threshold", response={200: CouncilOut, **ERRORS})
def councils_threshold(request: HttpRequest, council_id: int, payload: ThresholdIn) -> Any:
    c = selectors.council_get(viewer=request.user, pk=council_id)
    return council_out(
        services.council_set_threshold(council=c, threshold=payload.proposal_threshold, by=request.user)
    )


# --- meetings ---------------------------------------------------------------------------------------------


@router.get("/meetings", response=list[MeetingOut])
def meetings_list(request: HttpRequest, council: int | None = None, upcoming: bool | None = None) -> Any:
    c = selectors.council_get(viewer=request.user, pk=council) if council else None
    return [
        meeting_out(m)
        for m in selectors.meeting_list(viewer=request.user, council=c, upcoming=upcoming)[:LIMIT]
    ]


@router.post("/meetings", response={201: MeetingDetailOut, **ERRORS})
def meetings_create(request: HttpRequest, payload: MeetingIn) -> Any:
    try:
        c = selectors.council_get(viewer=request.user, pk=payload.council_id)
    except NotFound as exc:
        raise InvalidInput.field("council_id", _("议事会不存在")) from exc
    m = services.meeting_create(
        council=c,
        title=payload.title,
        starts_at=payload.starts_at,
        place=payload.place,
        online_url=payload.online_url,
        by=request.user,
    )
    return Status(201, meeting_detail_out(request, selectors.meeting_get(viewer=request.user, pk=m.pk)))


@router.get("/meetings/{int:meeting_id}", response={200: MeetingDetailOut, **ERRORS})
def meetings_get(request: HttpRequest, meeting_id: int) -> Any:
    return meeting_detail_out(request, selectors.meeting_get(viewer=request.user, pk=meeting_id))


@router.post("/meetings/{int:meeting_id}/agenda", response={201: AgendaItemOut, **ERRORS})
def meetings_agenda_add(request: HttpRequest, meeting_id: int, payload: AgendaIn) -> Any:
    m = selectors.meeting_get(viewer=request.user, pk=meeting_id)
    a = services.agenda_add(
        meeting=m,
        title=payload.title,
        description=payload.description,
        appeal_id=payload.appeal_id,
        by=request.user,
    )
    return Status(
        201,
        {
            "id": a.pk,
            "position": a.position,
            "title": a.title,
            "description": a.description,
            "source": a.source,
            "appeal_id": a.appeal_id,
            "proposal_id": a.proposal_id,
        },
    )


@router.post("/meetings/{int:meeting_id}/notice", response={200: NoticeOut, **ERRORS})
def meetings_notice(request: HttpRequest, meeting_id: int) -> Any:
    m = selectors.meeting_get(viewer=request.user, pk=meeting_id)
    return {"notified": services.meeting_notify(meeting=m, by=request.user)}


@router.post("/meetings/{int:meeting_id}/sign-in", response={201: AttendanceOut, **ERRORS})
def meetings_sign_in(request: HttpRequest, meeting_id: int, payload: SignInIn) -> Any:
    m = selectors.meeting_get(viewer=request.user, pk=meeting_id)
    a = services.meeting_sign_in(meeting=m, by=request.user, mode=payload.mode, code=payload.code)
    return Status(201, {"meeting_id": m.pk, "user_id": a.user_id, "mode": a.mode, "signed_at": a.signed_at})


@router.post("/meetings/{int:meeting_id}/minutes", response={200: MeetingDetailOut, **ERRORS})
def meetings_minutes(request: HttpRequest, meeting_id: int, payload: MinutesIn) -> Any:
    m = selectors.meeting_get(viewer=request.user, pk=meeting_id)
    services.meeting_record_minutes(meeting=m, minutes=payload.minutes, by=request.user)
    return meeting_detail_out(request, selectors.meeting_get(viewer=request.user, pk=meeting_id))


@router.post("/meetings/{int:meeting_id}/cancel", response={200: MeetingOut, **ERRORS})
def meetings_cancel(request: HttpRequest, meeting_id: int, payload: MeetingCancelIn) -> Any:
    m = selectors.meeting_get(viewer=request.user, pk=meeting_id)
    return meeting_out(services.meeting_cancel(meeting=m, reason=payload.reason, by=request.user))


@router.post("/meetings/{int:meeting_id}/resolutions", response={201: ResolutionOut, **ERRORS})
def meetings_resolution_add(request: HttpRequest, meeting_id: int, payload: ResolutionIn) -> Any:
    m = selectors.meeting_get(viewer=request.user, pk=meeting_id)
    item = None
    if payload.agenda_item_id is not None:
        item = m.agenda.filter(pk=payload.agenda_item_id).first()
        if item is None:
            raise InvalidInput.field("agenda_item_id", _("议题不属于本次会议"))
    r = services.resolution_add(
        meeting=m,
        text=payload.text,
        agenda_item=item,
        votes_for=payload.votes_for,
        votes_against=payload.votes_against,
        votes_abstain=payload.votes_abstain,
        by=request.user,
    )
    return Status(201, resolution_out(r))


def _resolution(request: HttpRequest, meeting_id: int, resolution_id: int) -> Resolution:
    r = selectors.resolution_get(viewer=request.user, pk=resolution_id)
    if r.meeting_id != meeting_id:
        raise NotFound(_("未找到"))
    return r


@router.post(
    "/meetings/{int:meeting_id}/resolutions/{int:resolution_id}/case", response={200: ResolutionOut, **ERRORS}
)
def resolutions_to_case(request: HttpRequest, meeting_id: int, resolution_id: int, payload: ToCaseIn) -> Any:
    r = _resolution(request, meeting_id, resolution_id)
    services.resolution_to_case(
        resolution=r, category=payload.category, description=payload.description, by=request.user
    )
    return resolution_out(selectors.resolution_get(viewer=request.user, pk=resolution_id))


@router.post(
    "/meetings/{int:meeting_id}/resolutions/{int:resolution_id}/task", response={200: ResolutionOut, **ERRORS}
)
def resolutions_to_task(request: HttpRequest, meeting_id: int, resolution_id: int, payload: ToTaskIn) -> Any:
    r = _resolution(request, meeting_id, resolution_id)
    services.resolution_to_task(
        resolution=r,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        capacity=payload.capacity,
        title=payload.title,
        place=payload.place,
        by=request.user,
    )
    return resolution_out(selectors.resolution_get(viewer=request.user, pk=resolution_id))


@router.post(
    "/meetings/{int:meeting_id}/resolutions/{int:resolution_id}/follow-up",
    response={200: ResolutionOut, **ERRORS},
)
def resolutions_follow_up(
    request: HttpRequest, meeting_id: int, resolution_id: int, payload: FollowUpIn
) -> Any:
    r = _resolution(request, meeting_id, resolution_id)
    services.resolution_follow_up(
        resolution=r,
        owner=_user(payload.owner_id, "owner_id"),
        due_on=payload.due_on,
        note=payload.note,
        by=request.user,
    )
    return resolution_out(selectors.resolution_get(viewer=request.user, pk=resolution_id))


@router.post("/meetings/follow-ups/{int:follow_up_id}", response={200: FollowUpOut, **ERRORS})
def follow_ups_update(request: HttpRequest, follow_up_id: int, payload: FollowUpUpdateIn) -> Any:
    f = FollowUp.objects.filter(pk=follow_up_id).first()
    if f is None:
        raise NotFound(_("未找到"))
    if f.owner_id != request.user.pk:
        selectors.resolution_get(viewer=request.user, pk=f.resolution_id)  # 404 outside scope
    f = services.follow_up_update(follow_up=f, state=payload.state, note=payload.note, by=request.user)
    return {
        "id": f.pk,
        "resolution_id": f.resolution_id,
        "owner": str(f.owner),
        "due_on": f.due_on,
        "state": f.state,
        "note": f.note,
    }


# --- proposals --------------------------------------------------------------------------------------------


@router.get("/proposals", response=list[ProposalOut])
def proposals_list(
    request: HttpRequest, status: str | None = None, area: str | None = None, council: int | None = None
) -> Any:
    qs = selectors.proposal_list(viewer=request.user, status=status, area=area, council=council)
    return [proposal_out(p) for p in qs.prefetch_related("agenda_items")[:LIMIT]]


@router.post("/proposals", response={201: ProposalOut, **ERRORS})
def proposals_create(request: HttpRequest, payload: ProposalIn) -> Any:
    p = services.proposal_create(by=request.user, title=payload.title, body=payload.body, scope=payload.scope)
    return Status(201, proposal_out(selectors.proposal_get(viewer=request.user, pk=p.pk)))


@router.get("/proposals/{int:proposal_id}", response={200: ProposalOut, **ERRORS})
def proposals_get(request: HttpRequest, proposal_id: int) -> Any:
    return proposal_out(selectors.proposal_get(viewer=request.user, pk=proposal_id))


@router.post("/proposals/{int:proposal_id}/support", response={201: SupportOut, **ERRORS})
def proposals_support(request: HttpRequest, proposal_id: int) -> Any:
    p = selectors.proposal_get(viewer=request.user, pk=proposal_id)
    _p, crossed = services.proposal_support(proposal=p, by=request.user)
    return Status(
        201,
        {"proposal": proposal_out(selectors.proposal_get(viewer=request.user, pk=p.pk)), "crossed": crossed},
    )


@router.post("/proposals/{int:proposal_id}/withdraw", response={200: ProposalOut, **ERRORS})
def proposals_withdraw(request: HttpRequest, proposal_id: int) -> Any:
    p = selectors.proposal_get(viewer=request.user, pk=proposal_id)
    services.proposal_withdraw(proposal=p, by=request.user)
    return proposal_out(selectors.proposal_get(viewer=request.user, pk=proposal_id))


# --- conventions ------------------------------------------------------------------------------------------


def _convention_detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    c = selectors.convention_get(viewer=request.user, pk=pk)
    versions = [
        {"number": v.number, "text": v.text, "note": v.note, "created_at": v.created_at}
        for v in c.versions.order_by("number")
    ]
    return {**convention_out(c), "versions": versions}


@router.get("/conventions", response=list[ConventionOut])
def conventions_list(request: HttpRequest, status: str | None = None, area: str | None = None) -> Any:
    qs = selectors.convention_list(viewer=request.user, status=status, area=area)
    return [convention_out(c) for c in qs[:LIMIT]]


@router.post("/conventions", response={201: ConventionDetailOut, **ERRORS})
def conventions_create(request: HttpRequest, payload: ConventionIn) -> Any:
    try:
        council = selectors.council_get(viewer=request.user, pk=payload.council_id)
    except NotFound as exc:
        raise InvalidInput.field("council_id", _("议事会不存在")) from exc
    area = _area(request, payload.area) if payload.area else None
    c = services.convention_create(
        council=council, title=payload.title, text=payload.text, area=area, note=payload.note, by=request.user
    )
    return Status(201, _convention_detail(request, c.pk))


@router.get("/conventions/{int:convention_id}", response={200: ConventionDetailOut, **ERRORS})
def conventions_get(request: HttpRequest, convention_id: int) -> Any:
    return _convention_detail(request, convention_id)


@router.post("/conventions/{int:convention_id}/versions", response={201: ConventionDetailOut, **ERRORS})
def conventions_revise(request: HttpRequest, convention_id: int, payload: ReviseIn) -> Any:
    c = selectors.convention_get(viewer=request.user, pk=convention_id)
    services.convention_revise(convention=c, text=payload.text, note=payload.note, by=request.user)
    return Status(201, _convention_detail(request, convention_id))


@router.post("/conventions/{int:convention_id}/adopt", response={200: ConventionDetailOut, **ERRORS})
def conventions_adopt(request: HttpRequest, convention_id: int, payload: AdoptIn) -> Any:
    c = selectors.convention_get(viewer=request.user, pk=convention_id)
    resolution = None
    if payload.resolution_id is not None:
        try:
            resolution = selectors.resolution_get(viewer=request.user, pk=payload.resolution_id)
        except NotFound as exc:
            raise InvalidInput.field("resolution_id", _("决议不存在")) from exc
    services.convention_adopt(
        convention=c, resolution=resolution, adopted_ref=payload.adopted_ref, by=request.user
    )
    return _convention_detail(request, convention_id)


@router.post("/conventions/{int:convention_id}/acknowledge", response={201: AckOut, **ERRORS})
def conventions_acknowledge(request: HttpRequest, convention_id: int) -> Any:
    c = selectors.convention_get(viewer=request.user, pk=convention_id)
    a = services.convention_acknowledge(convention=c, by=request.user)
    return Status(201, {"convention_id": c.pk, "version": a.version.number, "created_at": a.created_at})


# --- mediation --------------------------------------------------------------------------------------------


@router.get("/mediations", response=list[DisputeOut])
def mediations_list(
    request: HttpRequest, status: str | None = None, kind: str | None = None, area: str | None = None
) -> Any:
    qs = selectors.dispute_list(viewer=request.user, status=status, kind=kind, area=area)
    return [dispute_out(d) for d in qs[:LIMIT]]


@router.post("/mediations", response={201: DisputeDetailOut, **ERRORS})
def mediations_create(request: HttpRequest, payload: DisputeIn) -> Any:
    d = services.dispute_open(
        area=_area(request, payload.area),
        kind=payload.kind,
        matter=payload.matter,
        description=payload.description,
        parties=[p.dict() for p in payload.parties],
        appeal_id=payload.appeal_id,
        by=request.user,
    )
    return Status(201, dispute_detail_out(selectors.dispute_get(viewer=request.user, pk=d.pk)))


@router.get("/mediations/stats", response={200: MediationStatsOut, **ERRORS})
def mediations_stats(request: HttpRequest, level: str = "community", area: str | None = None) -> Any:
    return selectors.mediation_counts(viewer=request.user, level=level, area=area)


@router.get("/mediations/{int:dispute_id}", response={200: DisputeDetailOut, **ERRORS})
def mediations_get(request: HttpRequest, dispute_id: int) -> Any:
    return dispute_detail_out(selectors.dispute_get(viewer=request.user, pk=dispute_id))


@router.post("/mediations/{int:dispute_id}/parties/{int:party_id}/reveal", response={200: PartyOut, **ERRORS})
def mediations_party_reveal(request: HttpRequest, dispute_id: int, party_id: int) -> Any:
    d = selectors.dispute_get(viewer=request.user, pk=dispute_id)
    party = Party.objects.filter(pk=party_id, dispute=d).first()
    if party is None:
        raise NotFound(_("未找到"))
    full = services.party_reveal(party=party, by=request.user)
    return {"id": party.pk, "kind": party.kind, "side": party.side, **full}


@router.post("/mediations/{int:dispute_id}/mediators", response={201: MediatorOut, **ERRORS})
def mediations_mediator_add(request: HttpRequest, dispute_id: int, payload: MediatorIn) -> Any:
    d = selectors.dispute_get(viewer=request.user, pk=dispute_id)
    user = _user(payload.user_id, "user_id") if payload.user_id is not None else None
    m = services.mediator_add(
        dispute=d, kind=payload.kind, user=user, name=payload.name, lead=payload.lead, by=request.user
    )
    return Status(201, {"id": m.pk, "kind": m.kind, "name": m.name, "user_id": m.user_id, "lead": m.lead})


@router.post("/mediations/{int:dispute_id}/sessions", response={201: SessionOut, **ERRORS})
def mediations_session(request: HttpRequest, dispute_id: int, payload: SessionIn) -> Any:
    d = selectors.dispute_get(viewer=request.user, pk=dispute_id)
    s = services.session_record(
        dispute=d, notes=payload.notes, held_at=payload.held_at, place=payload.place, by=request.user
    )
    return Status(201, {"id": s.pk, "held_at": s.held_at, "place": s.place, "notes": s.notes})


@router.post("/mediations/{int:dispute_id}/close", response={200: DisputeDetailOut, **ERRORS})
def mediations_close(request: HttpRequest, dispute_id: int, payload: MediationCloseIn) -> Any:
    d = selectors.dispute_get(viewer=request.user, pk=dispute_id)
    services.dispute_close(
        dispute=d,
        outcome=payload.outcome,
        terms=payload.terms,
        referred_to=payload.referred_to,
        by=request.user,
    )
    return dispute_detail_out(selectors.dispute_get(viewer=request.user, pk=dispute_id))


@router.post("/mediations/{int:dispute_id}/visits", response={201: FollowUpVisitOut, **ERRORS})
def mediations_visit(request: HttpRequest, dispute_id: int, payload: FollowUpVisitIn) -> Any:
    d = selectors.dispute_get(viewer=request.user, pk=dispute_id)
    v = services.visit_record(
        dispute=d, note=payload.note, kept=payload.kept, visited_at=payload.visited_at, by=request.user
    )
    return Status(201, {"id": v.pk, "visited_at": v.visited_at, "note": v.note, "kept": v.kept})
