"""What every stage of the case loop shares: clocks and working time, who to notify, locking a case, the
table-driven guard of a step, the timeline, and text checks.

Each step: lock the case row (``select_for_update``, so concurrent steps are serialised and the loser sees
the new state) → hide it from those who may not see it (404) → the step's permission predicate from
``loop.py`` (403, with the reason) → version and state (``Conflict`` with the current state) → change →
immutable timeline entry → notifications.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from wangge.core.audit import audit
from wangge.core.errors import Conflict, Forbidden, InvalidInput, NotFound

from .. import loop
from ..loop import ACTIVE_STATES, OPEN_STATES
from ..models import LEVEL_ORDER, Appeal, AppealEvent, Level, State
from ..schemas import MAX_ID

log = logging.getLogger("wangge.appeals")

__all__ = ["ACTIVE_STATES", "OPEN_STATES"]

RESIDENT_CHANNELS = {
    Appeal.Channel.RESIDENT_WEB,
    Appeal.Channel.PHONE,
    Appeal.Channel.SNAPSHOT,
    Appeal.Channel.RIDER_VOLUNTEER,
}
# Channels where the submitter is staff who found or took down the matter: the case opens at once.
SELF_VERIFIED_CHANNELS = {Appeal.Channel.PATROL, Appeal.Channel.HOTLINE_12345, Appeal.Channel.STAFF_ENTRY}
STATE_LABELS = dict(State.choices)


def _visible_or_404(user: Any, appeal: Appeal) -> None:
    if not Appeal.objects.visible_to(user).filter(pk=appeal.pk).exists():
        raise NotFound("诉求不存在或不在您的管辖范围内")


def _step(
    appeal_id: int,
    by: Any,
    name: str,
    *,
    version: int | None = None,
) -> Appeal:
    """The guard of step ``name`` from the loop table: lock the case, hide it from viewers outside their
    reach (404), check the step's permission (403, with the reason), then version and state (409)."""
    s = loop.step(name)
    appeal = _lock(appeal_id)
    _visible_or_404(by, appeal)
    if not s.allowed(by, appeal):
        raise Forbidden(s.refusal_for(by, appeal))
    _check_version(appeal, version)
    _require_state(appeal, s.states, str(s.label))
    return appeal


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


def _role(user: Any) -> str:
    return getattr(user, "role", "") or "system" if user is not None else "system"


def _require(ok: bool, message: str = "无权执行此操作") -> None:
    if not ok:
        raise Forbidden(message)


def _lock(appeal_id: int) -> Appeal:
    if not isinstance(appeal_id, int) or not 0 < appeal_id <= MAX_ID:
        raise NotFound("诉求不存在")
    appeal = (
        Appeal.objects.select_for_update(of=("self",))
        .select_related("category", "lead_user", "lead_unit", "reporter")
        .filter(pk=appeal_id)
        .first()
    )
    if appeal is None:
        raise NotFound("诉求不存在")
    return appeal


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


def _text(value: str | None, field: str, *, required: bool = True, max_len: int = 2000) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput.field(field, "必须填写")
    if len(value) > max_len:
        raise InvalidInput.field(field, f"不能超过 {max_len} 字")
    if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
        raise InvalidInput.field(field, "不能包含空字符或无效字符")
    return value


def _next_level(level: str) -> str | None:
    i = LEVEL_ORDER.index(Level(level))
    return LEVEL_ORDER[i + 1] if i + 1 < len(LEVEL_ORDER) else None


def audit_reveal(appeal: Appeal, by: Any, field: str) -> None:
    """Record that ``by`` saw a reporter's full contact details."""
    audit("reveal", appeal, by=by, note=f"reporter {field}")
