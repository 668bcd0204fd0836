"""Dispatch: 派遣 to a lead (and co-handlers), 签收, 退单, and summoning help: 吹哨报到 and 督办."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from wangge.accounts.models import Unit, User
from wangge.core.errors import Conflict, InvalidInput
from wangge.core.scoping import scope_for

from .. import conf, routing
from ..models import (
    SUPERVISION_ORDER,
    Appeal,
    Assignment,
    EventKind,
    ReportIn,
    State,
    Supervision,
    Whistle,
)
from ..notify import send as notify_step
from ..permissions import may_handle
from ._common import (
    ACTIVE_STATES,
    _check_version,
    _event,
    _lock,
    _next_level,
    _now,
    _require_state,
    _save,
    _step,
    _text,
    _visible_or_404,
    add_working_time,
    compute_deadline,
)


def _unit(unit_id: int | None, field: str) -> Unit | None:
    if unit_id is None:
        return None
    unit = Unit.objects.filter(pk=unit_id).first()
    if unit is None:
        raise InvalidInput.field(field, "单位不存在")
    return unit


def _handler_user(user_id: int | None, field: str, appeal: Appeal) -> User | None:
    """A person a case may be dispatched to: staff with handling rights, or — for a service case — a 红色代办员
    the case's community appointed (``permissions.may_handle``)."""
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first() if 0 < user_id < 2**63 else None
    if user is None or not may_handle(user, appeal):
        if user is not None and appeal.kind == Appeal.Kind.SERVICE:
            raise InvalidInput.field(field, "该志愿者不是本社区任命的红色代办员")
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
    appeal = _step(appeal_id, by, "dispatch", version=version)
    if lead_unit_id is not None and lead_user_id is not None:
        raise InvalidInput.field("lead_user_id", "主办单位和主办人只能指定一个")
    lead_unit = _unit(lead_unit_id, "lead_unit_id")
    lead_user = _handler_user(lead_user_id, "lead_user_id", appeal)
    if lead_unit is None and lead_user is None:
        suggestion = routing.suggest_handler(appeal)
        lead_unit, lead_user = suggestion.unit, suggestion.user
        if lead_unit is None and lead_user is None:
            raise InvalidInput.field("lead_user_id", suggestion.reason)
    co_units = [_unit(i, "co_unit_ids") for i in dict.fromkeys(co_unit_ids)]
    co_users = [_handler_user(i, "co_user_ids", appeal) for i in dict.fromkeys(co_user_ids)]
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
    notify_step("dispatched", appeal, body=appeal.description[:100])
    return appeal


@transaction.atomic
def appeal_acknowledge(
    *, appeal_id: int, by: Any, note: str = "", version: int | None = None, now: dt.datetime | None = None
) -> Appeal:
    """签收: the lead takes the case; the first acknowledgement is the response time."""
    now = _now(now)
    note = _text(note, "note", required=False)
    appeal = _step(appeal_id, by, "acknowledge", version=version)
    appeal.state = State.ACKNOWLEDGED
    fields = ["state"]
    if appeal.first_ack_at is None:
        appeal.first_ack_at = now
        appeal.response_overdue = bool(appeal.response_due_at and now > appeal.response_due_at)
        fields += ["first_ack_at", "response_overdue"]
    _save(appeal, *fields)
    _event(appeal, EventKind.ACKNOWLEDGED, by, now, note, {"late": appeal.response_overdue})
    notify_step("acknowledged", appeal)
    return appeal


@transaction.atomic
def appeal_return(
    *, appeal_id: int, by: Any, reason: str, version: int | None = None, now: dt.datetime | None = None
) -> Appeal:
    """退单: not ours, with the reason; back to the dispatcher."""
    now = _now(now)
    reason = _text(reason, "reason")
    appeal = _step(appeal_id, by, "return", version=version)
    previous = {"lead_unit": appeal.lead_unit_id, "lead_user": appeal.lead_user_id}
    appeal.assignments.filter(active=True).update(active=False)
    appeal.state = State.OPENED
    appeal.lead_unit = appeal.lead_user = None
    appeal.return_count += 1
    _save(appeal, "state", "lead_unit", "lead_user", "return_count")
    _event(appeal, EventKind.RETURNED, by, now, reason, previous)
    notify_step("returned", appeal, body=reason)
    return appeal


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
    appeal = _step(appeal_id, by, "whistle", version=version)
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
    local_due = timezone.localtime(due)
    notify_step("whistled", appeal, body=reason, units=units, area=area, due=f"{local_due:%m-%d %H:%M}")
    return whistle


@transaction.atomic
def appeal_report_in(
    *, appeal_id: int, by: Any, note: str = "", version: int | None = None, now: dt.datetime | None = None
) -> ReportIn:
    """报到: a summoned unit's member (or the summoned level's staff) reports in and becomes a co-handler."""
    now = _now(now)
    appeal = _lock(appeal_id)
    scope = scope_for(by)
    pending = list(
        appeal.report_ins.filter(reported_at__isnull=True).select_related("area", "unit", "whistle__blown_by")
    )
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
    who = report.unit.name if report.unit else str(by)
    notify_step("reported_in", appeal, body=report.note, who=who, blower=report.whistle.blown_by)
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
    appeal = _step(appeal_id, by, "urge", version=version)
    if level and SUPERVISION_ORDER.index(Supervision(level)) > SUPERVISION_ORDER.index(
        Supervision(appeal.supervision_level)
    ):
        appeal.supervision_level = level
        _save(appeal, "supervision_level")
    else:
        _save(appeal)
    _event(appeal, EventKind.URGED, by, now, note, {"supervision_level": appeal.supervision_level})
    notify_step("urged", appeal, body=note)
    return appeal
