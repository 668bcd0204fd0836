"""Every write of the case loop. Each step: permission check → lock the case row (``select_for_update``,
so concurrent steps are serialised and the loser sees the new state) → state check (``Conflict`` with the
current state) → change → immutable timeline entry → notifications.

All services take an optional ``now`` so demo data and tests can run the loop on a fixed clock.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from wangge.accounts.models import Unit, User
from wangge.accounts.roles import Role, user_can
from wangge.areas import geo
from wangge.areas.selectors import locate
from wangge.core.audit import audit
from wangge.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from wangge.core.pii import validate_phone
from wangge.core.scoping import AREA_ROLES, scope_for
from wangge.notifications.services import notify
from wangge.points.services import points_earn

from . import conf, routing
from .attachments import clean_upload
from .models import (
    LEVEL_CODE_LENGTH,
    LEVEL_ORDER,
    SUPERVISION_ORDER,
    Appeal,
    AppealEvent,
    Assignment,
    Attachment,
    Category,
    EventKind,
    Level,
    Rating,
    ReportIn,
    State,
    Supervision,
    TimeRequest,
    TimeUnit,
    Whistle,
)

log = logging.getLogger("wangge.appeals")

ACTIVE_STATES = (State.DISPATCHED, State.ACKNOWLEDGED, State.IN_PROGRESS)
OPEN_STATES = (State.SUBMITTED, State.OPENED, *ACTIVE_STATES, State.RESOLVED)
RESIDENT_CHANNELS = {
    Appeal.Channel.RESIDENT_WEB,
    Appeal.Channel.PHONE,
    Appeal.Channel.SNAPSHOT,
    Appeal.Channel.RIDER_VOLUNTEER,
}
# Channels where the submitter is staff who found or took down the matter: the case opens at once.
SELF_VERIFIED_CHANNELS = {Appeal.Channel.PATROL, Appeal.Channel.HOTLINE_12345, Appeal.Channel.STAFF_ENTRY}
STATE_LABELS = dict(State.choices)


# --- clocks, working time, notifications ---------------------------------------------------------------


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def add_working_time(start: dt.datetime, amount: float, unit: str) -> dt.datetime:
    from wangge.workdays.calendar import add_working_time as _add

    return _add(start, amount, unit)


def compute_deadline(start: dt.datetime, amount: float, unit: str) -> Any:
    from wangge.workdays.calendar import compute_deadline as _compute

    return _compute(start, amount, unit)


def working_hours_between(start: dt.datetime, end: dt.datetime) -> float:
    from wangge.workdays.calendar import working_hours_between as _between

    return _between(start, end)


def _notify(
    users: Iterable[Any],
    event: str,
    title: str,
    appeal: Appeal,
    body: str = "",
    channels: tuple[str, ...] = ("inapp", "sms"),
) -> None:
    users = [u for u in users if u is not None]
    if not users:
        return
    try:
        notify(
            users=users,
            event=f"appeal.{event}",
            title=title,
            body=body,
            link=f"/appeals/{appeal.pk}/",
            obj=appeal,
            channels=channels,
        )
    except Exception:  # a notification failure must never undo a step of the loop
        log.exception("notify failed for appeal %s (%s)", appeal.pk, event)


def _reporters(appeal: Appeal) -> list[User]:
    """The reporter and the reporters of every case merged into this one: they share the outcome."""
    users = [appeal.reporter] if appeal.reporter_id else []
    users += [
        m.reporter
        for m in Appeal.objects.filter(merged_into=appeal, reporter__isnull=False).select_related("reporter")
    ]
    return [u for u in users if u is not None]


def _lead_users(appeal: Appeal) -> list[User]:
    if appeal.lead_user_id:
        return [appeal.lead_user] if appeal.lead_user else []
    if appeal.lead_unit_id:
        return list(User.objects.filter(unit_id=appeal.lead_unit_id, is_active=True))
    return []


def _handler_users(appeal: Appeal) -> list[User]:
    users = _lead_users(appeal)
    for a in appeal.assignments.filter(active=True, role=Assignment.Role.CO).select_related("user"):
        if a.user is not None:
            users.append(a.user)
        elif a.unit_id:
            users += list(User.objects.filter(unit_id=a.unit_id, is_active=True))
    return users


def _dispatchers(appeal: Appeal) -> list[User]:
    """Staff of the area at the case's current level (grid workers for grid matters, community staff …)."""
    if not appeal.area_code:
        return []
    return routing.staff_of_area(routing.level_area_code(appeal.area_code, appeal.handling_level))


def _supervisors(appeal: Appeal) -> list[User]:
    level = appeal.handling_level if appeal.handling_level != Level.GRID else Level.COMMUNITY
    return routing.staff_of_area(routing.level_area_code(appeal.area_code, level)) if appeal.area_code else []


# --- permissions -----------------------------------------------------------------------------------------


def _in_scope(user: Any, appeal: Appeal) -> bool:
    scope = scope_for(user)
    return scope.everything or (bool(appeal.area_code) and scope.contains(appeal.area_code))


def can_dispatch(user: Any, appeal: Appeal) -> bool:
    """A dispatcher of the case's current level or above (小事网格议、大事社区议; escalation moves it up)."""
    if not user_can(user, "appeals.dispatch"):
        return False
    scope = scope_for(user)
    if scope.everything:
        return True
    limit = LEVEL_CODE_LENGTH[Level(appeal.handling_level)]
    return any(appeal.area_code.startswith(c) and len(c) <= limit for c in scope.codes)


def can_supervise(user: Any, appeal: Appeal) -> bool:
    return user_can(user, "appeals.supervise") and _in_scope(user, appeal)


def is_lead(user: Any, appeal: Appeal) -> bool:
    if not user_can(user, "appeals.handle"):
        return False
    if appeal.lead_user_id and appeal.lead_user_id == user.pk:
        return True
    return bool(appeal.lead_unit_id and user.unit_id and appeal.lead_unit_id == user.unit_id)


def is_handler(user: Any, appeal: Appeal) -> bool:
    """The lead or an active co-handler (a person, a member of a unit, or staff of a summoned area)."""
    if is_lead(user, appeal):
        return True
    if not user_can(user, "appeals.handle"):
        return False
    scope = scope_for(user)
    for a in appeal.assignments.filter(active=True).select_related("area"):
        if a.user_id == user.pk or (a.unit_id and a.unit_id == user.unit_id):
            return True
        if a.area_id and a.area and (scope.everything or any(a.area.code.startswith(c) for c in scope.codes)):
            return True
    return False


def _role(user: Any) -> str:
    return getattr(user, "role", "") or "system" if user is not None else "system"


def _require(ok: bool, message: str = "无权执行此操作") -> None:
    if not ok:
        raise Forbidden(message)


# --- locking, state, timeline -------------------------------------------------------------------------------


def _lock(appeal_id: int) -> Appeal:
    appeal = (
        Appeal.objects.select_for_update(of=("self",))
        .select_related("category", "lead_user", "lead_unit", "reporter")
        .filter(pk=appeal_id)
        .first()
    )
    if appeal is None:
        raise NotFound("诉求不存在")
    return appeal


def _visible_or_404(user: Any, appeal: Appeal) -> None:
    from .selectors import can_view

    if not can_view(user, appeal):
        raise NotFound("诉求不存在或不在您的管辖范围内")


def _require_state(appeal: Appeal, states: Iterable[str], action: str) -> None:
    if appeal.state not in set(states):
        raise Conflict(
            f"当前状态为“{STATE_LABELS.get(appeal.state, appeal.state)}”，不能{action}",
            state=appeal.state,
            version=appeal.version,
        )


def _check_version(appeal: Appeal, expected: int | None) -> None:
    if expected is not None and expected != appeal.version:
        raise Conflict("诉求已被他人更新，请刷新后重试", state=appeal.state, version=appeal.version)


def _save(appeal: Appeal, *fields: str) -> None:
    appeal.version += 1
    appeal.save(update_fields=[*fields, "version", "updated_at"])


def _event(
    appeal: Appeal,
    kind: str,
    by: Any,
    at: dt.datetime,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> AppealEvent:
    return AppealEvent.objects.create(
        appeal=appeal,
        kind=kind,
        actor=by if getattr(by, "pk", None) else None,
        actor_role=_role(by),
        at=at,
        note=note or "",
        data=data or {},
        area_code=appeal.area_code,
        category_id_at=appeal.category_id,
    )


def _step(
    appeal_id: int,
    by: Any,
    states: Iterable[str],
    action: str,
    *,
    check: Any,
    version: int | None = None,
) -> Appeal:
    """Lock the case, hide it from viewers outside their reach (404), check permission (403) then state (409)."""
    appeal = _lock(appeal_id)
    _visible_or_404(by, appeal)
    _require(check(by, appeal))
    _check_version(appeal, version)
    _require_state(appeal, states, action)
    return appeal


def _text(value: str | None, field: str, *, required: bool = True, max_len: int = 2000) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput.field(field, "必须填写")
    if len(value) > max_len:
        raise InvalidInput.field(field, f"不能超过 {max_len} 字")
    return value


# --- submit ------------------------------------------------------------------------------------------------


def category_for_report(code: str) -> Category:
    category = Category.objects.filter(code=code, active=True, parent__isnull=False).first()
    if category is None:
        raise InvalidInput.field("category", "请选择有效的小类")
    return category


def _locate(lat: float, lng: float, coord_system: str) -> tuple[float, float, Any, Any]:
    try:
        wlat, wlng = geo.to_wgs84(float(lat), float(lng), coord_system)
    except ValueError as exc:
        raise InvalidInput.field("coord_system", str(exc)) from exc
    grid, micro = locate(wlat, wlng)
    if grid is None:
        raise InvalidInput.field("lat", "该位置不在任何网格内")
    return wlat, wlng, grid, micro


def appeal_submit(
    *,
    by: Any,
    category: str,
    description: str,
    channel: str,
    kind: str = Appeal.Kind.PROBLEM,
    lat: float | None = None,
    lng: float | None = None,
    coord_system: str = "wgs84",
    address: str = "",
    anonymous: bool = False,
    external_ref: str = "",
    idempotency_key: str | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    area_code: str | None = None,
    now: dt.datetime | None = None,
) -> tuple[Appeal, bool]:
    """Submit a case. Returns ``(appeal, created)``. The same idempotency key (per submitter) or the same
    hotline ticket never makes two cases, also under concurrent retries (unique constraints).
    One transaction with its notifications: one commit per submission, and no savepoint (a duplicate
    key rolls the whole attempt back, then the existing case is read)."""
    _require(user_can(by, "appeals.submit"), "无权上报诉求")
    # No look-up before the insert: the unique constraint decides (a retry costs the insert attempt, a
    # first submission — the hot path — costs nothing extra).
    key = (idempotency_key or "").strip()[:80] or None
    now = _now(now)
    if channel not in Appeal.Channel.values:
        raise InvalidInput.field("channel", "无效的来源渠道")
    is_staff = (
        getattr(by, "role", None) in AREA_ROLES or by.is_superuser or getattr(by, "role", None) == Role.ADMIN
    )
    if not is_staff and channel not in RESIDENT_CHANNELS:
        raise Forbidden("居民只能通过居民渠道或随手拍上报")
    if kind not in Appeal.Kind.values:
        raise InvalidInput.field("kind", "无效的诉求类型")
    cat = category_for_report(category)
    description = _text(description, "description")
    address = _text(address, "address", required=False, max_len=200)
    external_ref = _text(external_ref, "external_ref", required=False, max_len=64)
    if channel == Appeal.Channel.HOTLINE_12345:
        if not external_ref:
            raise InvalidInput.field("external_ref", "12345转办须填写热线工单号")
        existing = Appeal.objects.filter(channel=channel, external_ref=external_ref).first()
        if existing is not None:
            return existing, False

    grid = micro = None
    area = ""
    location_source = ""
    if lat is not None and lng is not None:
        lat, lng, grid, micro = _locate(lat, lng, coord_system)
        area = grid.code
        location_source = "input"
    elif lat is not None or lng is not None:
        raise InvalidInput.field("lng" if lat is not None else "lat", "经纬度须同时填写")
    elif area_code:
        if not is_staff or not scope_for(by).contains(area_code):
            raise InvalidInput.field("area", "区域不存在或不在您的管辖范围内")
        found = routing.area_by_code(area_code)
        if found is None:
            raise InvalidInput.field("area", "区域不存在")
        area = found.code
        grid = found if found.is_grid and len(found.code) == 15 else None
        location_source = "area"
    elif channel != Appeal.Channel.SNAPSHOT:
        raise InvalidInput.field("lat", "请提供位置（或随手拍照片）")

    if is_staff and channel not in RESIDENT_CHANNELS:
        reporter = None
        reporter_name = _text(reporter_name, "reporter_name", required=False, max_len=50)
        reporter_phone = _text(reporter_phone, "reporter_phone", required=False, max_len=20)
        if reporter_phone and (err := validate_phone(reporter_phone)):
            raise InvalidInput.field("reporter_phone", err)
    else:
        reporter = by
        reporter_name = getattr(by, "display_name", "") or ""
        reporter_phone = getattr(by, "phone", "") or ""

    appeal = Appeal(
        kind=kind,
        channel=channel,
        category=cat,
        description=description,
        address=address,
        lat=lat,
        lng=lng,
        location_source=location_source,
        grid=grid,
        microgrid=micro,
        area_code=area,
        anonymous=bool(anonymous),
        reporter=reporter,
        submitted_by=by,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        idempotency_key=key,
        external_ref=external_ref,
        reported_at=now,
        handling_level=routing.initial_level(cat),
    )
    try:
        with transaction.atomic():
            appeal.save()
            _event(appeal, EventKind.SUBMITTED, by, now, data={"channel": channel, "kind": kind})
            if channel in SELF_VERIFIED_CHANNELS and area and can_dispatch(by, appeal):
                _open(appeal, by, now, note="工作人员录入，直接立案")
            if appeal.state == State.SUBMITTED:
                # In-app only: a text message for every new report would flood the grid workers' phones.
                _notify(
                    _dispatchers(appeal),
                    "submitted",
                    f"新诉求待受理：{cat.name}",
                    appeal,
                    description[:100],
                    channels=("inapp",),
                )
    except IntegrityError:
        existing = None
        if key:
            existing = Appeal.objects.filter(submitted_by=by, idempotency_key=key).first()
        if existing is None and external_ref:
            existing = Appeal.objects.filter(channel=channel, external_ref=external_ref).first()
        if existing is None:
            raise
        return existing, False
    return appeal, True


def _open(appeal: Appeal, by: Any, now: dt.datetime, note: str = "") -> None:
    appeal.state = State.OPENED
    appeal.opened_at = now
    _save(appeal, "state", "opened_at")
    _event(appeal, EventKind.ACCEPTED, by, now, note)
    if appeal.channel == Appeal.Channel.SNAPSHOT and appeal.reporter_id:
        try:
            with transaction.atomic():
                points_earn(
                    user=appeal.reporter, rule_code="snapshot_case", source_key=f"appeal:{appeal.pk}", by=None
                )
        except Exception:  # points are a reward, never a reason to refuse opening the case
            log.exception("points_earn failed for appeal %s", appeal.pk)


# --- attachments --------------------------------------------------------------------------------------------


@transaction.atomic
def attachment_add(
    *,
    appeal_id: int,
    by: Any,
    content: bytes,
    filename: str = "",
    purpose: str = Attachment.Purpose.REPORT,
    now: dt.datetime | None = None,
) -> Attachment:
    """Attach a checked, cleaned file. A 随手拍 case without a location takes it from the photo's EXIF GPS."""
    now = _now(now)
    appeal = _lock(appeal_id)
    _visible_or_404(by, appeal)
    if purpose not in Attachment.Purpose.values:
        raise InvalidInput.field("purpose", "无效的附件用途")
    allowed = (
        appeal.reporter_id == by.pk
        or appeal.submitted_by_id == by.pk
        or is_handler(by, appeal)
        or (user_can(by, "appeals.check") and _in_scope(by, appeal))
    )
    _require(allowed, "无权上传附件")
    if appeal.state in (State.CLOSED, State.CANCELLED, State.MERGED):
        _require_state(appeal, OPEN_STATES, "上传附件")
    limit = int(conf.get("MAX_ATTACHMENTS"))
    if appeal.attachments.filter(purpose=purpose).count() >= limit:
        raise InvalidInput.field("file", f"每个环节最多上传 {limit} 个附件")
    clean = clean_upload(content, filename)
    att = Attachment(
        appeal=appeal,
        purpose=purpose,
        original_name=(filename or "")[:200],
        content_type=clean.content_type,
        size=len(clean.content),
        sha256=clean.sha256,
        exif_lat=clean.exif_lat,
        exif_lng=clean.exif_lng,
        exif=clean.exif,
        uploaded_by=by,
    )
    att.file.save(f"{clean.sha256[:16]}.{clean.extension}", ContentFile(clean.content), save=False)
    att.save()
    if appeal.lat is None and clean.exif_lat is not None and clean.exif_lng is not None:
        try:
            wlat, wlng, grid, micro = _locate(clean.exif_lat, clean.exif_lng, "wgs84")
        except InvalidInput:
            grid = None
        if grid is not None:
            appeal.lat, appeal.lng, appeal.grid, appeal.microgrid = wlat, wlng, grid, micro
            appeal.area_code = grid.code
            appeal.location_source = "exif"
            _save(appeal, "lat", "lng", "grid", "microgrid", "area_code", "location_source")
            _event(
                appeal, EventKind.LOCATED, by, now, "由照片定位", {"lat": wlat, "lng": wlng, "source": "exif"}
            )
            if appeal.state == State.SUBMITTED:
                _notify(_dispatchers(appeal), "submitted", f"新诉求待受理：{appeal.category.name}", appeal)
    return att


def _take_attachments(appeal: Appeal, ids: Iterable[int] | None, event: AppealEvent) -> list[int]:
    ids = list(ids or [])
    if not ids:
        return []
    found = list(appeal.attachments.filter(pk__in=ids, event__isnull=True).values_list("pk", flat=True))
    missing = set(ids) - set(found)
    if missing:
        raise InvalidInput.field("attachment_ids", f"附件不存在或已使用：{sorted(missing)}")
    Attachment.objects.filter(pk__in=found).update(event=event)
    return found


# --- opening -----------------------------------------------------------------------------------------------


@transaction.atomic
def appeal_accept(
    *, appeal_id: int, by: Any, note: str = "", version: int | None = None, now: dt.datetime | None = None
) -> Appeal:
    """立案: the dispatcher verifies the report and opens a case."""
    now = _now(now)
    appeal = _step(appeal_id, by, [State.SUBMITTED], "立案", check=can_dispatch, version=version)
    if not appeal.area_code:
        raise InvalidInput.field("lat", "诉求尚无位置，无法立案")
    _open(appeal, by, now, _text(note, "note", required=False))
    _notify(_reporters(appeal), "accepted", "您的诉求已受理立案", appeal)
    return appeal


@transaction.atomic
def appeal_cancel(
    *, appeal_id: int, by: Any, reason: str, version: int | None = None, now: dt.datetime | None = None
) -> Appeal:
    """作废: not a case (invalid, outside our remit), with the reason."""
    now = _now(now)
    reason = _text(reason, "reason")
    appeal = _step(
        appeal_id, by, [State.SUBMITTED, State.OPENED], "作废", check=can_dispatch, version=version
    )
    appeal.state = State.CANCELLED
    _save(appeal, "state")
    _event(appeal, EventKind.CANCELLED, by, now, reason)
    _notify(_reporters(appeal), "cancelled", "您的诉求未予立案", appeal, reason)
    return appeal


@transaction.atomic
def appeal_merge(
    *,
    appeal_id: int,
    into_id: int,
    by: Any,
    note: str = "",
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Appeal:
    """Merge a duplicate into an open case: it shares that case's outcome; its reporter is told."""
    now = _now(now)
    if into_id == appeal_id:
        raise InvalidInput.field("into", "不能合并到自身")
    # Lock both rows in id order so two opposite merges cannot deadlock.
    first, second = sorted([appeal_id, into_id])
    locked = {first: _lock(first), second: _lock(second)}
    appeal, target = locked[appeal_id], locked[into_id]
    _visible_or_404(by, appeal)
    _require(can_dispatch(by, appeal))
    _check_version(appeal, version)
    _require_state(appeal, [State.SUBMITTED, State.OPENED], "合并")
    if target.state in (State.CANCELLED, State.MERGED, State.CLOSED) or not _in_scope(by, target):
        raise InvalidInput.field("into", "目标诉求不存在、已结束或不在您的管辖范围内")
    if target.category_id != appeal.category_id:
        raise InvalidInput.field("into", "只能合并同类诉求")
    appeal.state = State.MERGED
    appeal.merged_into = target
    _save(appeal, "state", "merged_into")
    _event(appeal, EventKind.MERGED, by, now, note, {"into": target.pk})
    _event(target, EventKind.MERGED, by, now, note, {"from": appeal.pk})
    reporters = [appeal.reporter] if appeal.reporter_id else []
    _notify(reporters, "merged", f"您的诉求已与同一问题的诉求 #{target.pk} 合并办理", appeal)
    return appeal


# --- dispatch and handling ----------------------------------------------------------------------------------


def _unit(unit_id: int | None, field: str) -> Unit | None:
    if unit_id is None:
        return None
    unit = Unit.objects.filter(pk=unit_id).first()
    if unit is None:
        raise InvalidInput.field(field, "单位不存在")
    return unit


def _handler_user(user_id: int | None, field: str) -> User | None:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user_can(user, "appeals.handle"):
        raise InvalidInput.field(field, "处置人不存在或无处置权限")
    return user


@transaction.atomic
def appeal_dispatch(
    *,
    appeal_id: int,
    by: Any,
    lead_unit_id: int | None = None,
    lead_user_id: int | None = None,
    co_unit_ids: Iterable[int] = (),
    co_user_ids: Iterable[int] = (),
    note: str = "",
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Appeal:
    """派遣 to a lead (unit or person), optionally with co-handlers. The first dispatch starts the clock:
    deadlines come from the category's limits in working time."""
    now = _now(now)
    appeal = _step(appeal_id, by, [State.OPENED], "派遣", check=can_dispatch, version=version)
    if lead_unit_id is not None and lead_user_id is not None:
        raise InvalidInput.field("lead_user_id", "主办单位和主办人只能指定一个")
    lead_unit = _unit(lead_unit_id, "lead_unit_id")
    lead_user = _handler_user(lead_user_id, "lead_user_id")
    if lead_unit is None and lead_user is None:
        suggestion = routing.suggest_handler(appeal)
        lead_unit, lead_user = suggestion.unit, suggestion.user
        if lead_unit is None and lead_user is None:
            raise InvalidInput.field("lead_user_id", suggestion.reason)
    co_units = [_unit(i, "co_unit_ids") for i in dict.fromkeys(co_unit_ids)]
    co_users = [_handler_user(i, "co_user_ids") for i in dict.fromkeys(co_user_ids)]
    appeal.assignments.filter(active=True).update(active=False)
    Assignment.objects.create(appeal=appeal, role=Assignment.Role.LEAD, unit=lead_unit, user=lead_user)
    for u in co_units:
        if u is not None and u != lead_unit:
            Assignment.objects.create(appeal=appeal, role=Assignment.Role.CO, unit=u)
    for p in co_users:
        if p is not None and p != lead_user:
            Assignment.objects.create(appeal=appeal, role=Assignment.Role.CO, user=p)
    cat = appeal.category
    fields = ["state", "lead_unit", "lead_user", "response_due_at"]
    appeal.state = State.DISPATCHED
    appeal.lead_unit, appeal.lead_user = lead_unit, lead_user
    response = compute_deadline(now, cat.response_amount, cat.response_unit)
    appeal.response_due_at = response.at
    assumed = set(response.assumed_years)
    if appeal.dispatched_at is None:
        resolve = compute_deadline(now, cat.resolve_amount, cat.resolve_unit)
        appeal.dispatched_at = now
        appeal.resolve_due_at = resolve.at
        assumed |= set(resolve.assumed_years)
        fields += ["dispatched_at", "resolve_due_at"]
    _save(appeal, *fields)
    data = {
        # Years the working-day calendar lacks (computed Mon–Fri): shown so nobody trusts them blindly.
        "calendar_assumed_years": sorted(assumed),
        "lead_unit": lead_unit.pk if lead_unit else None,
        "lead_user": lead_user.pk if lead_user else None,
        "co_units": [u.pk for u in co_units if u],
        "co_users": [u.pk for u in co_users if u],
        "response_due_at": appeal.response_due_at.isoformat(),
        "resolve_due_at": appeal.resolve_due_at.isoformat() if appeal.resolve_due_at else None,
    }
    _event(appeal, EventKind.DISPATCHED, by, now, _text(note, "note", required=False), data)
    _notify(_handler_users(appeal), "dispatched", f"新派单：{cat.name}", appeal, appeal.description[:100])
    return appeal


@transaction.atomic
def appeal_acknowledge(
    *, appeal_id: int, by: Any, note: str = "", version: int | None = None, now: dt.datetime | None = None
) -> Appeal:
    """签收: the lead takes the case; the first acknowledgement is the response time."""
    now = _now(now)
    appeal = _step(appeal_id, by, [State.DISPATCHED], "签收", check=is_lead, version=version)
    appeal.state = State.ACKNOWLEDGED
    fields = ["state"]
    if appeal.first_ack_at is None:
        appeal.first_ack_at = now
        appeal.response_overdue = bool(appeal.response_due_at and now > appeal.response_due_at)
        fields += ["first_ack_at", "response_overdue"]
    _save(appeal, *fields)
    _event(appeal, EventKind.ACKNOWLEDGED, by, now, note, {"late": appeal.response_overdue})
    _notify(_reporters(appeal), "acknowledged", "您的诉求已有专人签收办理", appeal)
    return appeal


@transaction.atomic
def appeal_return(
    *, appeal_id: int, by: Any, reason: str, version: int | None = None, now: dt.datetime | None = None
) -> Appeal:
    """退单: not ours, with the reason; back to the dispatcher."""
    now = _now(now)
    reason = _text(reason, "reason")
    appeal = _step(
        appeal_id, by, [State.DISPATCHED, State.ACKNOWLEDGED], "退单", check=is_lead, version=version
    )
    previous = {"lead_unit": appeal.lead_unit_id, "lead_user": appeal.lead_user_id}
    appeal.assignments.filter(active=True).update(active=False)
    appeal.state = State.OPENED
    appeal.lead_unit = appeal.lead_user = None
    appeal.return_count += 1
    _save(appeal, "state", "lead_unit", "lead_user", "return_count")
    _event(appeal, EventKind.RETURNED, by, now, reason, previous)
    _notify(_dispatchers(appeal), "returned", f"诉求 #{appeal.pk} 被退单，请重新派遣", appeal, reason)
    return appeal


@transaction.atomic
def appeal_start(
    *, appeal_id: int, by: Any, note: str = "", version: int | None = None, now: dt.datetime | None = None
) -> Appeal:
    now = _now(now)
    appeal = _step(appeal_id, by, [State.ACKNOWLEDGED], "开始处置", check=is_lead, version=version)
    appeal.state = State.IN_PROGRESS
    _save(appeal, "state")
    _event(appeal, EventKind.STARTED, by, now, note)
    return appeal


@transaction.atomic
def appeal_resolve(
    *,
    appeal_id: int,
    by: Any,
    note: str,
    attachment_ids: Iterable[int] = (),
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Appeal:
    """办结 with a note (and photos uploaded before with purpose ``resolve``)."""
    now = _now(now)
    note = _text(note, "note")
    appeal = _step(
        appeal_id, by, [State.ACKNOWLEDGED, State.IN_PROGRESS], "办结", check=is_lead, version=version
    )
    appeal.state = State.RESOLVED
    appeal.resolved_at = now
    appeal.check_passed = False
    late = bool(appeal.resolve_due_at and now > appeal.resolve_due_at)
    appeal.overdue = appeal.overdue or late
    _save(appeal, "state", "resolved_at", "check_passed", "overdue")
    event = _event(appeal, EventKind.RESOLVED, by, now, note, {"late": late, "round": appeal.rework_count})
    _take_attachments(appeal, attachment_ids, event)
    _notify(_reporters(appeal), "resolved", "您的诉求已办结，请评价", appeal, note[:100])
    if appeal.category.needs_onsite_check:
        _notify(_dispatchers(appeal), "check_needed", f"诉求 #{appeal.pk} 已办结，待现场核查", appeal)
    return appeal


def _rework(
    appeal: Appeal, by: Any, now: dt.datetime, kind: str, note: str, data: dict[str, Any]
) -> AppealEvent:
    """Back to the handler (dispatched) when there is still a lead, else to the dispatcher (opened)."""
    has_lead = bool(appeal.lead_unit_id or appeal.lead_user_id)
    appeal.state = State.DISPATCHED if has_lead else State.OPENED
    appeal.rework_count += 1
    appeal.resolved_at = None
    appeal.closed_at = None
    appeal.check_passed = False
    appeal.rating = ""
    appeal.solved = None
    _save(
        appeal,
        "state",
        "rework_count",
        "resolved_at",
        "closed_at",
        "check_passed",
        "rating",
        "solved",
        "dissatisfied_reopens",
    )
    event = _event(appeal, kind, by, now, note, {**data, "rework_count": appeal.rework_count})
    _notify(
        _handler_users(appeal) or _dispatchers(appeal),
        "rework",
        f"诉求 #{appeal.pk} 需返工重办",
        appeal,
        note,
    )
    return event


@transaction.atomic
def appeal_check(
    *,
    appeal_id: int,
    by: Any,
    passed: bool,
    note: str = "",
    attachment_ids: Iterable[int] = (),
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Appeal:
    """核查 on site: pass, or fail = rework back to the handler (counted)."""
    now = _now(now)
    appeal = _step(
        appeal_id,
        by,
        [State.RESOLVED],
        "核查",
        check=lambda u, a: user_can(u, "appeals.check") and _in_scope(u, a),
        version=version,
    )
    if passed:
        if appeal.check_passed:
            raise Conflict("已核查通过", state=appeal.state, version=appeal.version)
        appeal.check_passed = True
        _save(appeal, "check_passed")
        event = _event(appeal, EventKind.CHECK_PASSED, by, now, note)
    else:
        note = _text(note, "note")
        event = _rework(appeal, by, now, EventKind.CHECK_FAILED, note, {})
    _take_attachments(appeal, attachment_ids, event)
    return appeal


def _close(appeal: Appeal, by: Any, now: dt.datetime, kind: str, note: str = "") -> None:
    appeal.state = State.CLOSED
    appeal.closed_at = now
    appeal.auto_closed = kind == EventKind.AUTO_CLOSED
    _save(appeal, "state", "closed_at", "auto_closed")
    _event(appeal, kind, by, now, note)
    _notify(_reporters(appeal), "closed", f"诉求 #{appeal.pk} 已结案", appeal, note[:100])


def _check_done(appeal: Appeal) -> bool:
    return appeal.check_passed or not appeal.category.needs_onsite_check


@transaction.atomic
def appeal_rate(
    *,
    appeal_id: int,
    by: Any,
    satisfaction: str,
    solved: bool,
    comment: str = "",
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Appeal:
    """评价 by the reporter. Satisfied/basically → closed; dissatisfied → rework (once, configurable)."""
    now = _now(now)
    if satisfaction not in Appeal.Rating.values:
        raise InvalidInput.field("satisfaction", "请选择满意、基本满意或不满意")
    comment = _text(comment, "comment", required=False)

    def may_rate(user: Any, appeal: Appeal) -> bool:
        if appeal.reporter_id:
            return appeal.reporter_id == user.pk
        return can_dispatch(user, appeal)  # taken down by phone for a reporter without an account

    appeal = _step(appeal_id, by, [State.RESOLVED], "评价", check=may_rate, version=version)
    if not _check_done(appeal):
        raise Conflict("该类诉求须先现场核查再评价", state=appeal.state, version=appeal.version)
    try:
        with transaction.atomic():
            Rating.objects.create(
                appeal=appeal,
                round=appeal.rework_count,
                by=by,
                satisfaction=satisfaction,
                solved=solved,
                comment=comment,
            )
    except IntegrityError as exc:
        raise Conflict("本轮已评价", state=appeal.state, version=appeal.version) from exc
    appeal.rating = satisfaction
    appeal.solved = bool(solved)
    _save(appeal, "rating", "solved")
    data = {"satisfaction": satisfaction, "solved": bool(solved), "round": appeal.rework_count}
    _event(appeal, EventKind.RATED, by, now, comment, data)
    limit = int(conf.get("DISSATISFIED_REOPENS"))
    if satisfaction == Appeal.Rating.DISSATISFIED and appeal.dissatisfied_reopens < limit:
        appeal.dissatisfied_reopens += 1
        _rework(appeal, None, now, EventKind.REOPENED, "居民不满意，重新办理", {"reason": "dissatisfied"})
    else:
        _close(appeal, by, now, EventKind.CLOSED, "居民已评价")
    return appeal


@transaction.atomic
def appeal_reopen(
    *, appeal_id: int, by: Any, reason: str, version: int | None = None, now: dt.datetime | None = None
) -> Appeal:
    """重办: a supervisor (or the reporter, within a few days of closing) sends a finished case back."""
    now = _now(now)
    reason = _text(reason, "reason")
    days = int(conf.get("REOPEN_DAYS"))

    def may_reopen(user: Any, appeal: Appeal) -> bool:
        if can_supervise(user, appeal) or can_dispatch(user, appeal):
            return True
        recent = appeal.closed_at is None or appeal.closed_at >= now - dt.timedelta(days=days)
        return appeal.reporter_id == user.pk and recent

    appeal = _step(appeal_id, by, [State.RESOLVED, State.CLOSED], "重办", check=may_reopen, version=version)
    _rework(appeal, by, now, EventKind.REOPENED, reason, {})
    return appeal


# --- extensions and holds -----------------------------------------------------------------------------------


def _time_request(
    appeal_id: int,
    by: Any,
    kind: str,
    action: str,
    *,
    amount: float | None,
    unit: str | None,
    reason: str,
    now: dt.datetime,
    version: int | None,
) -> Appeal:
    label = "延期" if kind == TimeRequest.Kind.EXTEND else "缓办"
    if action == "request":
        reason = _text(reason, "reason")
        appeal = _step(appeal_id, by, ACTIVE_STATES, f"申请{label}", check=is_lead, version=version)
        if kind == TimeRequest.Kind.EXTEND:
            if amount is None or amount <= 0:
                raise InvalidInput.field("amount", "请填写延期时长")
            if unit not in TimeUnit.values:
                raise InvalidInput.field("unit", "时长单位无效")
        elif appeal.on_hold:
            raise Conflict("已在缓办中", state=appeal.state, version=appeal.version)
        try:
            with transaction.atomic():
                TimeRequest.objects.create(
                    appeal=appeal, kind=kind, amount=amount, unit=unit or "", reason=reason, requested_by=by
                )
        except IntegrityError as exc:
            raise Conflict("已有待审批的延期/缓办申请", state=appeal.state, version=appeal.version) from exc
        requested = (
            EventKind.EXTEND_REQUESTED if kind == TimeRequest.Kind.EXTEND else EventKind.HOLD_REQUESTED
        )
        _save(appeal)
        _event(appeal, requested, by, now, reason, {"amount": amount, "unit": unit})
        _notify(
            _supervisors(appeal),
            f"{kind}_requested",
            f"诉求 #{appeal.pk} 申请{label}，待审批",
            appeal,
            reason,
        )
        return appeal
    if action == "resume":
        appeal = _step(
            appeal_id,
            by,
            ACTIVE_STATES,
            "恢复办理",
            check=lambda u, a: can_supervise(u, a) or is_lead(u, a),
            version=version,
        )
        if kind != TimeRequest.Kind.HOLD or not appeal.on_hold or appeal.hold_started_at is None:
            raise Conflict("诉求不在缓办中", state=appeal.state, version=appeal.version)
        paused = max(0.0, working_hours_between(appeal.hold_started_at, now))
        fields = ["on_hold", "hold_started_at"]
        if paused > 0 and appeal.resolve_due_at:
            appeal.resolve_due_at = add_working_time(appeal.resolve_due_at, paused, TimeUnit.WORKING_HOURS)
            fields.append("resolve_due_at")
        if paused > 0 and appeal.response_due_at and appeal.first_ack_at is None:
            appeal.response_due_at = add_working_time(appeal.response_due_at, paused, TimeUnit.WORKING_HOURS)
            fields.append("response_due_at")
        appeal.on_hold = False
        appeal.hold_started_at = None
        _save(appeal, *fields)
        _event(appeal, EventKind.RESUMED, by, now, reason or "", {"paused_working_hours": round(paused, 2)})
        _notify(_handler_users(appeal), "resumed", f"诉求 #{appeal.pk} 恢复办理", appeal)
        return appeal
    if action not in ("approve", "reject"):
        raise InvalidInput.field("action", "action 须为 request、approve、reject 或 resume")
    appeal = _step(appeal_id, by, ACTIVE_STATES, f"审批{label}", check=can_supervise, version=version)
    req = TimeRequest.objects.filter(appeal=appeal, kind=kind, status=TimeRequest.Status.PENDING).first()
    if req is None:
        raise Conflict(f"没有待审批的{label}申请", state=appeal.state, version=appeal.version)
    req.status = TimeRequest.Status.APPROVED if action == "approve" else TimeRequest.Status.REJECTED
    req.decided_by = by
    req.decided_at = now
    req.decision_note = reason or ""
    req.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    if action == "reject":
        rejected = EventKind.EXTEND_REJECTED if kind == TimeRequest.Kind.EXTEND else EventKind.HOLD_REJECTED
        _save(appeal)
        _event(appeal, rejected, by, now, reason or "", {"request": req.pk})
    elif kind == TimeRequest.Kind.EXTEND:
        before = appeal.resolve_due_at
        base = max(before, now) if before else now
        appeal.resolve_due_at = add_working_time(base, req.amount or 0, req.unit)
        appeal.extended = True
        _save(appeal, "resolve_due_at", "extended")
        data = {
            "request": req.pk,
            "amount": req.amount,
            "unit": req.unit,
            "from": before.isoformat() if before else None,
            "to": appeal.resolve_due_at.isoformat(),
        }
        _event(appeal, EventKind.EXTENDED, by, now, reason or req.reason, data)
    else:
        appeal.on_hold = True
        appeal.held = True
        appeal.hold_started_at = now
        _save(appeal, "on_hold", "held", "hold_started_at")
        _event(appeal, EventKind.HOLD, by, now, reason or req.reason, {"request": req.pk})
    verdict = "已批准" if action == "approve" else "被驳回"
    _notify(_lead_users(appeal), f"{kind}_{action}", f"诉求 #{appeal.pk} 的{label}申请{verdict}", appeal)
    return appeal


@transaction.atomic
def appeal_extend(
    *,
    appeal_id: int,
    by: Any,
    action: str = "request",
    amount: float | None = None,
    unit: str | None = None,
    reason: str = "",
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Appeal:
    """延期: the lead requests more time (``request``); a supervisor ``approve``s or ``reject``s."""
    return _time_request(
        appeal_id,
        by,
        TimeRequest.Kind.EXTEND,
        action,
        amount=amount,
        unit=unit,
        reason=reason,
        now=_now(now),
        version=version,
    )


@transaction.atomic
def appeal_hold(
    *,
    appeal_id: int,
    by: Any,
    action: str = "request",
    reason: str = "",
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Appeal:
    """缓办: the clock pauses once approved; ``resume`` restarts it and moves the deadlines by the pause."""
    return _time_request(
        appeal_id,
        by,
        TimeRequest.Kind.HOLD,
        action,
        amount=None,
        unit=None,
        reason=reason,
        now=_now(now),
        version=version,
    )


# --- whistle, report in, urge ---------------------------------------------------------------------------------


def _next_level(level: str) -> str | None:
    i = LEVEL_ORDER.index(Level(level))
    return LEVEL_ORDER[i + 1] if i + 1 < len(LEVEL_ORDER) else None


@transaction.atomic
def appeal_whistle(
    *,
    appeal_id: int,
    by: Any,
    reason: str,
    unit_ids: Iterable[int] = (),
    next_level: bool = False,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Whistle:
    """吹哨: summon departments (or the next level up); each must report in within the configured limit."""
    now = _now(now)
    reason = _text(reason, "reason")
    unit_ids = list(dict.fromkeys(unit_ids))
    if not unit_ids and not next_level:
        raise InvalidInput.field("unit_ids", "请选择要吹哨的部门或上一级")
    appeal = _step(
        appeal_id,
        by,
        [State.OPENED, *ACTIVE_STATES],
        "吹哨",
        check=lambda u, a: can_dispatch(u, a) or can_supervise(u, a),
        version=version,
    )
    units = list(Unit.objects.filter(pk__in=unit_ids))
    if len(units) != len(unit_ids):
        raise InvalidInput.field("unit_ids", "部分单位不存在")
    area = None
    if next_level:
        up = _next_level(appeal.handling_level)
        area = routing.area_by_code(routing.level_area_code(appeal.area_code, up)) if up else None
        if area is None:
            raise InvalidInput.field("next_level", "已是最高层级")
    due = add_working_time(now, float(conf.get("REPORT_IN_AMOUNT")), str(conf.get("REPORT_IN_UNIT")))
    whistle = Whistle.objects.create(appeal=appeal, blown_by=by, reason=reason, blown_at=now)
    for u in units:
        ReportIn.objects.create(whistle=whistle, appeal=appeal, unit=u, due_at=due)
    if area is not None:
        ReportIn.objects.create(whistle=whistle, appeal=appeal, area=area, due_at=due)
    _save(appeal)
    data = {"whistle": whistle.pk, "units": [u.pk for u in units], "area": area.code if area else None}
    _event(appeal, EventKind.WHISTLED, by, now, reason, {**data, "due_at": due.isoformat()})
    summoned = list(User.objects.filter(unit__in=units, is_active=True)) if units else []
    if area is not None:
        summoned += routing.staff_of_area(area.code)
    _notify(
        summoned, "whistled", f"吹哨报到：诉求 #{appeal.pk} 请于 {due:%m-%d %H:%M} 前报到", appeal, reason
    )
    return whistle


@transaction.atomic
def appeal_report_in(
    *, appeal_id: int, by: Any, note: str = "", version: int | None = None, now: dt.datetime | None = None
) -> ReportIn:
    """报到: a summoned unit's member (or the summoned level's staff) reports in and becomes a co-handler."""
    now = _now(now)
    appeal = _lock(appeal_id)
    scope = scope_for(by)
    pending = list(appeal.report_ins.filter(reported_at__isnull=True).select_related("area", "unit"))
    mine = [
        r
        for r in pending
        if (r.unit_id and r.unit_id == getattr(by, "unit_id", None))
        or (
            r.area_id and r.area and (scope.everything or any(r.area.code.startswith(c) for c in scope.codes))
        )
    ]
    if not mine:
        _visible_or_404(by, appeal)
        raise Conflict("没有待您报到的吹哨", state=appeal.state, version=appeal.version)
    _check_version(appeal, version)
    _require_state(appeal, [State.OPENED, *ACTIVE_STATES], "报到")
    report = mine[0]
    report.reported_at = now
    report.reported_by = by
    report.note = _text(note, "note", required=False)
    report.save(update_fields=["reported_at", "reported_by", "note", "updated_at"])
    Assignment.objects.create(
        appeal=appeal, role=Assignment.Role.CO, unit=report.unit, area=report.area, via=Assignment.Via.WHISTLE
    )
    _save(appeal)
    late = now > report.due_at
    data = {"report_in": report.pk, "unit": report.unit_id, "area": report.area.code if report.area else None}
    _event(appeal, EventKind.REPORTED_IN, by, now, report.note, {**data, "late": late})
    _notify(
        _lead_users(appeal) or _dispatchers(appeal), "reported_in", f"诉求 #{appeal.pk}：{by} 已报到", appeal
    )
    return report


@transaction.atomic
def appeal_urge(
    *,
    appeal_id: int,
    by: Any,
    note: str,
    level: str | None = None,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Appeal:
    """督办: urge the handler; optionally raise the supervision card (never lowers it)."""
    now = _now(now)
    note = _text(note, "note")
    if level is not None and level not in Supervision.values:
        raise InvalidInput.field("level", "督办等级须为 normal、yellow 或 red")
    appeal = _step(
        appeal_id, by, [State.OPENED, *ACTIVE_STATES], "督办", check=can_supervise, version=version
    )
    if level and SUPERVISION_ORDER.index(Supervision(level)) > SUPERVISION_ORDER.index(
        Supervision(appeal.supervision_level)
    ):
        appeal.supervision_level = level
        _save(appeal, "supervision_level")
    else:
        _save(appeal)
    _event(appeal, EventKind.URGED, by, now, note, {"supervision_level": appeal.supervision_level})
    _notify(_handler_users(appeal) or _dispatchers(appeal), "urged", f"督办：诉求 #{appeal.pk}", appeal, note)
    return appeal


@transaction.atomic
def appeal_close(
    *, appeal_id: int, by: Any, note: str = "", version: int | None = None, now: dt.datetime | None = None
) -> Appeal:
    """结案 by the dispatcher: a resolved (and checked, where required) case, or an answered question or
    suggestion straight from opened."""
    now = _now(now)
    appeal = _step(appeal_id, by, [State.RESOLVED, State.OPENED], "结案", check=can_dispatch, version=version)
    if appeal.state == State.OPENED:
        if appeal.kind not in (Appeal.Kind.QUESTION, Appeal.Kind.SUGGESTION):
            raise Conflict("问题类诉求须派遣办结后才能结案", state=appeal.state, version=appeal.version)
        note = _text(note, "note")
        appeal.resolved_at = now
        _save(appeal, "resolved_at")
    elif not _check_done(appeal):
        raise Conflict("该类诉求须先现场核查再结案", state=appeal.state, version=appeal.version)
    _close(appeal, by, now, EventKind.CLOSED, _text(note, "note", required=False))
    return appeal


# --- the periodic job -----------------------------------------------------------------------------------------


def _warn_window(appeal: Appeal, due: dt.datetime) -> dt.timedelta:
    start = appeal.dispatched_at or appeal.reported_at
    return max(due - start, dt.timedelta(0)) * float(conf.get("WARN_FRACTION"))


def _escalate(appeal_id: int, which: str, now: dt.datetime) -> bool:
    """Escalate one level up for one passed deadline; False when it was already escalated for it."""
    with transaction.atomic():
        appeal = _lock(appeal_id)
        due = appeal.response_due_at if which == "response" else appeal.resolve_due_at
        marker = "response_escalated_for" if which == "response" else "resolve_escalated_for"
        states = [State.DISPATCHED] if which == "response" else list(ACTIVE_STATES)
        if (
            due is None
            or due >= now
            or getattr(appeal, marker) == due
            or appeal.state not in states
            or appeal.on_hold
        ):
            return False
        before_level, before_card = appeal.handling_level, appeal.supervision_level
        up = _next_level(appeal.handling_level)
        if up:
            appeal.handling_level = up
        i = SUPERVISION_ORDER.index(Supervision(appeal.supervision_level))
        appeal.supervision_level = SUPERVISION_ORDER[min(i + 1, len(SUPERVISION_ORDER) - 1)]
        appeal.escalation_level += 1
        setattr(appeal, marker, due)
        fields = ["handling_level", "supervision_level", "escalation_level", marker]
        if which == "resolve":
            appeal.overdue = True
            fields.append("overdue")
        else:
            appeal.response_overdue = True
            fields.append("response_overdue")
        _save(appeal, *fields)
        data = {
            "deadline": which,
            "due_at": due.isoformat(),
            "from_level": before_level,
            "to_level": appeal.handling_level,
            "from_card": before_card,
            "to_card": appeal.supervision_level,
        }
        label = "响应" if which == "response" else "处置"
        _event(appeal, EventKind.ESCALATED, None, now, f"{label}超期，自动升级", data)
        title = f"超期升级：诉求 #{appeal.pk}（{appeal.get_supervision_level_display()}）"
        _notify(_dispatchers(appeal) + _lead_users(appeal), "escalated", title, appeal)
        return True


def _warn(appeal_id: int, which: str, now: dt.datetime) -> bool:
    with transaction.atomic():
        appeal = _lock(appeal_id)
        due = appeal.response_due_at if which == "response" else appeal.resolve_due_at
        marker = "response_warned_for" if which == "response" else "resolve_warned_for"
        states = [State.DISPATCHED] if which == "response" else list(ACTIVE_STATES)
        if due is None or appeal.state not in states or appeal.on_hold or getattr(appeal, marker) == due:
            return False
        if not (due - _warn_window(appeal, due) <= now < due):
            return False
        setattr(appeal, marker, due)
        _save(appeal, marker)
        label = "响应" if which == "response" else "处置"
        _event(
            appeal,
            EventKind.WARNED,
            None,
            now,
            f"{label}即将到期",
            {"deadline": which, "due_at": due.isoformat()},
        )
        _notify(
            _lead_users(appeal) or _dispatchers(appeal),
            "warned",
            f"临期预警：诉求 #{appeal.pk} 将于 {timezone.localtime(due):%m-%d %H:%M} 到期",
            appeal,
        )
        return True


def appeals_tick(now: dt.datetime | None = None) -> dict[str, int]:
    """One pass of the periodic job: warnings before deadlines, escalation of passed deadlines, late
    report-ins, auto-close of unrated resolved cases. Idempotent: each deadline warns and escalates once."""
    now = _now(now)
    counts = {"warned": 0, "escalated": 0, "report_in_late": 0, "auto_closed": 0}
    live = Appeal.objects.filter(on_hold=False)
    not_acked = live.filter(state=State.DISPATCHED, response_due_at__isnull=False)
    active = live.filter(state__in=ACTIVE_STATES, resolve_due_at__isnull=False)

    for pk in (
        not_acked.filter(response_due_at__lt=now)
        .exclude(response_escalated_for=F("response_due_at"))
        .values_list("pk", flat=True)
    ):
        counts["escalated"] += _escalate(pk, "response", now)
    for pk in (
        active.filter(resolve_due_at__lt=now)
        .exclude(resolve_escalated_for=F("resolve_due_at"))
        .values_list("pk", flat=True)
    ):
        counts["escalated"] += _escalate(pk, "resolve", now)

    for which, qs, due_field, marker in (
        ("response", not_acked, "response_due_at", "response_warned_for"),
        ("resolve", active, "resolve_due_at", "resolve_warned_for"),
    ):
        candidates = qs.filter(**{f"{due_field}__gte": now}).exclude(**{marker: F(due_field)})
        for appeal in candidates.only("pk", "dispatched_at", "reported_at", due_field):
            due = getattr(appeal, due_field)
            if due - _warn_window(appeal, due) <= now:
                counts["warned"] += _warn(appeal.pk, which, now)

    for report in ReportIn.objects.filter(
        reported_at__isnull=True, due_at__lt=now, late_warned=False
    ).select_related("appeal", "unit", "area"):
        with transaction.atomic():
            if not ReportIn.objects.filter(pk=report.pk, late_warned=False).update(late_warned=True):
                continue
            appeal = report.appeal
            who = report.unit.name if report.unit else (report.area.name if report.area else "")
            _event(appeal, EventKind.WARNED, None, now, f"{who} 未按时报到", {"report_in": report.pk})
            _notify(_dispatchers(appeal), "report_in_late", f"诉求 #{appeal.pk}：{who} 未按时报到", appeal)
            counts["report_in_late"] += 1

    days = int(conf.get("AUTO_CLOSE_DAYS"))
    cutoff = now - dt.timedelta(days=days)
    stale = Appeal.objects.filter(state=State.RESOLVED, resolved_at__lte=cutoff, rating="").filter(
        Q(check_passed=True) | Q(category__needs_onsite_check=False)
    )
    for pk in stale.values_list("pk", flat=True):
        with transaction.atomic():
            appeal = _lock(pk)
            if appeal.state != State.RESOLVED or appeal.rating or not _check_done(appeal):
                continue
            _close(appeal, None, now, EventKind.AUTO_CLOSED, f"办结后 {days} 天未评价，自动结案")
            counts["auto_closed"] += 1
    return counts


def audit_reveal(appeal: Appeal, by: Any, field: str) -> None:
    """Record that ``by`` saw a reporter's full contact details."""
    audit("reveal", appeal, by=by, note=f"reporter {field}")
