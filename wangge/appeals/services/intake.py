"""Intake: submitting a case (web, phone, 随手拍, patrol, 12345 hand-over), its attachments, and the
dispatcher's first look: 立案 (accept), 作废 (cancel), 合并 (merge a duplicate)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from wangge.accounts.roles import Role, user_can
from wangge.areas import geo
from wangge.areas.selectors import locate
from wangge.core.cache import VersionedCache, instance
from wangge.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from wangge.core.pii import validate_phone
from wangge.core.scoping import AREA_ROLES, scope_for
from wangge.points.services import points_earn

from .. import conf, loop, routing
from ..attachments import clean_upload
from ..models import (
    Appeal,
    AppealEvent,
    Attachment,
    Category,
    EventKind,
    State,
)
from ..notify import send as notify_step
from ..permissions import can_dispatch, in_scope, is_handler
from ._common import (
    OPEN_STATES,
    RESIDENT_CHANNELS,
    SELF_VERIFIED_CHANNELS,
    _check_version,
    _event,
    _lock,
    _now,
    _require,
    _require_state,
    _save,
    _step,
    _text,
    _visible_or_404,
    log,
)


def _already_submitted(by: Any, existing: Appeal) -> Appeal:
    """A re-submit (same 12345 ticket, same idempotency key) answers with the case it matches — only to
    someone who may see that case. Anyone else learns that the reference is taken, and nothing of the case
    (ticket numbers are guessable: 12345-YYYYMMDDnnnnn)."""
    if Appeal.objects.visible_to(by).filter(pk=existing.pk).exists():
        return existing
    raise Conflict("该工单号已登记为另一条诉求，且不在您的管辖范围内；请联系所属社区核实")


# The active leaf categories (the ~41-row catalogue) by code, per process; any change to a category moves
# the ``category`` stamp (a trigger), and the next request reloads.
_CATEGORY_FIELDS = [f.attname for f in Category._meta.concrete_fields]
_catalogue: VersionedCache[dict[str, dict[str, Any]]] = VersionedCache(["category"])


def _load_catalogue() -> dict[str, dict[str, Any]]:
    rows = Category.objects.filter(active=True, parent__isnull=False).values(*_CATEGORY_FIELDS)
    return {row["code"]: row for row in rows}


def category_for_report(code: str) -> Category:
    code = _text(code, "category", max_len=16)
    values = _catalogue.get("leaves", _load_catalogue).get(code)
    if values is None:
        raise InvalidInput.field("category", "请选择有效的小类")
    category: Category = instance(Category, values)
    return category


def _locate(lat: float, lng: float, coord_system: str) -> tuple[float, float, Any, Any]:
    for name, value, limit in (("lat", lat, 90), ("lng", lng, 180)):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InvalidInput.field(name, "须为数字") from None
        if not math.isfinite(number) or abs(number) > limit:
            raise InvalidInput.field(name, f"须为 -{limit} 到 {limit} 之间的有限数")
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
    key = _text(idempotency_key, "Idempotency-Key", required=False, max_len=200)[:80] or None
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
            return _already_submitted(by, existing), False

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
        area_code = _text(area_code, "area", max_len=17)
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
                notify_step("submitted", appeal, body=description[:100], plain=True)
    except IntegrityError:
        existing = None
        if key:
            existing = Appeal.objects.filter(submitted_by=by, idempotency_key=key).first()
        if existing is None and external_ref:
            existing = Appeal.objects.filter(channel=channel, external_ref=external_ref).first()
        if existing is None:
            raise
        return _already_submitted(by, existing), False
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
        or (user_can(by, "appeals.check") and in_scope(by, appeal))
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
                notify_step("submitted", appeal)
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


@transaction.atomic
def appeal_accept(
    *, appeal_id: int, by: Any, note: str = "", version: int | None = None, now: dt.datetime | None = None
) -> Appeal:
    """立案: the dispatcher verifies the report and opens a case."""
    now = _now(now)
    appeal = _step(appeal_id, by, "accept", version=version)
    if not appeal.area_code:
        raise InvalidInput.field("lat", "诉求尚无位置，无法立案")
    _open(appeal, by, now, _text(note, "note", required=False))
    notify_step("accepted", appeal)
    return appeal


@transaction.atomic
def appeal_cancel(
    *, appeal_id: int, by: Any, reason: str, version: int | None = None, now: dt.datetime | None = None
) -> Appeal:
    """作废: not a case (invalid, outside our remit), with the reason."""
    now = _now(now)
    reason = _text(reason, "reason")
    appeal = _step(appeal_id, by, "cancel", version=version)
    appeal.state = State.CANCELLED
    _save(appeal, "state")
    _event(appeal, EventKind.CANCELLED, by, now, reason)
    notify_step("cancelled", appeal, body=reason)
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
    note = _text(note, "note", required=False)
    if into_id == appeal_id:
        raise InvalidInput.field("into", "不能合并到自身")
    # Lock both rows in id order so two opposite merges cannot deadlock.
    # A missing target answers exactly like one out of reach (ids cannot be probed).
    unavailable = InvalidInput.field("into", "目标诉求不存在、已结束或不在您的管辖范围内")
    locked: dict[int, Appeal] = {}
    for pk in sorted([appeal_id, into_id]):
        try:
            locked[pk] = _lock(pk)
        except NotFound:
            if pk == appeal_id:
                raise
    appeal, target = locked[appeal_id], locked.get(into_id)
    merge = loop.step("merge")
    _visible_or_404(by, appeal)
    _require(merge.allowed(by, appeal), merge.refusal_for(by, appeal))
    _check_version(appeal, version)
    _require_state(appeal, merge.states, str(merge.label))
    if target is None or target.state in (State.CANCELLED, State.MERGED, State.CLOSED):
        raise unavailable
    if not in_scope(by, target):
        raise unavailable
    if target.category_id != appeal.category_id:
        raise InvalidInput.field("into", "只能合并同类诉求")
    appeal.state = State.MERGED
    appeal.merged_into = target
    _save(appeal, "state", "merged_into")
    _event(appeal, EventKind.MERGED, by, now, note, {"into": target.pk})
    _event(target, EventKind.MERGED, by, now, note, {"from": appeal.pk})
    notify_step("merged", appeal, target=f"#{target.pk}")
    return appeal
