"""Writes for self sign-up: sending a one-time code, signing up, resetting a password by phone, consent,
invitations and household-link requests.

Throttling (like the login's): codes per phone and per address are counted by django-ratelimit in the
configured cache (``WANGGE_RATE_SIGNUP_CODES_PHONE``, ``WANGGE_RATE_SIGNUP_CODES_IP``, checks per address
``WANGGE_RATE_SIGNUP_CHECKS_IP``); a phone gets a new code at most once a ``WANGGE_SIGNUP_RESEND_SECONDS``;
a code expires after ``WANGGE_SIGNUP_CODE_MINUTES`` and dies after ``WANGGE_SIGNUP_CODE_ATTEMPTS`` wrong tries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django_ratelimit import ALL
from django_ratelimit.core import get_usage

from wangge.accounts.models import User
from wangge.accounts.roles import Role, user_can
from wangge.accounts.services import user_create
from wangge.core.audit import audit
from wangge.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from wangge.core.pii import mask_phone, normalise, phone_hash, phone_hashes
from wangge.core.ratelimit import RateLimited
from wangge.core.scoping import scope_for
from wangge.core.transactions import use_case
from wangge.notifications.models import OutboxMessage

from .models import Consent, Invitation, LinkRequest, PhoneCode, SelfSignup

NOTICE_VERSION = str(getattr(settings, "WANGGE_PRIVACY_NOTICE_VERSION", "2026-01"))
MOBILE_RE_LEN = 11


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def code_minutes() -> int:
    return int(_setting("WANGGE_SIGNUP_CODE_MINUTES", 10))


def max_attempts() -> int:
    return int(_setting("WANGGE_SIGNUP_CODE_ATTEMPTS", 5))


def _mobile(phone: str, field: str = "phone") -> str:
    phone = normalise(phone or "")
    if len(phone) != MOBILE_RE_LEN or not phone.isdigit() or not phone.startswith("1"):
        raise InvalidInput.field(field, "请输入11位手机号")
    return phone


def _code_hash(p_hash: str, purpose: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{p_hash}:{purpose}:{code}".encode(), hashlib.sha256).hexdigest()


def _throttle(request: Any, group: str, key: str, rate: str) -> None:
    if request is None or not rate:
        return
    usage = get_usage(request, group=group, key=lambda g, r: key, rate=rate, method=ALL, increment=True)
    if usage is not None and usage["should_limit"]:
        retry = max(1, int(usage["time_left"]))
        request.wangge_retry_after = retry
        message = f"操作过于频繁，请 {max(1, retry // 60)} 分钟后再试"
        raise RateLimited(message, [{"field": "phone", "message": message}])


def _registered(phone: str) -> bool:
    return User.objects.filter(phone_hash__in=phone_hashes(phone)).exists()


@use_case
def code_send(
    *, phone: str, purpose: str, ip: str | None = None, request: Any = None, now: dt.datetime | None = None
) -> PhoneCode:
    """Send a one-time code to ``phone`` through the SMS outbox. Sign-up refuses a registered phone (so does
    the page, next to the field); a reset answers the same for an unknown phone as for a known one but sends
    nothing (no enumeration of accounts through the reset form)."""
    now = now or timezone.now()
    if purpose not in PhoneCode.Purpose.values:
        raise InvalidInput.field("purpose", "用途无效")
    phone = _mobile(phone)
    p_hash = phone_hash(phone)
    _throttle(
        request, "wangge.signup.codes.ip", f"ip:{ip or '-'}", _setting("WANGGE_RATE_SIGNUP_CODES_IP", "20/h")
    )
    _throttle(
        request,
        "wangge.signup.codes.phone",
        f"phone:{p_hash[:24]}",
        _setting("WANGGE_RATE_SIGNUP_CODES_PHONE", "5/h"),
    )
    registered = _registered(phone)
    if purpose == PhoneCode.Purpose.SIGNUP and registered:
        raise Conflict(
            "该手机号已注册，请直接登录或找回密码",
            [{"field": "phone", "message": "该手机号已注册，请直接登录或找回密码"}],
        )
    resend = int(_setting("WANGGE_SIGNUP_RESEND_SECONDS", 60))
    last = PhoneCode.objects.filter(phone_hash=p_hash, purpose=purpose).order_by("-created_at").first()
    if last is not None and (now - last.created_at).total_seconds() < resend:
        wait = resend - int((now - last.created_at).total_seconds())
        raise RateLimited(
            f"验证码已发送，请 {wait} 秒后再获取",
            [{"field": "phone", "message": f"验证码已发送，请 {wait} 秒后再获取"}],
        )
    code = f"{secrets.randbelow(10**6):06d}"
    # Any earlier code of this phone and purpose dies: only the newest one is valid.
    PhoneCode.objects.filter(phone_hash=p_hash, purpose=purpose, used_at__isnull=True).update(
        attempts=max_attempts()
    )
    row = PhoneCode.objects.create(
        phone_hash=p_hash,
        purpose=purpose,
        code_hash=_code_hash(p_hash, purpose, code),
        expires_at=now + dt.timedelta(minutes=code_minutes()),
        ip=ip,
    )
    row.created_at = now
    PhoneCode.objects.filter(pk=row.pk).update(created_at=now)
    if purpose == PhoneCode.Purpose.SIGNUP or registered:
        label = "注册" if purpose == PhoneCode.Purpose.SIGNUP else "找回密码"
        text = f"【网格】您的{label}验证码是 {code}，{code_minutes()} 分钟内有效。如非本人操作，请忽略。"
        OutboxMessage.objects.create(
            channel=OutboxMessage.Channel.SMS,
            phone=phone,
            event=f"signup.{purpose}_code",
            payload={"title": text, "body": "", "code": code},
        )
    return row


def _use_code(*, phone: str, purpose: str, code: str, now: dt.datetime) -> None:
    """Count one try at the newest code of ``phone`` and, if it matches, use it up; else raise the reason
    for the code field. The try is counted in its own committed transaction, so a wrong code is counted
    even though the caller then fails."""
    problem = _try_code(phone=phone, purpose=purpose, code=code, now=now)
    if problem:
        raise InvalidInput.field("code", problem)


@use_case
def _try_code(*, phone: str, purpose: str, code: str, now: dt.datetime) -> str:
    p_hash = phone_hash(phone)
    row = (
        PhoneCode.objects.filter(phone_hash=p_hash, purpose=purpose, used_at__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )
    if row is None:
        return "请先获取验证码"
    if row.expires_at <= now:
        return "验证码已过期，请重新获取"
    counted = PhoneCode.objects.filter(pk=row.pk, attempts__lt=max_attempts(), used_at__isnull=True).update(
        attempts=F("attempts") + 1
    )
    if not counted:
        return "错误次数过多，请重新获取验证码"
    if not hmac.compare_digest(row.code_hash, _code_hash(p_hash, purpose, (code or "").strip())):
        left = max_attempts() - row.attempts - 1
        return f"验证码不正确，还可再试 {left} 次" if left > 0 else "验证码不正确，请重新获取验证码"
    # Single use, settled by the database: of two concurrent correct tries only one marks it used.
    if not PhoneCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now):
        return "验证码已使用，请重新获取"
    return ""


def _password(password: str, user: User | None = None) -> str:
    if not password:
        raise InvalidInput.field("password", "请设置密码")
    if len(password) < 8:
        raise InvalidInput.field("password", "密码至少 8 位")
    if len(password) > 128:
        raise InvalidInput.field("password", "密码不能超过 128 位")
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput.field("password", "；".join(str(m) for m in exc.messages)) from exc
    return password


def _name(display_name: str) -> str:
    name = " ".join((display_name or "").split())
    if not name:
        raise InvalidInput.field("display_name", "请填写姓名或称呼")
    if len(name) > 30 or "\x00" in name:
        raise InvalidInput.field("display_name", "姓名不能超过 30 字")
    return name


def signup(
    *,
    phone: str,
    code: str,
    password: str,
    display_name: str,
    consent: bool,
    invite: str = "",
    ip: str | None = None,
    user_agent: str = "",
    request: Any = None,
    now: dt.datetime | None = None,
) -> User:
    """A resident signs up: phone + the code sent to it + a password + consent to the privacy notice
    (required, recorded with its version, time and address). With a community's invitation code the new
    account belongs to that community. The code is checked (and counted) in its own transaction first."""
    now = now or timezone.now()
    if not consent:
        raise InvalidInput.field("consent", "请阅读并同意《个人信息保护告知书》")
    phone = _mobile(phone)
    name = _name(display_name)
    _password(password)
    invitation = None
    if invite:
        invitation = Invitation.objects.filter(code=invite, active=True).select_related("area").first()
        if invitation is None:
            raise InvalidInput.field("invite", "邀请码无效或已停用")
    _throttle(
        request,
        "wangge.signup.checks.ip",
        f"ip:{ip or '-'}",
        _setting("WANGGE_RATE_SIGNUP_CHECKS_IP", "30/h"),
    )
    if _registered(phone):
        raise Conflict(
            "该手机号已注册，请直接登录或找回密码",
            [{"field": "phone", "message": "该手机号已注册，请直接登录或找回密码"}],
        )
    _use_code(phone=phone, purpose=PhoneCode.Purpose.SIGNUP, code=code, now=now)
    return _create_resident(
        phone=phone,
        password=password,
        name=name,
        invitation=invitation,
        ip=ip,
        user_agent=user_agent,
        now=now,
    )


@use_case
def _create_resident(
    *,
    phone: str,
    password: str,
    name: str,
    invitation: Invitation | None,
    ip: str | None,
    user_agent: str,
    now: dt.datetime,
) -> User:
    username = "r" + secrets.token_hex(6)
    try:
        user = user_create(
            username=username, password=password, role=Role.RESIDENT, display_name=name, phone=phone
        )
    except Conflict as exc:  # the phone was taken a moment ago: the unique phone hash settles the race
        raise Conflict(
            "该手机号已注册，请直接登录或找回密码", [{"field": "phone", "message": "该手机号已注册"}]
        ) from exc
    Consent.objects.create(
        user=user, notice_version=NOTICE_VERSION, consented_at=now, ip=ip, user_agent=user_agent[:200]
    )
    # No post for a resident (a post is a staff member's area scope): the community is kept on the sign-up.
    SelfSignup.objects.create(user=user, community=invitation.area if invitation else None, created_at=now)
    audit(
        "signup",
        user,
        by=user,
        changes={"phone": mask_phone(phone)},
        note=invitation.area.code if invitation else "",
    )
    return user


def password_reset(
    *,
    phone: str,
    code: str,
    password: str,
    ip: str | None = None,
    request: Any = None,
    now: dt.datetime | None = None,
) -> User:
    """A forgotten password: the code sent to the account's phone sets a new one."""
    now = now or timezone.now()
    phone = _mobile(phone)
    _password(password)
    _throttle(
        request,
        "wangge.signup.checks.ip",
        f"ip:{ip or '-'}",
        _setting("WANGGE_RATE_SIGNUP_CHECKS_IP", "30/h"),
    )
    _use_code(phone=phone, purpose=PhoneCode.Purpose.RESET, code=code, now=now)
    return _set_password(phone=phone, password=password)


@use_case
def _set_password(*, phone: str, password: str) -> User:
    user = User.objects.select_for_update().filter(phone_hash__in=phone_hashes(phone), is_active=True).first()
    if user is None:  # a code was never sent to an unknown phone, so this is not reachable by guessing
        raise InvalidInput.field("phone", "该手机号未注册")
    user.set_password(password)
    user.save(update_fields=["password"])
    audit("password_reset", user, by=user)
    return user


@use_case
def consent_record(
    *, user: Any, ip: str | None = None, user_agent: str = "", now: dt.datetime | None = None
) -> Consent:
    """Consent to the current notice (a user asked again after the notice changed). Idempotent per version."""
    consent, _created = Consent.objects.get_or_create(
        user=user,
        notice_version=NOTICE_VERSION,
        defaults={"consented_at": now or timezone.now(), "ip": ip, "user_agent": user_agent[:200]},
    )
    return consent


@use_case
def invitation_get_or_create(*, area: Any, by: Any) -> Invitation:
    """The community's invitation (one per community), made on first use by its staff."""
    if not user_can(by, "registry.write"):
        raise Forbidden("无权生成邀请码")
    if area.level != "community":
        raise InvalidInput.field("area", "邀请码按社区生成")
    if not scope_for(by).contains(area.code):
        raise NotFound("社区不存在")
    invitation, _created = Invitation.objects.get_or_create(area=area)
    return invitation


# --- linking to a household ---------------------------------------------------------------------------------


@use_case
def link_request(*, by: Any, household_id: int, note: str = "") -> LinkRequest:
    """A resident asks to be linked to a household (by its number from the door plate or the grid worker)."""
    from wangge.registry.models import Household

    if getattr(by, "role", "") not in (Role.RESIDENT, Role.VOLUNTEER):
        raise Forbidden("仅居民可申请关联户")
    household = (
        Household.objects.filter(pk=household_id).select_related("house__building__area").first()
        if 0 < household_id < 2**63
        else None
    )
    if household is None:
        raise InvalidInput.field("household_id", "户不存在")
    try:
        with transaction.atomic():
            return LinkRequest.objects.create(
                user=by,
                household=household,
                area_code=household.house.building.area.code,
                note=(note or "")[:200],
            )
    except IntegrityError as exc:
        raise Conflict(
            "已有待确认的关联申请", [{"field": "household_id", "message": "已有待确认的关联申请"}]
        ) from exc


@use_case
def link_decide(*, request_id: int, by: Any, confirm: bool, now: dt.datetime | None = None) -> LinkRequest:
    """The grid worker confirms (the account becomes the household's resident with the same phone) or
    rejects. Settled on the row under lock: two staff deciding at once see one decision."""
    from wangge.registry.models import Resident

    if not user_can(by, "registry.write"):
        raise Forbidden("无权处理关联申请")
    req = (
        LinkRequest.objects.visible_to(by).select_for_update().filter(pk=request_id).first()
        if 0 < request_id < 2**63
        else None
    )
    if req is None:
        raise NotFound("申请不存在")
    if req.status != LinkRequest.Status.PENDING:
        raise Conflict("该申请已处理")
    if confirm:
        user = req.user
        person = Resident.objects.filter(
            household_id=req.household_id, phone_hash__in=phone_hashes(user.phone), account__isnull=True
        ).first()
        if person is None:
            raise Conflict(
                "该户没有登记此手机号的居民，请先在台账中登记后再确认",
                [{"field": "household_id", "message": "该户没有登记此手机号的居民"}],
            )
        person.account = user
        person.save(update_fields=["account"])
    req.status = LinkRequest.Status.CONFIRMED if confirm else LinkRequest.Status.REJECTED
    req.decided_by = by
    req.decided_at = now or timezone.now()
    req.save(update_fields=["status", "decided_by", "decided_at"])
    return req
