"""The periodic job of the loop: warnings before deadlines, escalation after them, late report-ins and
auto-closing of unrated resolved cases. Idempotent: each deadline warns and escalates once."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .. import conf
from ..models import (
    SUPERVISION_ORDER,
    Appeal,
    EventKind,
    ReportIn,
    State,
    Supervision,
)
from ..notify import send as notify_step
from ._common import (
    ACTIVE_STATES,
    _event,
    _lock,
    _next_level,
    _now,
    _save,
)
from .closing import _check_done, _close


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
        notify_step("escalated", appeal, card=appeal.get_supervision_level_display())
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
        notify_step("warned", appeal, due=f"{timezone.localtime(due):%m-%d %H:%M}")
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
    ).select_related("appeal", "unit", "area", "whistle__blown_by"):
        with transaction.atomic():
            if not ReportIn.objects.filter(pk=report.pk, late_warned=False).update(late_warned=True):
                continue
            appeal = report.appeal
            who = report.unit.name if report.unit else (report.area.name if report.area else "")
            _event(appeal, EventKind.WARNED, None, now, f"{who} 未按时报到", {"report_in": report.pk})
            notify_step("report_in_late", appeal, who=who, report=report)
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
