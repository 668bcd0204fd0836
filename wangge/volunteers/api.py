from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status

from wangge.accounts.models import Unit
from wangge.areas.models import Area
from wangge.core.errors import InvalidInput, NotFound
from wangge.core.schemas import ErrorOut
from wangge.core.scoping import get_visible_or_404

from . import selectors, services
from .models import Activity, Booking, Member, MicroProject, ServicePost, Signup
from .schemas import (
    ActivityIn,
    ActivityOut,
    AgreementIn,
    AgreementOut,
    ApproveIn,
    BookingDoneIn,
    BookingIn,
    BookingOut,
    BookingRateIn,
    CancelIn,
    CheckInIn,
    MemberIn,
    MemberOut,
    MicroProjectIn,
    MicroProjectOut,
    PostIn,
    PostOut,
    RatingIn,
    RatingOut,
    ReportIn,
    ReportOut,
    SignupOut,
    UnitConfirmIn,
    UnitOut,
    VerifyIn,
)

router = Router(tags=["volunteers"])


def _area(code: str | None, field: str) -> Area | None:
    """An optional area by code (None when not given)."""
    if not code:
        return None
    return _required_area(code, field)


def _required_area(code: str | None, field: str) -> Area:
    """An area by code: a missing or unknown code is a 422 naming the field (never a server error)."""
    if not code:
        raise InvalidInput.field(field, "请选择区域")
    area = Area.objects.filter(code=code).first()
    if area is None:
        raise InvalidInput.field(field, "区域不存在")
    return area


def _member_out(m: Member) -> dict:
    from wangge.wishes.services import claims_suspended

    return {
        "id": m.pk,
        "user_id": m.user_id,
        "name": str(m.user),
        "kind": m.kind,
        "skills": m.skills,
        "availability": m.availability,
        "home_community": m.home_community.code if m.home_community_id else None,
        "unit": m.unit.name if m.unit_id else None,
        "unit_confirmed": m.unit_confirmed_at is not None,
        "verified": m.verified_at is not None,
        "claims_suspended": claims_suspended(m, timezone.now()),
    }


def _activity_out(a: Activity, viewer, distance: float | None = None) -> dict:  # type: ignore[no-untyped-def]
    return {
        "id": a.pk,
        "title": a.title,
        "description": a.description,
        "area": a.area.code,
        "area_name": a.area.name,
        "place": a.place,
        "lat": a.lat,
        "lng": a.lng,
        "starts_at": a.starts_at,
        "ends_at": a.ends_at,
        "capacity": a.capacity,
        "confirmed_count": a.confirmed_count,
        "places_left": max(0, a.capacity - a.confirmed_count),
        "skills": a.skills,
        "eligible_kinds": a.eligible_kinds,
        "visibility": a.visibility,
        "status": a.status,
        "distance_m": round(distance) if distance is not None else None,
        "checkin_code": a.checkin_code if services.can_organise(viewer, a) else None,
    }


def _signup_out(s: Signup) -> dict:
    return {
        "id": s.pk,
        "activity_id": s.activity_id,
        "member_id": s.member_id,
        "name": str(s.member.user),
        "status": s.status,
        "offer_expires_at": s.offer_expires_at,
        "checked_in_at": s.checked_in_at,
        "checked_out_at": s.checked_out_at,
        "hours": s.hours,
        "hours_approved": s.hours_approved_at is not None,
        "points_awarded": s.points_awarded,
    }


# --- members, units, 双报到 ---


@router.get("/members", response=list[MemberOut])
def members(request: HttpRequest, limit: int = 200, offset: int = 0) -> list:
    limit = max(1, min(limit, 500))
    return [_member_out(m) for m in selectors.member_list(viewer=request.user)[offset : offset + limit]]


@router.get("/members/me", response=MemberOut)
def member_me(request: HttpRequest) -> dict:
    return _member_out(services.member_for(request.user))


@router.put("/members/me", response=MemberOut)
def member_me_update(request: HttpRequest, payload: MemberIn) -> dict:
    unit = None
    if payload.unit_id:
        unit = Unit.objects.filter(pk=payload.unit_id).first()
        if unit is None:
            raise InvalidInput.field("unit_id", "单位不存在")
    if payload.kind is not None and payload.kind not in Member.Kind.values:
        raise InvalidInput.field("kind", "未知的身份")
    m = services.member_update(
        user=request.user,
        by=request.user,
        kind=payload.kind,
        skills=payload.skills,
        availability=payload.availability,
        home_community=_area(payload.home_community, "home_community"),
        unit=unit,
        bio=payload.bio,
    )
    return _member_out(m)


@router.post("/members/{int:member_id}/verify", response=MemberOut)
def member_verify(request: HttpRequest, member_id: int, payload: VerifyIn) -> dict:
    """Community staff verify a member of their community (or revoke it); verifying lifts a claim suspension.
    A member outside the viewer's scope answers 404."""
    m = selectors.member_get_for_staff(viewer=request.user, member_id=member_id)
    m = services.member_verify(member=m, by=request.user, verified=payload.verified, note=payload.note)
    return _member_out(m)


@router.post("/members/{int:member_id}/unit/confirm", response=MemberOut)
def member_unit_confirm(request: HttpRequest, member_id: int, payload: UnitConfirmIn) -> dict:
    """The member's unit (an account of that unit) or community staff in scope confirm the member's unit."""
    m = Member.objects.select_related("unit").filter(pk=member_id).first()
    if m is None:
        raise NotFound("成员不存在")
    m = services.member_unit_confirm(member=m, by=request.user, confirmed=payload.confirmed)
    return _member_out(m)


@router.post("/members/me/report", response={201: ReportOut})
def member_report(request: HttpRequest, payload: ReportIn) -> Status:
    community = _required_area(payload.community, "community")
    r = services.community_report(
        member=services.member_for(request.user), community=community, by=request.user, note=payload.note
    )
    return Status(
        201,
        {
            "id": r.pk,
            "member_id": r.member_id,
            "community": r.community.code,
            "unit": r.unit.name if r.unit_id else None,
            "created_at": r.created_at,
        },
    )


@router.get("/units", response=list[UnitOut])
def units(request: HttpRequest) -> list:
    return list(selectors.unit_list(viewer=request.user))


@router.get("/units/agreements", response=list[AgreementOut])
def agreements(request: HttpRequest) -> list:
    return [_agreement_out(a) for a in selectors.agreement_list(viewer=request.user)[:500]]


def _agreement_out(a) -> dict:  # type: ignore[no-untyped-def]
    return {
        "id": a.pk,
        "unit_id": a.unit_id,
        "unit": a.unit.name,
        "community": a.community.code,
        "people": a.people,
        "rooms": a.rooms,
        "funds": a.funds,
        "skills": a.skills,
        "signed_on": a.signed_on.isoformat(),
    }


@router.post("/units/agreements", response={201: AgreementOut})
def agreement_sign(request: HttpRequest, payload: AgreementIn) -> Status:
    unit = Unit.objects.filter(pk=payload.unit_id).first()
    if unit is None:
        raise InvalidInput.field("unit_id", "单位不存在")
    community = _required_area(payload.community, "community")
    a = services.unit_agreement_sign(
        unit=unit,
        community=community,
        by=request.user,
        people=payload.people,
        rooms=payload.rooms,
        funds=payload.funds,
        skills=payload.skills,
        other=payload.other,
    )
    return Status(201, _agreement_out(a))


# --- tasks ---


@router.get("/activities", response=list[ActivityOut])
def activities(
    request: HttpRequest,
    lat: float | None = None,
    lng: float | None = None,
    area: str | None = None,
    managed: bool = False,
) -> list:
    if managed or area:
        return [
            _activity_out(a, request.user)
            for a in selectors.activity_list(viewer=request.user, area=area, managed=managed)[:200]
        ]
    return [
        _activity_out(a, request.user, d)
        for a, d in selectors.activities_near(viewer=request.user, lat=lat, lng=lng)
    ]


@router.post("/activities", response={201: ActivityOut})
def activity_create(request: HttpRequest, payload: ActivityIn) -> Status:
    area = _required_area(payload.area, "area")
    unit = None
    if payload.organiser_unit_id:
        unit = Unit.objects.filter(pk=payload.organiser_unit_id).first()
        if unit is None:
            raise InvalidInput.field("organiser_unit_id", "单位不存在")
    if payload.visibility not in Activity.Visibility.values:
        raise InvalidInput.field("visibility", "无效的可见范围")
    a = services.activity_create(
        title=payload.title,
        description=payload.description,
        area=area,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        capacity=payload.capacity,
        place=payload.place,
        lat=payload.lat,
        lng=payload.lng,
        skills=payload.skills,
        eligible_kinds=payload.eligible_kinds,
        visibility=payload.visibility,
        organiser_unit=unit,
        team=payload.team,
        checkin_radius_m=payload.checkin_radius_m,
        by=request.user,
    )
    return Status(201, _activity_out(a, request.user))


@router.get("/activities/{activity_id}", response=ActivityOut)
def activity_detail(request: HttpRequest, activity_id: int) -> dict:
    return _activity_out(selectors.activity_get(viewer=request.user, activity_id=activity_id), request.user)


@router.post("/activities/{activity_id}/cancel", response=ActivityOut)
def activity_cancel(request: HttpRequest, activity_id: int, payload: CancelIn) -> dict:
    a = services.activity_cancel(activity_id=activity_id, by=request.user, reason=payload.reason)
    return _activity_out(a, request.user)


@router.get("/activities/{activity_id}/signups", response=list[SignupOut])
def signups(request: HttpRequest, activity_id: int) -> list:
    a = selectors.activity_get(viewer=request.user, activity_id=activity_id)
    return [_signup_out(s) for s in selectors.signup_list(viewer=request.user, activity=a)]


@router.post("/activities/{activity_id}/signups", response={200: SignupOut, 201: SignupOut})
def signup(request: HttpRequest, activity_id: int) -> Status:
    # signup_create checks existence, visibility (unit/community) and eligibility under the row lock.
    s, created = services.signup_create(activity_id=activity_id, user=request.user)
    return Status((201 if created else 200), _signup_out(s))


def _own_signup(request: HttpRequest, signup_id: int) -> Signup:
    s: Signup = get_visible_or_404(
        Signup.objects.select_related("member__user", "activity__area"), request.user, pk=signup_id
    )
    return s


@router.post("/signups/{signup_id}/cancel", response=SignupOut)
def signup_cancel(request: HttpRequest, signup_id: int, payload: CancelIn) -> dict:
    _own_signup(request, signup_id)
    return _signup_out(services.signup_cancel(signup_id=signup_id, by=request.user, reason=payload.reason))


@router.post("/signups/{signup_id}/accept", response=SignupOut)
def signup_accept(request: HttpRequest, signup_id: int) -> dict:
    return _signup_out(services.signup_accept_offer(signup_id=signup_id, by=request.user))


@router.post("/signups/{signup_id}/approve", response=SignupOut)
def signup_approve(request: HttpRequest, signup_id: int, payload: ApproveIn) -> dict:
    _own_signup(request, signup_id)
    return _signup_out(
        services.signup_approve_hours(signup_id=signup_id, by=request.user, hours=payload.hours)
    )


@router.post("/activities/{activity_id}/checkin", response=SignupOut)
def checkin(request: HttpRequest, activity_id: int, payload: CheckInIn) -> dict:
    s = services.signup_check_in(
        activity_id=activity_id, user=request.user, code=payload.code, lat=payload.lat, lng=payload.lng
    )
    return _signup_out(s)


@router.post("/activities/{activity_id}/checkout")
def checkout(request: HttpRequest, activity_id: int, payload: CheckInIn | None = None) -> dict:
    """A member checks out with the code; an organiser without a code checks everyone out (bulk)."""
    a = selectors.activity_get(viewer=request.user, activity_id=activity_id)
    if payload is None or not payload.code:
        n = services.activity_bulk_check_out(activity_id=a.pk, by=request.user)
        return {"checked_out": n}
    s = services.signup_check_out(activity_id=a.pk, user=request.user, code=payload.code)
    return _signup_out(s)


@router.post("/activities/{activity_id}/approve")
def approve_all(request: HttpRequest, activity_id: int) -> dict:
    return {"approved": services.activity_approve_all(activity_id=activity_id, by=request.user)}


@router.get("/activities/{activity_id}/ratings", response=list[RatingOut])
def ratings(request: HttpRequest, activity_id: int) -> list:
    a = selectors.activity_get(viewer=request.user, activity_id=activity_id)
    from .models import Rating

    qs = Rating.objects.filter(signup__activity=a)
    if not services.can_organise(request.user, a):
        qs = qs.filter(signup__member__user_id=request.user.pk) | qs.filter(rater_id=request.user.pk)  # type: ignore[misc]
    return list(qs.order_by("id"))


@router.post("/activities/{activity_id}/ratings", response={201: RatingOut})
def rate(request: HttpRequest, activity_id: int, payload: RatingIn) -> Status:
    a = selectors.activity_get(viewer=request.user, activity_id=activity_id)
    s = Signup.objects.filter(pk=payload.signup_id, activity=a).first()
    if s is None:
        raise NotFound("报名不存在")
    r = services.rating_create(signup_id=s.pk, by=request.user, score=payload.score, comment=payload.comment)
    return Status(201, r)


# --- service posts and projects (岗位/项目), members' micro-projects (自设服务菜单) ---


def _post_out(p: ServicePost) -> dict:
    return {
        "id": p.pk,
        "community": p.community.code,
        "kind": p.kind,
        "title": p.title,
        "description": p.description,
        "places": p.places,
        "claimed_count": p.claimed_count,
        "open": p.open,
    }


@router.get("/service-posts", response=list[PostOut])
def service_posts(request: HttpRequest) -> list:
    return [_post_out(p) for p in selectors.service_post_list(viewer=request.user)[:500]]


@router.post("/service-posts", response={201: PostOut})
def service_post_create(request: HttpRequest, payload: PostIn) -> Status:
    community = _required_area(payload.community, "community")
    if payload.kind not in ServicePost.Kind.values:
        raise InvalidInput.field("kind", "无效的类型")
    p = services.service_post_create(
        community=community,
        title=payload.title,
        kind=payload.kind,
        description=payload.description,
        places=payload.places,
        by=request.user,
    )
    return Status(201, _post_out(p))


@router.post("/service-posts/{post_id}/claim", response={201: PostOut})
def service_post_claim(request: HttpRequest, post_id: int) -> Status:
    post: ServicePost = get_visible_or_404(
        ServicePost.objects.select_related("community"), request.user, pk=post_id
    )
    services.service_post_claim(post=post, by=request.user)
    post.refresh_from_db()
    return Status(201, _post_out(post))


def _project_out(p: MicroProject) -> dict:
    return {
        "id": p.pk,
        "member_name": str(p.member.user),
        "community": p.community.code,
        "title": p.title,
        "description": p.description,
        "schedule": p.schedule,
        "active": p.active,
    }


@router.get("/micro-projects", response=list[MicroProjectOut])
def micro_projects(request: HttpRequest) -> list:
    return [_project_out(p) for p in selectors.micro_project_list(viewer=request.user)[:500]]


@router.post("/micro-projects", response={201: MicroProjectOut})
def micro_project_create(request: HttpRequest, payload: MicroProjectIn) -> Status:
    community = _required_area(payload.community, "community")
    p = services.micro_project_create(
        user=request.user,
        title=payload.title,
        community=community,
        description=payload.description,
        schedule=payload.schedule,
    )
    return Status(201, _project_out(p))


@router.post("/micro-projects/{project_id}/bookings", response={201: BookingOut})
def booking_create(request: HttpRequest, project_id: int, payload: BookingIn) -> Status:
    project: MicroProject = get_visible_or_404(
        MicroProject.objects.select_related("member").filter(active=True), request.user, pk=project_id
    )
    b = services.booking_create(
        project=project, resident=request.user, wanted_at=payload.wanted_at, note=payload.note
    )
    return Status(201, b)


@router.post(
    "/bookings/{booking_id}/complete",
    response={200: BookingOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def booking_complete(request: HttpRequest, booking_id: int, payload: BookingDoneIn) -> Booking:
    """The member marks the booking done with the hours served."""
    return services.booking_transition(booking_id=booking_id, by=request.user, to="done", hours=payload.hours)


@router.post(
    "/bookings/{booking_id}/rate",
    response={200: BookingOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def booking_rate(request: HttpRequest, booking_id: int, payload: BookingRateIn) -> Booking:
    """The resident served rates the finished booking; the member's points follow hours × the rating."""
    return services.booking_rate(
        booking_id=booking_id, by=request.user, score=payload.score, comment=payload.comment
    )


@router.post("/bookings/{booking_id}/{action}", response=BookingOut)
def booking_action(request: HttpRequest, booking_id: int, action: str) -> Booking:
    to = {"accept": "accepted", "done": "done", "cancel": "cancelled"}.get(action)
    if to is None:
        raise NotFound("未知操作")
    return services.booking_transition(booking_id=booking_id, by=request.user, to=to)
