"""Handling: 开始处置, 办结, and asking for time (延期/缓办, decided by a supervisor; resume)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction

from wangge.core.errors import Conflict, InvalidInput

from ..models import (
    Appeal,
    EventKind,
    State,
    TimeRequest,
    TimeUnit,
)
from ..notify import send as notify_step
from ._common import (
    _event,
    _now,
    _save,
    _step,
    _text,
    add_working_time,
    working_hours_between,
)
from .intake import _take_attachments


@transaction.atomic
def appeal_start(
    *, appeal_id: int, by: Any, note: str = "", version: int | None = None, now: dt.datetime | None = None
) -> Appeal:
    now = _now(now)
    note = _text(note, "note", required=False)
    appeal = _step(appeal_id, by, "start", version=version)
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
    appeal = _step(appeal_id, by, "resolve", version=version)
    appeal.state = State.RESOLVED
    appeal.resolved_at = now
    appeal.check_passed = False
    late = bool(appeal.resolve_due_at and now > appeal.resolve_due_at)
    appeal.overdue = appeal.overdue or late
    _save(appeal, "state", "resolved_at", "check_passed", "overdue")
    event = _event(appeal, EventKind.RESOLVED, by, now, note, {"late": late, "round": appeal.rework_count})
    _take_attachments(appeal, attachment_ids, event)
    if appeal.category.needs_onsite_check:
        notify_step("check_needed", appeal, body=note[:100])
        notify_step("resolved", appeal, body=note[:100], next="，待现场核查")
    else:
        notify_step("resolved", appeal, body=note[:100], next="，请评价")
    return appeal


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
        appeal = _step(appeal_id, by, kind, version=version)
        if kind == TimeRequest.Kind.EXTEND:
            if amount is None or amount <= 0:
                raise InvalidInput.field("amount", "请填写延期时长")
            if not math.isfinite(amount) or amount > 10_000:
                raise InvalidInput.field("amount", "延期时长过长")
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
        notify_step(f"{kind}_requested", appeal, body=reason)
        return appeal
    reason = _text(reason, "reason", required=False)
    if action == "resume":
        appeal = _step(appeal_id, by, "resume", version=version)
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
        notify_step("resumed", appeal)
        return appeal
    if action not in ("approve", "reject"):
        raise InvalidInput.field("action", "action 须为 request、approve、reject 或 resume")
    appeal = _step(appeal_id, by, f"decide-{kind}", version=version)
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
    notify_step("time_decided", appeal, stored_as=f"{kind}_{action}", label=label, verdict=verdict)
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
