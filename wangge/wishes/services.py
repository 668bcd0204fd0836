"""Every write of the wishes context: post, review, claim, deliver, confirm, cancel, lapse, resources.

Each service is keyword-only, takes the acting user as ``by``, checks the permission and the area scope,
and writes an audit entry. The claim is race-safe: a conditional ``UPDATE … WHERE status = 'open'`` moves
the wish and a partial unique constraint allows one active ``WishClaim`` per wish; a loser gets 409.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from wangge.accounts.models import Post, Unit
from wangge.accounts.roles import Role, user_can
from wangge.core import pii
from wangge.core.audit import audit
from wangge.core.bounded import clean_text
from wangge.core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    ServiceError,
    from_django_validation,
)
from wangge.core.images import clean_image
from wangge.core.scoping import scope_for
from wangge.core.transactions import use_case
from wangge.notifications.services import notify
from wangge.points.services import points_earn
from wangge.registry.models import Resident, Tag
from wangge.volunteers.models import Member
from wangge.volunteers.services import member_for

from .models import (
    Kind,
    Resource,
    Season,
    Wish,
    WishClaim,
    cancellation_window_days,
    max_active_claims,
    max_cancellations,
)

log = logging.getLogger(__name__)

S = Wish.Status
# Roles that review wishes for their community (a grid worker posts on behalf, but does not approve).
REVIEW_ROLES = {Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.DISTRICT, Role.ADMIN}
ACTIVE_CLAIM_STATES = (S.CLAIMED, S.DELIVERING)


# --- checks ----------------------------------------------------------------------------------------


def is_staff_in_scope(user: Any, wish: Wish) -> bool:
    return user_can(user, "mobilisation.manage") and scope_for(user).contains(wish.area.code)


def can_review(user: Any, wish: Wish) -> bool:
    if not is_staff_in_scope(user, wish):
        return False
    return bool(user.is_superuser or user.role in REVIEW_ROLES)


def active_claim(wish: Wish) -> WishClaim | None:
    return wish.claims.filter(active=True).select_related("claimant_user", "claimant_unit").first()


def is_claimant(user: Any, claim: WishClaim | None) -> bool:
    if claim is None or not getattr(user, "is_authenticated", False):
        return False
    if claim.claimant_user_id is not None:
        return bool(claim.claimant_user_id == user.pk)
    return bool(user.unit_id is not None and claim.claimant_unit_id == user.unit_id)


def is_beneficiary(user: Any, wish: Wish) -> bool:
    return bool(getattr(user, "is_authenticated", False) and wish.beneficiary.account_id == user.pk)


def _clean(obj: Any) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise from_django_validation(exc) from exc


def _lock(wish_id: int) -> Wish:
    wish = Wish.objects.select_for_update().select_related("area", "beneficiary").filter(pk=wish_id).first()
    if wish is None:
        raise NotFound("心愿不存在")
    return wish


def _resident_area(resident: Resident) -> Any:
    return resident.household.house.building.area


# --- public display --------------------------------------------------------------------------------


def public_categories(resident: Resident) -> list[str]:
    """Care categories the community may show publicly: the resident's non-sensitive care tags only."""
    tokens = set(resident.taggings.values_list("token", flat=True))
    return [
        t.name
        for t in Tag.objects.filter(active=True, sensitive=False, needs_care=True)
        if pii.tag_token(t.code) in tokens
    ]


def make_public_label(*, resident: Resident, title: str, category: str = "") -> str:
    """ "独居老人 宋** 想要一台收音机": a masked surname and at most one non-sensitive care category."""
    masked = pii.mask_name(resident.name)
    want = title.strip()
    if not want.startswith(("想要", "希望", "需要")):
        want = "想要" + want
    return " ".join(p for p in (category, masked, want) if p)[:160]


# --- wishes ----------------------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal:
    try:
        d = Decimal(str(value if value not in (None, "") else 0))
    except InvalidOperation as exc:
        raise InvalidInput.field("estimated_value", "请输入金额") from exc
    if d < 0:
        raise InvalidInput.field("estimated_value", "金额不能为负数")
    return d


RESIDENT_NOT_FOUND = "居民不存在"


def beneficiary_for(*, by: Any, resident_id: int) -> Resident:
    """A resident ``by`` may post a wish for: themselves, or (staff who write the registry) a resident of
    their area scope. Missing and out of scope are the same 404."""
    from django.db.models import Q

    q = Q(account=by) if getattr(by, "is_authenticated", False) else Q(pk__in=[])
    if user_can(by, "registry.write"):
        q |= scope_for(by).q("household__house__building__area__code")
    resident = (
        Resident.objects.filter(q, pk=resident_id, active=True)
        .select_related("household__house__building__area")
        .first()
    )
    if resident is None:
        raise NotFound(RESIDENT_NOT_FOUND)
    return resident


@use_case
def wish_create(
    *,
    by: Any,
    title: str,
    beneficiary: Resident | None = None,
    reason: str = "",
    estimated_value: Any = 0,
    kind: str = Kind.GOODS,
    deadline: date | None = None,
    season: Season | None = None,
    draft: bool = False,
) -> Wish:
    """A resident posts their own wish, or a grid worker (or staff) posts one for a resident in scope."""
    if not getattr(by, "is_authenticated", False):
        raise Forbidden("请先登录")
    own = Resident.objects.filter(account=by, active=True).first()
    if beneficiary is None:
        if own is None:
            raise InvalidInput.field("beneficiary", "请选择心愿人")
        beneficiary = own
    beneficiary = beneficiary_for(by=by, resident_id=beneficiary.pk)
    area = _resident_area(beneficiary)
    on_behalf = own is None or own.pk != beneficiary.pk
    if not title or not title.strip():
        raise InvalidInput.field("title", "请填写心愿")
    if kind not in Kind.values:
        raise InvalidInput.field("kind", "类型须为物品或服务")
    if deadline is not None and deadline < timezone.localdate():
        raise InvalidInput.field("deadline", "截止日期不能早于今天")
    if season is None:
        season = Season.objects.filter(active=True).order_by("-number").first()
    building = beneficiary.household.house.building
    wish = Wish(
        season=season,
        beneficiary=beneficiary,
        area=area,
        posted_by=by,
        on_behalf=on_behalf,
        title=title.strip(),
        reason=reason.strip(),
        estimated_value=_decimal(estimated_value),
        kind=kind,
        deadline=deadline,
        status=S.DRAFT if draft else S.PENDING_REVIEW,
        lat=building.lat if building.lat is not None else area.center_lat,
        lng=building.lng if building.lng is not None else area.center_lng,
    )
    _clean(wish)
    wish.save()
    audit("create", wish, by=by, changes={"status": wish.status, "on_behalf": on_behalf})
    return wish


def _transition(wish_id: int, frm: tuple[str, ...], to: str, **fields: Any) -> int:
    """Conditional UPDATE: moves the wish only if it is still in one of ``frm``. Returns rows changed."""
    return Wish.objects.filter(pk=wish_id, status__in=frm).update(
        status=to, updated_at=timezone.now(), **fields
    )


@use_case
def wish_submit(*, wish: Wish, by: Any) -> Wish:
    wish = _lock(wish.pk)
    if wish.posted_by_id != by.pk and not is_staff_in_scope(by, wish):
        raise NotFound("心愿不存在")
    if not _transition(wish.pk, (S.DRAFT,), S.PENDING_REVIEW):
        raise Conflict("只有草稿可以提交审核", state=wish.status)
    audit("update", wish, by=by, changes={"status": [S.DRAFT, S.PENDING_REVIEW]})
    wish.refresh_from_db()
    return wish


@use_case
def wish_review(
    *,
    wish: Wish,
    by: Any,
    approve: bool,
    note: str = "",
    public_category: str | None = None,
    public_title: str | None = None,
) -> Wish:
    """Community review. Approving fixes what the public sees and puts the wish on the wall."""
    wish = _lock(wish.pk)
    if not can_review(by, wish):
        if is_staff_in_scope(by, wish):
            raise Forbidden("心愿由社区审核")
        raise NotFound("心愿不存在")
    if wish.status != S.PENDING_REVIEW:
        raise Conflict("该心愿不在待审核状态", state=wish.status)
    now = timezone.now()
    if approve:
        allowed = public_categories(wish.beneficiary)
        category = (public_category or "").strip()
        if category and category not in allowed:
            raise InvalidInput.field("public_category", "只能公开该居民的非敏感关爱类别")
        title = (public_title or wish.title).strip()[:100]
        if not title:
            raise InvalidInput.field("public_title", "请填写公开心愿")
        wish.public_category = category
        wish.public_title = title
        wish.public_label = make_public_label(resident=wish.beneficiary, title=title, category=category)
        wish.status = S.OPEN
        wish.opened_at = now
    else:
        if not note.strip():
            raise InvalidInput.field("note", "请填写不通过的原因")
        wish.status = S.REJECTED
    wish.reviewed_by = by
    wish.reviewed_at = now
    wish.review_note = note.strip()[:300]
    wish.save()
    audit("update", wish, by=by, changes={"status": [S.PENDING_REVIEW, wish.status], "review": note[:100]})
    return wish


@use_case
def wish_withdraw(*, wish: Wish, by: Any) -> Wish:
    """The poster (or staff in scope) withdraws a wish that nobody has claimed yet."""
    wish = _lock(wish.pk)
    if wish.posted_by_id != by.pk and not is_beneficiary(by, wish) and not is_staff_in_scope(by, wish):
        raise NotFound("心愿不存在")
    if not _transition(wish.pk, (S.DRAFT, S.PENDING_REVIEW, S.OPEN), S.WITHDRAWN):
        raise Conflict("已认领的心愿不能撤回", state=wish.status)
    audit("update", wish, by=by, changes={"status": [wish.status, S.WITHDRAWN]})
    wish.refresh_from_db()
    return wish


@use_case
def wish_close(*, wish: Wish, by: Any, note: str) -> Wish:
    """Staff close a wish (e.g. no longer needed). An active claim ends with it."""
    wish = _lock(wish.pk)
    if not is_staff_in_scope(by, wish):
        raise NotFound("心愿不存在")
    if wish.status in (S.FULFILLED, S.CLOSED, S.WITHDRAWN, S.REJECTED):
        raise Conflict("该心愿已结束", state=wish.status)
    if not note.strip():
        raise InvalidInput.field("note", "请填写关闭原因")
    now = timezone.now()
    WishClaim.objects.filter(wish=wish, active=True).update(
        active=False, status=WishClaim.Status.RETURNED, ended_at=now, end_reason=note[:200]
    )
    old = wish.status
    _transition(wish.pk, (old,), S.CLOSED)
    audit("update", wish, by=by, changes={"status": [old, S.CLOSED]}, note=note)
    wish.refresh_from_db()
    return wish


# --- claims ----------------------------------------------------------------------------------------


def claims_given_back(user: Any, now: datetime) -> int:
    """Claims ``user`` made and gave back (cancelled, or let lapse) within the cancellation window."""
    since = now - timedelta(days=cancellation_window_days())
    return WishClaim.objects.filter(
        claimed_by=user,
        status__in=(WishClaim.Status.CANCELLED, WishClaim.Status.LAPSED),
        ended_at__gte=since,
    ).count()


def claims_suspended(member: Member, now: datetime) -> bool:
    since = now - timedelta(days=cancellation_window_days())
    return member.claims_suspended_at is not None and member.claims_suspended_at >= since


def _community_staff(codes: set[str]) -> list[Any]:
    posts = Post.objects.filter(
        active=True,
        area__code__in=codes,
        kind__in=(Post.Kind.COMMUNITY_STAFF, Post.Kind.COMMUNITY_SECRETARY),
    ).select_related("user")
    return [p.user for p in posts if p.user.is_active]


def _count_giving_back(claim: WishClaim, wish: Wish, now: datetime) -> None:
    """After a claimant gives a claim back: at M within the window, suspend their claiming and tell the
    community (of the wish, and the one that verified the member)."""
    user = claim.claimed_by
    if user is None:
        return
    given_back = claims_given_back(user, now)
    if given_back < max_cancellations():
        return
    member = (
        Member.objects.select_for_update(of=("self",))
        .select_related("verified_community")
        .get(pk=member_for(user).pk)
    )
    if claims_suspended(member, now):
        return
    member.claims_suspended_at = now
    member.save(update_fields=["claims_suspended_at", "updated_at"])
    codes = {wish.area.code[:12]}
    if member.verified_community_id:
        codes.add(member.verified_community.code)  # type: ignore[union-attr]
    window = cancellation_window_days()
    audit("update", member, by=None, changes={"claims_suspended": True, "given_back": given_back})
    notify(
        users=_community_staff(codes),
        event="wishes.claims_suspended",
        title="心愿认领已暂停",
        body=f"{user} 在{window}天内放弃了{given_back}个心愿认领（取消或逾期），已暂停其认领；请核实后在成员资料中重新核实以恢复。",
        link="/wishes/review/",
        obj=member,
    )


@use_case
def wish_claim(*, wish_id: int, by: Any, as_unit: bool = False, now: datetime | None = None) -> WishClaim:
    """Claim an open wish for ``by`` (or for their co-building unit). Exactly one claim can win.

    Against harvesting contacts: only members the community verified may claim, a member holds at most
    ``WANGGE_WISH_MAX_ACTIVE_CLAIMS`` at a time, and claiming is suspended after
    ``WANGGE_WISH_MAX_CANCELLATIONS`` claims given back within ``WANGGE_WISH_CANCELLATION_WINDOW_DAYS``."""
    now = now or timezone.now()
    if not getattr(by, "is_authenticated", False):
        raise Forbidden("请先登录")
    wish = Wish.objects.visible_to(by).select_related("beneficiary").filter(pk=wish_id).first()
    if wish is None or wish.status in (S.DRAFT, S.PENDING_REVIEW, S.REJECTED):
        raise NotFound("心愿不存在")
    unit: Unit | None = None
    if as_unit:
        unit = by.unit
        if unit is None or unit.kind != Unit.Kind.CO_BUILDING:
            raise Forbidden("只有共建单位的成员可以以单位名义认领")
    elif not user_can(by, "mobilisation.participate"):
        raise Forbidden("当前账号不能认领心愿")
    if wish.beneficiary.account_id == by.pk:
        raise Forbidden("不能认领自己的心愿")
    # The member row is locked: one member's claims are counted and taken one at a time.
    member = Member.objects.select_for_update().get(pk=member_for(by).pk)
    if member.verified_at is None:
        raise Forbidden("认领心愿须先经社区核实身份，请联系社区")
    if claims_suspended(member, now):
        raise Forbidden(f"近{cancellation_window_days()}天内放弃认领过多，认领已暂停，请联系社区")
    holding = WishClaim.objects.filter(
        claimed_by=by, active=True, status__in=(WishClaim.Status.CLAIMED, WishClaim.Status.DELIVERING)
    ).count()
    if holding >= max_active_claims():
        raise Conflict(
            f"最多同时认领 {max_active_claims()} 个心愿，请先完成已认领的心愿",
            state="claim_limit",
            errors=[{"field": "wish_id", "message": f"已认领 {holding} 个未完成的心愿"}],
        )
    # The race is decided here: only one transaction finds the wish still open.
    if not _transition(wish.pk, (S.OPEN,), S.CLAIMED):
        current = Wish.objects.filter(pk=wish.pk).values_list("status", flat=True).first()
        raise Conflict("心愿已被认领", state=current)
    try:
        with transaction.atomic():
            claim = WishClaim.objects.create(
                wish=wish,
                claimant_user=None if unit else by,
                claimant_unit=unit,
                claimed_by=by,
                last_progress_at=now,
            )
    except IntegrityError as exc:  # belt and braces: the partial unique index
        raise Conflict("心愿已被认领", state=S.CLAIMED) from exc
    audit("create", claim, by=by, changes={"wish": wish.pk, "unit": unit.pk if unit else None})
    return claim


def _locked_claim(wish_id: int) -> tuple[Wish, WishClaim]:
    wish = _lock(wish_id)
    claim = WishClaim.objects.select_for_update().filter(wish=wish, active=True).first()
    if claim is None:
        raise Conflict("该心愿当前没有有效认领", state=wish.status)
    return wish, claim


@use_case
def wish_cancel_claim(*, wish_id: int, by: Any, reason: str = "") -> Wish:
    """The claimant gives the wish back (or staff return it to the wall). The wish is open again."""
    wish, claim = _locked_claim(wish_id)
    staff = is_staff_in_scope(by, wish)
    if not is_claimant(by, claim) and not staff:
        raise Forbidden("只有认领人或社区可以取消认领")
    if claim.status not in (WishClaim.Status.CLAIMED, WishClaim.Status.DELIVERING):
        raise Conflict("该认领已结束", state=claim.status)
    now = timezone.now()
    claim.active = False
    claim.status = WishClaim.Status.CANCELLED if is_claimant(by, claim) else WishClaim.Status.RETURNED
    claim.ended_at = now
    claim.end_reason = reason[:200]
    claim.save()
    _transition(wish.pk, ACTIVE_CLAIM_STATES, S.OPEN)
    audit("update", claim, by=by, changes={"status": claim.status}, note=reason)
    if claim.status == WishClaim.Status.CANCELLED:
        _count_giving_back(claim, wish, now)
    wish.refresh_from_db()
    return wish


def process_photo(upload: Any) -> ContentFile:
    """Check type and size, then re-encode as JPEG (drops EXIF/GPS and anything smuggled)."""
    declared = (getattr(upload, "content_type", "") or "").lower()
    if declared and not declared.startswith("image/"):  # the content is checked too; a mismatch is refused
        raise InvalidInput.field("photo", "只能上传JPEG、PNG或WebP照片")
    clean = clean_image(
        upload.read(),
        field_name="photo",
        max_bytes=int(getattr(settings, "WANGGE_WISH_PHOTO_MAX_BYTES", 8 * 1024 * 1024)),
        max_side=int(getattr(settings, "WANGGE_WISH_PHOTO_MAX_SIDE", 1600)),
        keep_png=False,
        refused="只能上传JPEG、PNG或WebP照片",
    )
    return ContentFile(clean.content, name=f"{uuid.uuid4().hex}.jpg")


@use_case
def wish_deliver(*, wish_id: int, by: Any, note: str = "", photo: Any = None) -> WishClaim:
    """The claimant records delivery (with a photo); the wish waits for the beneficiary's confirmation."""
    clean_text(note, "note", max_length=300)
    content = process_photo(photo) if photo is not None else None  # bad input writes nothing
    wish, claim = _locked_claim(wish_id)
    if not is_claimant(by, claim):
        raise Forbidden("只有认领人可以登记送达")
    if claim.status != WishClaim.Status.CLAIMED:
        raise Conflict("该认领已登记送达", state=claim.status)
    if content is None and bool(getattr(settings, "WANGGE_WISH_PHOTO_REQUIRED", True)):
        raise InvalidInput.field("photo", "请上传送达照片")
    now = timezone.now()
    claim.status = WishClaim.Status.DELIVERING
    claim.delivered_at = now
    claim.last_progress_at = now
    claim.delivery_note = note.strip()[:300]
    if content is not None:
        claim.delivery_photo.save(content.name, content, save=False)
    claim.save()
    _transition(wish.pk, (S.CLAIMED,), S.DELIVERING)
    audit("update", claim, by=by, changes={"status": claim.status, "photo": bool(content)})
    return claim


def _award_points(claim: WishClaim, by: Any) -> None:
    if claim.claimant_user is None:
        return
    try:
        with transaction.atomic():
            points_earn(
                user=claim.claimant_user,
                rule_code="wish_fulfilled",
                source_key=f"wish:{claim.wish_id}",
                by=by,
                note=f"微心愿#{claim.wish_id}已实现",
            )
    except ServiceError as exc:  # e.g. the rule is switched off: the wish is still fulfilled
        log.warning("points for wish %s not awarded: %s", claim.wish_id, exc.detail)


def _fulfil(wish: Wish, claim: WishClaim, *, by: Any, now: datetime, auto: bool) -> None:
    claim.status = WishClaim.Status.FULFILLED
    claim.confirmed_at = now
    claim.confirmed_by = by if getattr(by, "pk", None) else None
    claim.auto_confirmed = auto
    claim.disputed = False
    claim.last_progress_at = now
    claim.ended_at = now
    # The claim stays the record of who fulfilled it; "active" means "holds the wish", which it still does.
    claim.save()
    _transition(wish.pk, (S.DELIVERING,), S.FULFILLED, fulfilled_at=now)
    _award_points(claim, by)


@use_case
def wish_confirm(*, wish_id: int, by: Any, accept: bool = True, note: str = "") -> Wish:
    """The beneficiary (or a grid worker / staff on their behalf, audited) confirms or disputes delivery."""
    wish, claim = _locked_claim(wish_id)
    own = is_beneficiary(by, wish)
    staff = is_staff_in_scope(by, wish)
    if not own and not staff:
        raise Forbidden("只有心愿人或网格员可以确认")
    if claim.status != WishClaim.Status.DELIVERING:
        raise Conflict("尚未登记送达", state=claim.status)
    now = timezone.now()
    if accept:
        _fulfil(wish, claim, by=by, now=now, auto=False)
        audit(
            "update",
            wish,
            by=by,
            changes={"status": [S.DELIVERING, S.FULFILLED], "on_behalf": not own},
            note="代心愿人确认" if not own else "心愿人确认",
        )
    else:
        if not note.strip():
            raise InvalidInput.field("note", "请说明异议")
        claim.disputed = True
        claim.dispute_note = note.strip()[:300]
        claim.save()
        audit("update", claim, by=by, changes={"disputed": True, "on_behalf": not own}, note=note)
    wish.refresh_from_db()
    return wish


# --- the clock -------------------------------------------------------------------------------------


def _days(wish: Wish, attr: str, default: Any) -> int:
    return int(getattr(wish.season, attr)) if wish.season_id else int(default())


def expire_open(now: datetime) -> int:
    today = timezone.localdate(now)
    n = Wish.objects.filter(status=S.OPEN, deadline__lt=today).update(status=S.EXPIRED, updated_at=now)
    return n


def lapse_claims(now: datetime, skipped: list[int] | None = None) -> int:
    """Claims with no progress for N days lapse; the wish goes back on the wall. A claim that cannot be
    processed is logged and its id appended to ``skipped``; it never stops the others."""
    from .models import default_claim_lapse_days

    count = 0
    for claim in WishClaim.objects.filter(active=True, status=WishClaim.Status.CLAIMED).select_related(
        "wish__season", "wish__area", "claimed_by"
    ):
        try:
            days = _days(claim.wish, "claim_lapse_days", default_claim_lapse_days)
            if (now - claim.last_progress_at).days < days:
                continue
            with transaction.atomic():
                changed = WishClaim.objects.filter(
                    pk=claim.pk,
                    active=True,
                    status=WishClaim.Status.CLAIMED,
                    last_progress_at=claim.last_progress_at,
                ).update(
                    active=False, status=WishClaim.Status.LAPSED, ended_at=now, end_reason=f"{days}天无进展"
                )
                if changed:
                    _transition(claim.wish_id, (S.CLAIMED,), S.OPEN)
                    audit("update", claim, by=None, changes={"status": WishClaim.Status.LAPSED})
                    _count_giving_back(claim, claim.wish, now)
                    count += 1
        except Exception as exc:  # one bad row must not stop the clock for every other claim
            log.warning("claim lapse skipped claim %s: %s", claim.pk, exc)
            if skipped is not None:
                skipped.append(claim.pk)
    return count


def auto_confirm(now: datetime, skipped: list[int] | None = None) -> int:
    """Deliveries not confirmed (and not disputed) within N days count as confirmed. A claim that cannot be
    processed is logged and its id appended to ``skipped``."""
    from .models import default_auto_confirm_days

    count = 0
    for claim in WishClaim.objects.filter(
        active=True, status=WishClaim.Status.DELIVERING, disputed=False
    ).select_related("wish__season", "claimant_user"):
        try:
            days = _days(claim.wish, "auto_confirm_days", default_auto_confirm_days)
            if claim.delivered_at is None or (now - claim.delivered_at).days < days:
                continue
            with transaction.atomic():
                wish = _lock(claim.wish_id)
                locked = WishClaim.objects.select_for_update().get(pk=claim.pk)
                if locked.status != WishClaim.Status.DELIVERING or locked.disputed:
                    continue
                _fulfil(wish, locked, by=None, now=now, auto=True)
                audit(
                    "update", wish, by=None, changes={"status": [S.DELIVERING, S.FULFILLED]}, note="自动确认"
                )
                count += 1
        except Exception as exc:  # one bad row must not stop the clock for every other claim
            log.warning("auto-confirm skipped claim %s: %s", claim.pk, exc)
            if skipped is not None:
                skipped.append(claim.pk)
    return count


# --- seasons and resources -------------------------------------------------------------------------


@use_case
def season_create(*, number: int, name: str, starts_on: date, by: Any, **fields: Any) -> Season:
    if not user_can(by, "mobilisation.manage"):
        raise Forbidden("无权管理心愿季")
    season = Season(number=number, name=name, starts_on=starts_on, **fields)
    _clean(season)
    season.save()
    audit("create", season, by=by)
    return season


@use_case
def resource_create(
    *,
    unit: Unit,
    community: Any,
    title: str,
    by: Any,
    kind: str = Kind.GOODS,
    description: str = "",
    quantity: int = 1,
    lat: float | None = None,
    lng: float | None = None,
) -> Resource:
    """Record what a co-building unit offers a community: by the unit's own members or community staff."""
    own_unit = getattr(by, "unit_id", None) == unit.pk
    if not own_unit and not (user_can(by, "mobilisation.manage") and scope_for(by).contains(community.code)):
        raise Forbidden("无权登记该单位的资源")
    res = Resource(
        unit=unit,
        community=community,
        title=title.strip(),
        kind=kind,
        description=description,
        quantity=quantity,
        lat=lat if lat is not None else community.center_lat,
        lng=lng if lng is not None else community.center_lng,
    )
    _clean(res)
    res.save()
    audit("create", res, by=by)
    return res
