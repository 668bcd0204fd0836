"""Closing: 现场核查 (someone off the handling side), 评价 by the reporter, 重办, 结案."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction

from wangge.core.errors import Conflict, Forbidden, InvalidInput

from .. import conf
from ..models import (
    Appeal,
    AppealEvent,
    EventKind,
    Rating,
    State,
)
from ..notify import send as notify_step
from ..permissions import can_dispatch, can_supervise, on_handling_side
from ._common import (
    _event,
    _now,
    _save,
    _step,
    _text,
)
from .intake import _take_attachments


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
    appeal.self_checked = False
    appeal.rating = ""
    appeal.solved = None
    _save(
        appeal,
        "state",
        "rework_count",
        "resolved_at",
        "closed_at",
        "check_passed",
        "self_checked",
        "rating",
        "solved",
        "dissatisfied_reopens",
    )
    event = _event(appeal, kind, by, now, note, {**data, "rework_count": appeal.rework_count})
    notify_step("rework", appeal, body=note)
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
    note = _text(note, "note", required=False)
    appeal = _step(appeal_id, by, "check", version=version)
    if passed:
        if appeal.check_passed:
            raise Conflict("已核查通过", state=appeal.state, version=appeal.version)
        appeal.check_passed = True
        # Only possible with WANGGE_APPEALS_ALLOW_SELF_CHECK: the figures count such cases apart.
        appeal.self_checked = on_handling_side(by, appeal)
        _save(appeal, "check_passed", "self_checked")
        data = {"self_checked": True} if appeal.self_checked else {}
        event = _event(appeal, EventKind.CHECK_PASSED, by, now, note, data)
        notify_step("checked", appeal, body=note)
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
    notify_step("closed", appeal, body=note[:100])


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

    appeal = _step(appeal_id, by, "rate", version=version)
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

    appeal = _step(appeal_id, by, "reopen", version=version)
    staff = can_supervise(by, appeal) or can_dispatch(by, appeal)
    # The reporter: within a few days of closing.
    if not staff and appeal.closed_at is not None and appeal.closed_at < now - dt.timedelta(days=days):
        raise Forbidden(f"结案已超过 {days} 天，不能再申请重办")
    _rework(appeal, by, now, EventKind.REOPENED, reason, {})
    return appeal


@transaction.atomic
def appeal_close(
    *, appeal_id: int, by: Any, note: str = "", version: int | None = None, now: dt.datetime | None = None
) -> Appeal:
    """结案 by the dispatcher: a resolved (and checked, where required) case, or an answered question or
    suggestion straight from opened."""
    now = _now(now)
    appeal = _step(appeal_id, by, "close", version=version)
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
