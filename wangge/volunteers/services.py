"""Every write of the mobilisation context.

Sign-ups are race-safe: the activity row is locked (``select_for_update``; SQLite's IMMEDIATE transactions
serialise writers), a place is taken with a conditional ``UPDATE … SET confirmed_count = confirmed_count + 1
WHERE confirmed_count < capacity`` (and a CHECK constraint), and (activity, member) is unique. Whoever does
not get a place joins the first-come waitlist.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg, F
from django.urls import reverse
from django.utils import timezone

from wangge.accounts.models import Unit
from wangge.accounts.roles import Role, user_can
from wangge.areas.geo import distance_m
from wangge.areas.models import Area, Level
from wangge.core.audit import audit
from wangge.core.errors import Conflict, Forbidden, InvalidInput, NotFound, from_django_validation
from wangge.core.scoping import get_visible_or_404, scope_for
from wangge.core.transactions import use_case
from wangge.points.rules import RATING_FACTORS
from wangge.points.services import points_earn

from .models import (
    Activity,
    Booking,
    CommunityReport,
    Member,
    MicroProject,
    PostClaim,
    Rating,
    ServicePost,
    Signup,
    UnitAgreement,
    member_community_codes,
)

# Configurable in settings; these are the defaults.
OFFER_HOURS = int(getattr(settings, "WANGGE_VOLUNTEER_OFFER_HOURS", 12))
PROMOTION_CUTOFF_HOURS = int(getattr(settings, "WANGGE_VOLUNTEER_PROMOTION_CUTOFF_HOURS", 2))
CHECKIN_EARLY_MINUTES = int(getattr(settings, "WANGGE_VOLUNTEER_CHECKIN_EARLY_MINUTES", 30))

S = Signup.Status
log = logging.getLogger(__name__)


def _clean(obj: Any, exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise from_django_validation(exc) from exc


def can_organise(user: Any, activity: Activity) -> bool:
    """The publisher, or staff whose area scope contains the task's area."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if activity.created_by_id == user.pk:
        return True
    return user_can(user, "mobilisation.manage") and scope_for(user).contains(activity.area.code)


def _require_organiser(user: Any, activity: Activity) -> None:
    if not can_organise(user, activity):
        raise Forbidden("只有任务组织者可以执行此操作")


# --- members and 双报到 ----------------------------------------------------------------------------------


def member_for(user: Any) -> Member:
    """The user's member profile, created (as a plain volunteer) on first use."""
    member = Member.objects.filter(user=user).select_related("home_community").first()
    if member is None:
        try:
            with transaction.atomic():
                member = Member.objects.create(user=user)
        except IntegrityError:
            member = Member.objects.get(user=user)
    member.user = user  # the caller's object: saves a query when the member's name is shown
    return member


@use_case
def member_update(
    *,
    user: Any,
    by: Any,
    kind: str | None = None,
    skills: list[str] | None = None,
    availability: str | None = None,
    home_community: Area | None = None,
    unit: Unit | None = None,
    bio: str | None = None,
    report_home: bool = False,
) -> Member:
    """Update a member's profile; with ``report_home`` also report (双报到) to the home community, in the
    same transaction (the profile page's one use case)."""
    if by != user and not user_can(by, "mobilisation.manage"):
        raise Forbidden("只能修改自己的资料")
    member = member_for(user)
    if kind is not None:
        member.kind = kind
    if skills is not None:
        member.skills = [s.strip() for s in skills if s and s.strip()][:20]
    if availability is not None:
        member.availability = availability
    if home_community is not None:
        if home_community.level != Level.COMMUNITY:
            raise InvalidInput.field("home_community", "请选择社区")
        member.home_community = home_community
    if unit is not None and unit.pk != member.unit_id:
        # Naming a unit is a claim, not a fact: the unit or the community confirms it.
        member.unit = unit
        member.unit_confirmed_at = None
        member.unit_confirmed_by = None
    if bio is not None:
        member.bio = bio
    _clean(member)
    member.save()
    audit("update", member, by=by, changes={"kind": member.kind})
    if report_home:
        if member.home_community is None:
            raise InvalidInput.field("home_community", "请选择居住社区后再报到")
        _report(member=member, community=member.home_community, by=by)
    return member


# Roles that verify members for their community (a grid worker proposes, the community decides).
VERIFY_ROLES = {Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.DISTRICT, Role.ADMIN}


def _member_for_staff(member_id: int, by: Any) -> Member:
    """A member whose community (where they live or reported) lies in ``by``'s scope; else 404."""
    if not user_can(by, "mobilisation.manage"):
        raise NotFound("成员不存在")
    qs = Member.objects.select_related("user", "home_community", "unit").select_for_update(of=("self",))
    member: Member = get_visible_or_404(qs, by, "manage", pk=member_id)
    return member


@use_case
def member_verify(*, member: Member, by: Any, verified: bool = True, note: str = "") -> Member:
    """Community staff confirm who a member is (only verified members may claim micro-wishes), or revoke
    it. Verifying again also lifts a claim suspension."""
    member = _member_for_staff(member.pk, by)
    if not (by.is_superuser or by.role in VERIFY_ROLES):
        raise Forbidden("成员身份由社区工作人员核实")
    now = timezone.now()
    if verified:
        codes = member_community_codes(member)
        community = next(
            (
                c
                for c in Area.objects.filter(code__in=codes).order_by("code")
                if scope_for(by).contains(c.code)
            ),
            None,
        )
        member.verified_at = now
        member.verified_by = by
        member.verified_community = community
        member.claims_suspended_at = None
    else:
        member.verified_at = None
        member.verified_by = None
        member.verified_community = None
    member.save(
        update_fields=[
            "verified_at",
            "verified_by",
            "verified_community",
            "claims_suspended_at",
            "updated_at",
        ]
    )
    audit("update", member, by=by, changes={"verified": verified}, note=note)
    return member


@use_case
def member_unit_confirm(*, member: Member, by: Any, confirmed: bool = True) -> Member:
    """The member's unit is confirmed by the unit itself (an account of that unit) or by community staff
    in scope; the member cannot confirm themselves."""
    locked = (
        Member.objects.select_for_update(of=("self",)).select_related("unit").filter(pk=member.pk).first()
    )
    if locked is None:
        raise NotFound("成员不存在")
    member = locked
    if member.unit_id is None:
        raise InvalidInput.field("unit", "该成员未填写工作单位")
    own_unit = getattr(by, "unit_id", None) == member.unit_id and by.pk != member.user_id
    if not own_unit:
        member = _member_for_staff(member.pk, by)
    if not getattr(by, "is_authenticated", False) or by.pk == member.user_id:
        raise Forbidden("单位信息须由单位或社区确认")
    member.unit_confirmed_at = timezone.now() if confirmed else None
    member.unit_confirmed_by = by if confirmed else None
    member.save(update_fields=["unit_confirmed_at", "unit_confirmed_by", "updated_at"])
    if confirmed:  # 双报到 records made while the unit was unconfirmed now show it
        CommunityReport.objects.filter(member=member, active=True, unit__isnull=True).update(unit=member.unit)
    audit("update", member, by=by, changes={"unit": member.unit_id, "unit_confirmed": confirmed})
    return member


@use_case
def community_report(*, member: Member, community: Area, by: Any, note: str = "") -> CommunityReport:
    """双报到: the member reports to the community where they live (idempotent while active)."""
    return _report(member=member, community=community, by=by, note=note)


def _report(*, member: Member, community: Area, by: Any, note: str = "") -> CommunityReport:
    if by != member.user and not user_can(by, "mobilisation.manage"):
        raise Forbidden("只能为自己报到")
    if community.level != Level.COMMUNITY:
        raise InvalidInput.field("community", "请选择社区")
    existing = CommunityReport.objects.filter(member=member, community=community, active=True).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            report = CommunityReport.objects.create(
                member=member, community=community, unit_id=member.confirmed_unit_id, note=note
            )
    except IntegrityError:
        return CommunityReport.objects.get(member=member, community=community, active=True)
    if member.home_community_id is None:
        Member.objects.filter(pk=member.pk).update(home_community=community)
    audit("create", report, by=by)
    return report


@use_case
def unit_agreement_sign(
    *,
    unit: Unit,
    community: Area,
    by: Any,
    people: int = 0,
    rooms: str = "",
    funds: int = 0,
    skills: str = "",
    other: str = "",
    signed_on: dt.date | None = None,
    valid_until: dt.date | None = None,
) -> UnitAgreement:
    """双报到 (unit): record the co-building agreement and the resources the unit offers."""
    if not (user_can(by, "mobilisation.manage") and scope_for(by).contains(community.code)):
        raise Forbidden("无权为该社区签订共建协议")
    if unit.kind != Unit.Kind.CO_BUILDING:
        raise InvalidInput.field("unit", "只有共建单位可以签订共建协议")
    if community.level != Level.COMMUNITY:
        raise InvalidInput.field("community", "请选择社区")
    agreement = UnitAgreement(
        unit=unit,
        community=community,
        people=people,
        rooms=rooms,
        funds=funds,
        skills=skills,
        other=other,
        signed_on=signed_on or timezone.localdate(),
        valid_until=valid_until,
        signed_by=by if getattr(by, "pk", None) else None,
    )
    try:
        agreement.full_clean(exclude=["signed_by"], validate_constraints=False)
    except ValidationError as exc:
        raise from_django_validation(exc) from exc
    try:
        with transaction.atomic():
            agreement.save()
    except IntegrityError as exc:
        raise Conflict("该单位已与该社区签订有效协议", state="active") from exc
    audit("create", agreement, by=by, changes={"people": people, "funds": funds})
    return agreement


@use_case
def service_post_create(
    *, community: Area, title: str, by: Any, kind: str = "post", description: str = "", places: int = 1
) -> ServicePost:
    if not (user_can(by, "mobilisation.manage") and scope_for(by).contains(community.code)):
        raise Forbidden("无权发布岗位")
    post = ServicePost(community=community, title=title, kind=kind, description=description, places=places)
    _clean(post)
    post.save()
    audit("create", post, by=by)
    return post


@use_case
def service_post_claim(
    *, post: ServicePost, by: Any, member: Member | None = None, unit: Unit | None = None
) -> PostClaim:
    """Claim one place of a post/project: a conditional UPDATE takes the place, a unique index stops doubles."""
    if member is None and unit is None:
        member = member_for(by)
    if member is not None and member.user_id != by.pk and not user_can(by, "mobilisation.manage"):
        raise Forbidden("只能为自己认领")
    existing = PostClaim.objects.filter(post=post, member=member, unit=unit, active=True).first()
    if existing:
        return existing
    took = ServicePost.objects.filter(pk=post.pk, open=True, claimed_count__lt=F("places")).update(
        claimed_count=F("claimed_count") + 1
    )
    if not took:
        raise Conflict("名额已满", state="full")
    try:
        with transaction.atomic():
            claim = PostClaim.objects.create(post=post, member=member, unit=unit)
    except IntegrityError as exc:
        raise Conflict("已认领", state="claimed") from exc
    audit("create", claim, by=by)
    return claim


# --- tasks ---------------------------------------------------------------------------------------------


@use_case
def activity_create(
    *,
    title: str,
    area: Area,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    capacity: int,
    by: Any,
    description: str = "",
    place: str = "",
    lat: float | None = None,
    lng: float | None = None,
    skills: list[str] | None = None,
    eligible_kinds: list[str] | None = None,
    visibility: str = Activity.Visibility.PUBLIC,
    organiser_unit: Unit | None = None,
    team: str = "",
    checkin_radius_m: int | None = None,
    offer_hours: int | None = None,
    promotion_cutoff_hours: int | None = None,
) -> Activity:
    """Publish a task. Community/grid staff publish in their scope; a unit publishes in a community it
    has an agreement with (its staff need the manage permission)."""
    if not user_can(by, "mobilisation.manage"):
        raise Forbidden("无权发布志愿任务")
    if not scope_for(by).contains(area.code) and not (
        organiser_unit is not None
        and UnitAgreement.objects.filter(
            unit=organiser_unit, community__code=area.code[:12], active=True
        ).exists()
    ):
        raise Forbidden("只能在自己负责的区域发布任务")
    if ends_at <= starts_at:
        raise InvalidInput.field("ends_at", "结束时间必须晚于开始时间")
    if capacity < 1:
        raise InvalidInput.field("capacity", "名额至少为1")
    if (lat is None) != (lng is None):
        raise InvalidInput.field("lat", "经纬度须同时填写")
    if lat is not None and not (-90 <= lat <= 90 and -180 <= float(lng or 0) <= 180):
        raise InvalidInput.field("lat", "经纬度无效")
    kinds = eligible_kinds or []
    bad = [k for k in kinds if k not in Member.Kind.values]
    if bad:
        raise InvalidInput.field("eligible_kinds", f"未知的身份：{', '.join(bad)}")
    if lat is None and area.center_lat is not None:
        lat, lng = area.center_lat, area.center_lng
    activity = Activity(
        title=title,
        description=description,
        area=area,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        place=place,
        lat=lat,
        lng=lng,
        skills=[s for s in (skills or []) if s],
        eligible_kinds=kinds,
        visibility=visibility,
        organiser_unit=organiser_unit,
        team=team,
        checkin_radius_m=checkin_radius_m,
        offer_hours=offer_hours if offer_hours is not None else OFFER_HOURS,
        promotion_cutoff_hours=promotion_cutoff_hours
        if promotion_cutoff_hours is not None
        else PROMOTION_CUTOFF_HOURS,
        created_by=by,
    )
    _clean(activity, exclude=["created_by", "checkin_code"])
    activity.save()
    audit("create", activity, by=by, changes={"capacity": capacity, "area": area.code})
    _notify(
        task_recipients(activity),
        "volunteers.published",
        f"新志愿任务：{activity.title}",
        f"{timezone.localtime(activity.starts_at):%m-%d %H:%M} {activity.place}".strip(),
        activity,
    )
    return activity


def task_recipients(activity: Activity) -> list[Any]:
    """Who is told about a new task: members who reported to its community (双报到) and may sign up, and —
    when the task names skills — only those with one of them. One query."""
    wanted = {s.strip() for s in (activity.skills or []) if s and s.strip()}
    members = (
        Member.objects.filter(
            reports__community__code=activity.area.code[:12], reports__active=True, user__is_active=True
        )
        .select_related("user")
        .distinct()
        .order_by("pk")
    )
    out = []
    for m in members:
        if wanted and not wanted & {str(s).strip() for s in (m.skills or [])}:
            continue
        if activity.visibility == Activity.Visibility.UNIT or (
            activity.eligible_kinds and m.kind not in activity.eligible_kinds
        ):
            continue
        out.append(m.user)
    return out


def _eligible(activity: Activity, member: Member) -> str | None:
    """Why ``member`` may not sign up, or None. A unit-only task reads the member's confirmed unit; a
    community-only task admits members who live in the community or reported to it (双报到)."""
    if activity.eligible_kinds and member.kind not in activity.eligible_kinds:
        return "不符合参与对象要求"
    if activity.visibility == Activity.Visibility.UNIT and (
        activity.organiser_unit_id is None or member.confirmed_unit_id != activity.organiser_unit_id
    ):
        return "仅限本单位人员（须经单位或社区确认）"
    if activity.visibility == Activity.Visibility.COMMUNITY:
        code = activity.area.code
        if not any(code.startswith(c) or c.startswith(code) for c in member_community_codes(member)):
            return "仅限本社区党员/志愿者"
    return None


def _lock_activity(activity_id: int, viewer: Any = None) -> Activity:
    """The task's row, locked. With ``viewer``: only a task the viewer may see (else 404, as missing)."""
    qs = Activity.objects.visible_to(viewer) if viewer is not None else Activity.objects.all()
    activity = qs.select_for_update(of=("self",)).select_related("area").filter(pk=activity_id).first()
    if activity is None:
        raise NotFound("任务不存在")
    return activity


@use_case
def signup_create(*, activity_id: int, user: Any, now: dt.datetime | None = None) -> tuple[Signup, bool]:
    """Sign ``user`` up: a place while there is one, else the waitlist. Returns (signup, created).
    Signing up again while holding a place or a waitlist position returns the same sign-up."""
    now = now or timezone.now()
    if not user_can(user, "mobilisation.participate"):
        raise Forbidden("当前角色不能报名志愿任务")
    member = member_for(user)
    activity = _lock_activity(activity_id, viewer=user)
    if activity.status != Activity.Status.OPEN:
        raise Conflict("任务已不接受报名", state=activity.status)
    if now >= activity.starts_at:
        raise Conflict("任务已开始，不能报名", state="started")
    reason = _eligible(activity, member)
    if reason:
        raise Forbidden(reason)
    signup = Signup.objects.filter(activity=activity, member=member).first()
    if signup is not None and signup.status != S.CANCELLED:
        return signup, False
    # A place, unless people are already queued ahead (they are being offered the freed places).
    # (Close to the start promotion stops, so a freed place then goes to whoever asks first.)
    cutoff = activity.starts_at - dt.timedelta(hours=activity.promotion_cutoff_hours)
    # The locked row's count is current, so a full task goes straight to the waitlist (the rush's common
    # case, two queries fewer); a place is still only ever taken by the conditional UPDATE.
    took = (
        activity.confirmed_count < activity.capacity
        and not (now < cutoff and Signup.objects.filter(activity=activity, status=S.WAITLISTED).exists())
        and Activity.objects.filter(pk=activity.pk, confirmed_count__lt=F("capacity")).update(
            confirmed_count=F("confirmed_count") + 1
        )
        == 1
    )
    status = S.CONFIRMED if took else S.WAITLISTED
    if signup is None:
        signup = Signup.objects.create(activity=activity, member=member, status=status)
    else:  # re-joining after a cancellation: back of the queue
        signup.status = status
        signup.queued_at = now
        signup.cancelled_at = None
        signup.cancel_reason = ""
        signup.offer_expires_at = None
        signup.save()
    return signup, True


def _promote_next(activity: Activity, now: dt.datetime) -> Signup | None:
    """A held place became free (caller holds the activity lock): offer it to the first in the waitlist,
    or release it. Close to the start, promotion stops and the place is simply released."""
    cutoff = activity.starts_at - dt.timedelta(hours=activity.promotion_cutoff_hours)
    nxt = None
    if now < cutoff and activity.status == Activity.Status.OPEN:
        nxt = (
            Signup.objects.filter(activity=activity, status=S.WAITLISTED)
            .select_related("member__user")
            .order_by("queued_at", "id")
            .first()
        )
    if nxt is None:
        Activity.objects.filter(pk=activity.pk, confirmed_count__gt=0).update(
            confirmed_count=F("confirmed_count") - 1
        )
        return None
    nxt.status = S.OFFERED
    nxt.offer_expires_at = min(now + dt.timedelta(hours=activity.offer_hours), cutoff)
    nxt.save(update_fields=["status", "offer_expires_at", "updated_at"])
    deadline = timezone.localtime(nxt.offer_expires_at).strftime("%m-%d %H:%M")
    _notify(
        [nxt.member.user],
        "volunteers.offer",
        f"候补转正：{activity.title}",
        f"有名额空出，请在 {deadline} 前确认，逾期将顺延给下一位。",
        activity,
    )
    return nxt


def _notify(users: list[Any], event: str, title: str, body: str, activity: Activity) -> None:
    """Tell members about their sign-up (in-app and SMS); a notification failure never undoes the change."""
    from wangge.notifications.services import notify

    try:
        with transaction.atomic():
            notify(
                users=users,
                event=event,
                title=title,
                body=body,
                link=reverse("volunteers:activity", args=[activity.pk]),
                obj=activity,
            )
    except Exception:
        log.exception("notify failed for activity %s", activity.pk)


@use_case
def signup_cancel(*, signup_id: int, by: Any, reason: str, now: dt.datetime | None = None) -> Signup:
    """The member (or the organiser) cancels; a held place goes to the next in line."""
    now = now or timezone.now()
    signup = Signup.objects.select_related("member", "activity__area").filter(pk=signup_id).first()
    if signup is None:
        raise NotFound("报名不存在")
    if signup.member.user_id != by.pk and not can_organise(by, signup.activity):
        raise NotFound("报名不存在")
    if not reason.strip():
        raise InvalidInput.field("reason", "请填写取消原因")
    activity = _lock_activity(signup.activity_id)
    signup.refresh_from_db()
    if signup.status not in (S.CONFIRMED, S.WAITLISTED, S.OFFERED):
        raise Conflict("当前状态不能取消", state=signup.status)
    held = signup.status in (S.CONFIRMED, S.OFFERED)
    signup.status = S.CANCELLED
    signup.cancelled_at = now
    signup.cancel_reason = reason[:200]
    signup.offer_expires_at = None
    signup.save()
    if held:
        _promote_next(activity, now)
    audit("update", signup, by=by, changes={"status": "cancelled"}, note=reason)
    return signup


@use_case
def signup_accept_offer(*, signup_id: int, by: Any, now: dt.datetime | None = None) -> Signup:
    now = now or timezone.now()
    signup = Signup.objects.select_related("member").filter(pk=signup_id, member__user=by).first()
    if signup is None:
        raise NotFound("报名不存在")
    _lock_activity(signup.activity_id)
    signup.refresh_from_db()
    if signup.status != S.OFFERED or (signup.offer_expires_at and signup.offer_expires_at <= now):
        raise Conflict("递补名额已失效", state=signup.status)
    signup.status = S.CONFIRMED
    signup.offer_expires_at = None
    signup.save(update_fields=["status", "offer_expires_at", "updated_at"])
    return signup


def _within_window(activity: Activity, now: dt.datetime) -> bool:
    return activity.starts_at - dt.timedelta(minutes=CHECKIN_EARLY_MINUTES) <= now <= activity.ends_at


@use_case
def signup_check_in(
    *,
    activity_id: int,
    user: Any,
    code: str,
    lat: float | None = None,
    lng: float | None = None,
    now: dt.datetime | None = None,
) -> Signup:
    """Check in with the code the organiser shows, during the task (and near the place if required)."""
    now = now or timezone.now()
    activity = _lock_activity(activity_id, viewer=user)
    signup = Signup.objects.filter(activity=activity, member__user=user).first()
    if signup is None or signup.status not in (S.CONFIRMED, S.CHECKED_IN):
        raise Conflict("没有有效的报名", state=signup.status if signup else None)
    if (code or "").strip() != activity.checkin_code:
        raise InvalidInput.field("code", "签到码不正确")
    if not _within_window(activity, now):
        # Say when it opens (or that it has closed), in local time: "not now" alone sends people away guessing.
        opens = activity.starts_at - dt.timedelta(minutes=CHECKIN_EARLY_MINUTES)
        if now < opens:
            local = timezone.localtime(opens)
            today = local.date() == timezone.localtime(now).date()
            when = f"今天 {local:%H:%M}" if today else f"{local.month}月{local.day}日 {local:%H:%M}"
            raise Conflict(
                f"签到尚未开始：{when} 开放签到（任务开始前 {CHECKIN_EARLY_MINUTES} 分钟）",
                state="outside_window",
                opens_at=opens.isoformat(),
            )
        ends = timezone.localtime(activity.ends_at)
        raise Conflict(
            f"任务已于 {ends.month}月{ends.day}日 {ends:%H:%M} 结束，签到已关闭",
            state="outside_window",
            opens_at=opens.isoformat(),
        )
    if activity.checkin_radius_m and activity.lat is not None:
        if lat is None or lng is None:
            raise InvalidInput.field("lat", "本任务需要定位签到")
        if distance_m(lat, lng, activity.lat, float(activity.lng or 0)) > activity.checkin_radius_m:
            raise InvalidInput.field("lat", f"距离任务地点超过 {activity.checkin_radius_m} 米")
    if signup.status == S.CHECKED_IN:
        return signup
    signup.status = S.CHECKED_IN
    signup.checked_in_at = now
    signup.save(update_fields=["status", "checked_in_at", "updated_at"])
    return signup


def _hours(activity: Activity, start: dt.datetime, end: dt.datetime) -> Decimal:
    """Time present within the task window, in hours (2 decimals)."""
    a, b = max(start, activity.starts_at), min(end, activity.ends_at)
    seconds = max(0.0, (b - a).total_seconds())
    return Decimal(seconds / 3600).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _check_out(signup: Signup, activity: Activity, at: dt.datetime) -> Signup:
    signup.status = S.CHECKED_OUT
    signup.checked_out_at = at
    signup.hours = _hours(activity, signup.checked_in_at or at, at)
    signup.save(update_fields=["status", "checked_out_at", "hours", "updated_at"])
    return signup


@use_case
def signup_check_out(*, activity_id: int, user: Any, code: str, now: dt.datetime | None = None) -> Signup:
    now = now or timezone.now()
    activity = _lock_activity(activity_id, viewer=user)
    signup = Signup.objects.filter(activity=activity, member__user=user).first()
    if signup is None or signup.status != S.CHECKED_IN:
        raise Conflict("尚未签到", state=signup.status if signup else None)
    if (code or "").strip() != activity.checkin_code:
        raise InvalidInput.field("code", "签到码不正确")
    return _check_out(signup, activity, now)


@use_case
def activity_bulk_check_out(*, activity_id: int, by: Any, at: dt.datetime | None = None) -> int:
    """The organiser checks out everyone still checked in (at ``at``, default now but not after the end)."""
    activity = _lock_activity(activity_id, viewer=by)
    _require_organiser(by, activity)
    at = min(at or timezone.now(), activity.ends_at)
    n = 0
    for signup in Signup.objects.filter(activity=activity, status=S.CHECKED_IN):
        _check_out(signup, activity, at)
        n += 1
    audit("update", activity, by=by, changes={"bulk_check_out": n})
    return n


def rating_factor(signup: Signup) -> float:
    avg = signup.ratings.aggregate(a=Avg("score"))["a"]
    if avg is None:
        return 1.0
    return RATING_FACTORS.get(int(Decimal(avg).quantize(Decimal("1"), rounding=ROUND_HALF_UP)), 1.0)


@use_case
def signup_approve_hours(*, signup_id: int, by: Any, hours: Decimal | float | None = None) -> Signup:
    """The organiser approves the hours (at most the time present); points are paid once per sign-up."""
    signup = Signup.objects.select_related("activity__area", "member__user").filter(pk=signup_id).first()
    if signup is None:
        raise NotFound("报名不存在")
    _require_organiser(by, signup.activity)
    _lock_activity(signup.activity_id)
    signup.refresh_from_db()
    if signup.status != S.CHECKED_OUT:
        raise Conflict("只能审核已签退的服务时长", state=signup.status)
    if signup.hours_approved_at is not None:
        raise Conflict("服务时长已审核", state="approved")
    present = signup.hours or Decimal(0)
    approved = present if hours is None else Decimal(str(hours)).quantize(Decimal("0.01"))
    if approved < 0 or approved > present:
        # The bound is the time present within the task window; say so, and say it plainly when it is nothing.
        if present <= 0:
            raise InvalidInput.field(
                "hours", "任务时段内没有在场时长（签到、签退不在任务时间内），只能核定 0 小时"
            )
        raise InvalidInput.field(
            "hours", f"核定时长须在 0 到 {present.normalize():f} 小时之间（不超过在场时长）"
        )
    signup.hours = approved
    signup.hours_approved_at = timezone.now()
    signup.hours_approved_by = by
    entry = points_earn(
        user=signup.member.user,
        rule_code="volunteer_hour",
        source_key=f"signup:{signup.pk}",
        quantity=float(approved),
        factor=rating_factor(signup),
        by=by,
        note=f"志愿服务：{signup.activity.title}",
        on=timezone.localdate(signup.activity.starts_at),
        fields={"day": "hours"},
    )
    signup.points_awarded = entry.points if entry else 0
    signup.save(
        update_fields=["hours", "hours_approved_at", "hours_approved_by", "points_awarded", "updated_at"]
    )
    audit("update", signup, by=by, changes={"hours": str(approved), "points": signup.points_awarded})
    return signup


def activity_approve_all(*, activity_id: int, by: Any) -> int:
    """Approve every checked-out sign-up's hours: each approval is its own use case (durable), so one
    refused approval (a daily points cap) leaves the others approved."""
    activity = Activity.objects.visible_to(by).select_related("area").filter(pk=activity_id).first()
    if activity is None:
        raise NotFound("任务不存在")
    _require_organiser(by, activity)
    ids = list(
        Signup.objects.filter(
            activity=activity, status=S.CHECKED_OUT, hours_approved_at__isnull=True
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        signup_approve_hours(signup_id=pk, by=by)
    return len(ids)


@use_case
def rating_create(*, signup_id: int, by: Any, score: int, comment: str = "") -> Rating:
    """A person served (listed as a beneficiary) or the organiser on their behalf rates a volunteer
    who checked in."""
    signup = Signup.objects.select_related("activity__area", "member").filter(pk=signup_id).first()
    if signup is None:
        raise NotFound("报名不存在")
    organiser = can_organise(by, signup.activity)
    served = signup.activity.beneficiaries.filter(pk=by.pk).exists()
    if not (organiser or served):
        raise Forbidden("只有服务对象或组织者可以评价")
    if signup.member.user_id == by.pk:
        raise Forbidden("不能给自己评价")
    if signup.checked_in_at is None:
        raise Conflict("只能评价已签到的志愿者", state=signup.status)
    if not 1 <= int(score) <= 5:
        raise InvalidInput.field("score", "评分须为1-5")
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                signup=signup,
                rater=by,
                on_behalf=organiser and not served,
                score=score,
                comment=comment[:300],
            )
    except IntegrityError as exc:
        raise Conflict("已评价过", state="rated") from exc
    return rating


@use_case
def activity_cancel(*, activity_id: int, by: Any, reason: str) -> Activity:
    activity = _lock_activity(activity_id, viewer=by)
    _require_organiser(by, activity)
    if not reason.strip():
        raise InvalidInput.field("reason", "请填写取消原因")
    if activity.status != Activity.Status.OPEN:
        raise Conflict("任务不在招募中", state=activity.status)
    activity.status = Activity.Status.CANCELLED
    activity.save(update_fields=["status", "updated_at"])
    affected = Signup.objects.filter(activity=activity, status__in=[S.CONFIRMED, S.WAITLISTED, S.OFFERED])
    users = [s.member.user for s in affected.select_related("member__user")]
    affected.update(
        status=S.CANCELLED, cancelled_at=timezone.now(), cancel_reason=f"任务取消：{reason}"[:200]
    )
    _notify(users, "volunteers.cancelled", f"任务取消：{activity.title}", reason, activity)
    audit("update", activity, by=by, changes={"status": "cancelled"}, note=reason)
    return activity


def tick(now: dt.datetime | None = None) -> dict[str, int]:
    """Periodic work: expire unanswered offers (offering the place to the next in line) and, after a
    task ends, mark confirmed members who never checked in as no-shows and close the task. A row that cannot
    be processed (written out of range behind the services' back) is logged, counted under ``skipped`` and
    left for a person; it never stops the others."""
    now = now or timezone.now()
    expired = skipped = 0
    for signup_id, activity_id in Signup.objects.filter(
        status=S.OFFERED, offer_expires_at__lte=now
    ).values_list("pk", "activity_id"):
        try:
            with transaction.atomic():
                activity = _lock_activity(activity_id)
                moved = Signup.objects.filter(pk=signup_id, status=S.OFFERED).update(
                    status=S.CANCELLED,
                    cancelled_at=now,
                    cancel_reason="递补超时未确认",
                    offer_expires_at=None,
                )
                if moved:
                    _promote_next(activity, now)
            expired += moved
        except Exception as exc:
            skipped += 1
            log.warning("offer expiry skipped sign-up %s: %s", signup_id, exc)
    no_shows = 0
    for activity_id in Activity.objects.filter(status=Activity.Status.OPEN, ends_at__lte=now).values_list(
        "pk", flat=True
    ):
        try:
            with transaction.atomic():
                activity = _lock_activity(activity_id)
                n = Signup.objects.filter(activity=activity, status=S.CONFIRMED).update(status=S.NO_SHOW)
                Signup.objects.filter(activity=activity, status__in=[S.WAITLISTED, S.OFFERED]).update(
                    status=S.CANCELLED, cancelled_at=now, cancel_reason="任务已结束"
                )
                # Whoever forgot to check out is checked out at the end of the task.
                for s in Signup.objects.filter(activity=activity, status=S.CHECKED_IN):
                    _check_out(s, activity, activity.ends_at)
                Activity.objects.filter(pk=activity.pk).update(status=Activity.Status.CLOSED)
            no_shows += n
        except Exception as exc:
            skipped += 1
            log.warning("closing task %s skipped: %s", activity_id, exc)
    return {"offers_expired": expired, "no_shows": no_shows, "skipped": skipped}


# --- micro-projects --------------------------------------------------------------------------------------


@use_case
def micro_project_create(
    *, user: Any, title: str, community: Area, description: str = "", schedule: str = ""
) -> MicroProject:
    if not user_can(user, "mobilisation.participate"):
        raise Forbidden("当前角色不能发布服务项目")
    project = MicroProject(
        member=member_for(user), community=community, title=title, description=description, schedule=schedule
    )
    _clean(project)
    project.save()
    audit("create", project, by=user)
    return project


@use_case
def booking_create(
    *, project: MicroProject, resident: Any, wanted_at: dt.datetime, note: str = ""
) -> Booking:
    if not project.active:
        raise Conflict("该服务暂停预约", state="inactive")
    if project.member.user_id == resident.pk:
        raise InvalidInput.field("project", "不能预约自己的服务")
    booking = Booking.objects.create(project=project, resident=resident, wanted_at=wanted_at, note=note[:200])
    return booking


MAX_BOOKING_HOURS = Decimal("8")


@use_case
def booking_transition(
    *, booking_id: int, by: Any, to: str, score: int | None = None, hours: Decimal | float | None = None
) -> Booking:
    """The member accepts/completes (with the hours served)/cancels; the resident cancels. Points are paid
    when the resident rates (``booking_rate``)."""
    booking = Booking.objects.visible_to(by).select_related("project__member").filter(pk=booking_id).first()
    if booking is None:  # missing, or neither the resident's nor the offering member's: the same 404
        raise NotFound("预约不存在")
    is_member = booking.project.member.user_id == by.pk
    is_resident = booking.resident_id == by.pk
    allowed = {
        Booking.Status.ACCEPTED: (is_member, [Booking.Status.REQUESTED]),
        Booking.Status.DONE: (is_member, [Booking.Status.ACCEPTED]),
        Booking.Status.CANCELLED: (
            is_member or is_resident,
            [Booking.Status.REQUESTED, Booking.Status.ACCEPTED],
        ),
    }
    if to not in allowed:
        raise InvalidInput.field("status", "无效的状态")
    ok, sources = allowed[to]  # type: ignore[index]
    if not ok:
        raise Forbidden("无权操作该预约")
    extra: dict[str, Any] = {}
    if to == Booking.Status.DONE:
        served = Decimal(str(hours if hours is not None else 1)).quantize(Decimal("0.01"))
        if not Decimal("0.25") <= served <= MAX_BOOKING_HOURS:
            raise InvalidInput.field("hours", f"服务时长须在 0.25 到 {MAX_BOOKING_HOURS} 小时之间")
        extra["hours"] = served
    moved = Booking.objects.filter(pk=booking.pk, status__in=sources).update(
        status=to, updated_at=timezone.now(), **extra
    )
    booking.refresh_from_db()
    if not moved:
        raise Conflict("当前状态不能执行此操作", state=booking.status)
    if to == Booking.Status.DONE:
        from wangge.notifications.services import notify

        notify(
            users=[booking.resident],
            event="volunteers.booking_done",
            title=f"“{booking.project.title}”已完成，请为服务打分",
            link=f"/volunteers/bookings/{booking.pk}/rate/",
            obj=booking,
            channels=("inapp",),
        )
    return booking


@use_case
def booking_rate(*, booking_id: int, by: Any, score: int, comment: str = "") -> Booking:
    """The resident served rates a finished booking (1–5), once. The member earns like a volunteer task:
    ``volunteer_hour`` points × the hours served × the rating's factor, through the points ledger."""
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise InvalidInput.field("score", "评分须为 1 到 5 分")
    comment = (comment or "").strip()
    if len(comment) > 300 or "\x00" in comment:
        raise InvalidInput.field("comment", "评价不能超过 300 字")
    booking = (
        Booking.objects.visible_to(by).select_related("project__member__user").filter(pk=booking_id).first()
        if 0 < booking_id < 2**63
        else None
    )
    if booking is None:
        raise NotFound("预约不存在")
    if booking.resident_id != by.pk:
        raise Forbidden("只有预约的居民可以评价")
    if booking.status != Booking.Status.DONE:
        raise Conflict("服务完成后才能评价", state=booking.status)
    now = timezone.now()
    # Once, settled by the database: of two concurrent ratings only one finds the score empty.
    rated = Booking.objects.filter(pk=booking.pk, score__isnull=True, status=Booking.Status.DONE).update(
        score=score, comment=comment, rated_at=now, updated_at=now
    )
    if not rated:
        raise Conflict("已评价", state="rated")
    booking.refresh_from_db()
    entry = points_earn(
        user=booking.project.member.user,
        rule_code="volunteer_hour",
        source_key=f"booking:{booking.pk}",
        quantity=float(booking.hours or 1),
        factor=RATING_FACTORS.get(score, 1.0),
        by=by,
        note=f"自设服务：{booking.project.title}",
        on=timezone.localdate(booking.wanted_at),
        fields={"day": "score"},
    )
    booking.points_awarded = entry.points if entry else 0
    booking.save(update_fields=["points_awarded", "updated_at"])
    return booking
