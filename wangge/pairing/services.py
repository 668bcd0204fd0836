"""Every write of the pairing context: pair, log a visit, hand over, change the backup, end; missed-visit flags.

Staff with ``mobilisation.manage`` act within their area scope; volunteers act on the pairings they are
assigned to (an assignment covers a date range, so during a hand-over's overlap both volunteers may log).
When an assignment ends (the overlap is over, the backup is removed, the pairing ends) the volunteer no longer
sees the pairing at all (``Pairing.visible_q``).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from wangge.accounts.models import Post, User
from wangge.accounts.roles import user_can
from wangge.core.audit import audit
from wangge.core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    from_django_validation,
)
from wangge.core.scoping import scope_for
from wangge.core.transactions import use_case
from wangge.notifications.services import notify
from wangge.points.services import earning_check, points_earn
from wangge.registry.models import Resident

from .models import (
    VISIT_EVERY_DAYS_MAX,
    Assignment,
    CareKind,
    Handover,
    MissedVisit,
    Pairing,
    Visit,
    serving_q,
)

log = logging.getLogger(__name__)

RESIDENT_NOT_FOUND = "居民不存在"
# How far from today a pairing may start or a hand-over be dated (typos like 2204 or 1024 are refused).
PAST_DAYS = 3660
FUTURE_DAYS = 366


def overlap_days_default() -> int:
    return int(getattr(settings, "WANGGE_PAIRING_HANDOVER_OVERLAP_DAYS", 14))


def missed_grace_days() -> int:
    return int(getattr(settings, "WANGGE_PAIRING_MISSED_GRACE_DAYS", 2))


def is_staff_in_scope(user: Any, pairing: Pairing) -> bool:
    return user_can(user, "mobilisation.manage") and scope_for(user).contains(pairing.area.code)


def is_serving(user: Any, pairing: Pairing, on: date | None = None) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    on = on or timezone.localdate()
    return pairing.assignments.filter(serving_q(on), volunteer=user).exists()


def _clean(obj: Any) -> None:
    try:
        # Constraints are checked by the database on save (a race-free Conflict), not by a pre-query.
        obj.full_clean(validate_constraints=False)
    except ValidationError as exc:
        raise from_django_validation(exc) from exc


def _lock(pairing_id: int) -> Pairing:
    p = Pairing.objects.select_for_update().select_related("area").filter(pk=pairing_id).first()
    if p is None:
        raise NotFound("结对不存在")
    return p


def _check_volunteer(user: User | None, field: str) -> None:
    if user is None or not user.is_active or not user_can(user, "mobilisation.participate"):
        raise InvalidInput.field(field, "须为在册的志愿者或党员账号")


def _check_day(day: date, field: str, *, earliest: date | None = None) -> None:
    today = timezone.localdate()
    low = max(earliest or date.min, today - timedelta(days=PAST_DAYS))
    if not low <= day <= today + timedelta(days=FUTURE_DAYS):
        raise InvalidInput.field(field, f"日期须在 {low} 到 {today + timedelta(days=FUTURE_DAYS)} 之间")


def _check_every(days: int) -> int:
    if not 1 <= days <= VISIT_EVERY_DAYS_MAX:
        raise InvalidInput.field("visit_every_days", f"走访频次须在1到{VISIT_EVERY_DAYS_MAX}天之间")
    return days


def resident_for_pairing(*, by: Any, resident_id: int) -> Resident:
    """A resident of ``by``'s area scope, by id. Missing and out of scope are the same 404."""
    if not user_can(by, "mobilisation.manage"):
        raise NotFound(RESIDENT_NOT_FOUND)
    resident = (
        Resident.objects.filter(scope_for(by).q("household__house__building__area__code"), pk=resident_id)
        .select_related("household__house__building__area")
        .first()
    )
    if resident is None:
        raise NotFound(RESIDENT_NOT_FOUND)
    return resident


@use_case
def pairing_create(
    *,
    resident: Resident,
    volunteer: User,
    care_kind: str,
    by: Any,
    backup: User | None = None,
    visit_every_days: int | None = None,
    starts_on: date | None = None,
    notes: str = "",
) -> Pairing:
    resident = resident_for_pairing(by=by, resident_id=resident.pk)
    area = resident.household.house.building.area
    if care_kind not in CareKind.values:
        raise InvalidInput.field("care_kind", "帮扶类别无效")
    _check_volunteer(volunteer, "volunteer")
    if backup is not None:
        _check_volunteer(backup, "backup")
        if backup.pk == volunteer.pk:
            raise InvalidInput.field("backup", "备岗志愿者不能与主责志愿者相同")
    starts_on = starts_on or timezone.localdate()
    _check_day(starts_on, "starts_on")
    default_every: int = int(getattr(settings, "WANGGE_PAIRING_VISIT_EVERY_DAYS", 7))
    every = _check_every(visit_every_days or default_every)
    pairing = Pairing(
        resident=resident,
        area=area,
        care_kind=care_kind,
        volunteer=volunteer,
        backup=backup,
        visit_every_days=every,
        starts_on=starts_on,
        notes=notes,
        created_by=by,
    )
    _clean(pairing)
    try:
        with transaction.atomic():
            pairing.save()
    except IntegrityError as exc:
        raise Conflict("该居民已有同类别的结对，请办理交接", state="exists") from exc
    Assignment.objects.create(pairing=pairing, volunteer=volunteer, starts_on=starts_on)
    if backup is not None:
        Assignment.objects.create(
            pairing=pairing, volunteer=backup, role=Assignment.Role.BACKUP, starts_on=starts_on
        )
    audit("create", pairing, by=by, changes={"care_kind": care_kind, "volunteer": volunteer.pk})
    return pairing


def visit_period(pairing: Pairing, day: date) -> int:
    """The index of the scheduled visit period (every ``visit_every_days`` from ``starts_on``) holding ``day``."""
    return (day - pairing.starts_on).days // max(1, pairing.visit_every_days)


@use_case
def visit_log(
    *,
    pairing: Pairing,
    by: Any,
    visited_at: datetime | None = None,
    duration_minutes: int = 30,
    mode: str = Visit.Mode.HOME,
    note: str = "",
    volunteer: User | None = None,
) -> Visit:
    """A serving volunteer logs their visit; staff in scope may record one for a serving volunteer.
    A visit earns points under rule ``pairing_visit``, whose limits (a minimum duration, one visit per
    scheduled period per volunteer, a daily cap) refuse the visit before anything is written."""
    pairing = _lock(pairing.pk)
    now = timezone.now()
    visited_at = visited_at or now
    if visited_at > now + timedelta(minutes=5):
        raise InvalidInput.field("visited_at", "走访时间不能晚于现在")
    if pairing.status == Pairing.Status.ENDED:
        raise Conflict("结对已结束", state=pairing.status)
    day = timezone.localdate(visited_at)
    if day < pairing.starts_on:
        raise InvalidInput.field("visited_at", "走访时间不能早于结对开始日期")
    if is_serving(by, pairing, day):
        volunteer = by
    elif is_staff_in_scope(by, pairing):
        volunteer = volunteer or pairing.volunteer
        if not is_serving(volunteer, pairing, day):
            raise InvalidInput.field("volunteer", "该志愿者当时未承担此结对")
    else:
        raise Forbidden("只有承担该结对的志愿者或社区可以登记走访")
    if not 1 <= int(duration_minutes) <= 24 * 60:
        raise InvalidInput.field("duration_minutes", "时长须在1分钟到24小时之间")
    if mode not in Visit.Mode.values:
        raise InvalidInput.field("mode", "走访方式无效")
    if volunteer is None:  # pragma: no cover - narrowed above (by, or a serving volunteer)
        raise InvalidInput.field("volunteer_id", "请选择志愿者")
    limits = {
        "minutes": int(duration_minutes),
        "period_key": f"pairing:{pairing.pk}:{visit_period(pairing, day)}",
        "on": day,
        "fields": {"minutes": "duration_minutes", "period": "visited_at", "day": "visited_at"},
    }
    earning_check(user=volunteer, rule_code="pairing_visit", **limits)  # type: ignore[arg-type]
    visit = Visit(
        pairing=pairing,
        volunteer=volunteer,
        visited_at=visited_at,
        duration_minutes=int(duration_minutes),
        mode=mode,
        note=note.strip()[:500],
        recorded_by=by,
    )
    _clean(visit)
    visit.save()
    if pairing.last_visit_at is None or visited_at > pairing.last_visit_at:
        Pairing.objects.filter(pk=pairing.pk).update(last_visit_at=visited_at, updated_at=now)
    MissedVisit.objects.filter(pairing=pairing, resolved_at__isnull=True).update(resolved_at=now)
    # Checked again under the volunteer's account lock: a concurrent second visit is refused, not paid.
    points_earn(
        user=volunteer,
        rule_code="pairing_visit",
        source_key=f"visit:{visit.pk}",
        by=by,
        note=f"结对帮扶走访#{visit.pk}",
        **limits,  # type: ignore[arg-type]
    )
    audit("create", visit, by=by, changes={"pairing": pairing.pk, "volunteer": volunteer.pk})
    return visit


@use_case
def pairing_handover(
    *,
    pairing: Pairing,
    to_volunteer: User,
    by: Any,
    reason: str = "",
    notes: str = "",
    overlap_days: int | None = None,
    handed_on: date | None = None,
) -> Handover:
    """Hand the pairing to a successor. Visits, notes and schedule stay on the pairing; the predecessor
    keeps serving until the end of the overlap, then only the successor does."""
    pairing = _lock(pairing.pk)
    if not is_staff_in_scope(by, pairing) and not (getattr(by, "pk", None) == pairing.volunteer_id):
        raise Forbidden("只有社区或当前志愿者可以办理交接")
    if pairing.status == Pairing.Status.ENDED:
        raise Conflict("结对已结束", state=pairing.status)
    _check_volunteer(to_volunteer, "to_volunteer")
    if to_volunteer.pk == pairing.volunteer_id:
        raise InvalidInput.field("to_volunteer", "接任者不能是当前志愿者")
    overlap = overlap_days_default() if overlap_days is None else int(overlap_days)
    if not 0 <= overlap <= 90:
        raise InvalidInput.field("overlap_days", "共同帮扶期须在0到90天之间")
    handed_on = handed_on or timezone.localdate()
    _check_day(handed_on, "handed_on", earliest=pairing.starts_on)
    overlap_until = handed_on + timedelta(days=overlap)
    previous = pairing.volunteer
    # The predecessor serves until the overlap ends (never extended beyond an earlier end).
    Assignment.objects.filter(
        pairing=pairing, volunteer=previous, role=Assignment.Role.PRIMARY, ends_on__isnull=True
    ).update(ends_on=overlap_until)
    if pairing.backup_id == to_volunteer.pk:
        Assignment.objects.filter(
            pairing=pairing, volunteer=to_volunteer, role=Assignment.Role.BACKUP, ends_on__isnull=True
        ).update(ends_on=handed_on)
        pairing.backup = None
    Assignment.objects.create(pairing=pairing, volunteer=to_volunteer, starts_on=handed_on)
    handover = Handover.objects.create(
        pairing=pairing,
        from_volunteer=previous,
        to_volunteer=to_volunteer,
        handed_on=handed_on,
        overlap_until=overlap_until,
        reason=reason.strip()[:200],
        notes=notes.strip(),
        by=by,
    )
    pairing.volunteer = to_volunteer
    if notes.strip():
        stamp = f"【{handed_on:%Y-%m-%d} 交接 {previous} → {to_volunteer}】"
        pairing.notes = (pairing.notes + "\n" if pairing.notes else "") + stamp + notes.strip()
    pairing.save()
    audit(
        "update",
        pairing,
        by=by,
        changes={"volunteer": [previous.pk, to_volunteer.pk], "overlap_until": str(overlap_until)},
        note=reason,
    )
    return handover


@use_case
def pairing_set_backup(*, pairing: Pairing, backup: User | None, by: Any) -> Pairing:
    """Staff in scope set or remove the backup volunteer. A removed backup's assignment ends yesterday (their
    last day served), so from now on the pairing is not theirs to see."""
    pairing = _lock(pairing.pk)
    if not is_staff_in_scope(by, pairing):
        raise Forbidden("只有社区可以调整备岗志愿者")
    if pairing.status == Pairing.Status.ENDED:
        raise Conflict("结对已结束", state=pairing.status)
    if backup is not None:
        _check_volunteer(backup, "backup_id")
        if backup.pk == pairing.volunteer_id:
            raise InvalidInput.field("backup_id", "备岗志愿者不能与主责志愿者相同")
    if (backup.pk if backup else None) == pairing.backup_id:
        return pairing
    today = timezone.localdate()
    previous = pairing.backup_id
    Assignment.objects.filter(pairing=pairing, role=Assignment.Role.BACKUP).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today)
    ).update(ends_on=today - timedelta(days=1))
    if backup is not None:
        Assignment.objects.create(
            pairing=pairing, volunteer=backup, role=Assignment.Role.BACKUP, starts_on=today
        )
    pairing.backup = backup
    pairing.save(update_fields=["backup", "updated_at"])
    audit("update", pairing, by=by, changes={"backup": [previous, backup.pk if backup else None]})
    return pairing


@use_case
def pairing_end(*, pairing: Pairing, by: Any, reason: str) -> Pairing:
    pairing = _lock(pairing.pk)
    if not is_staff_in_scope(by, pairing):
        raise Forbidden("只有社区可以结束结对")
    if pairing.status == Pairing.Status.ENDED:
        raise Conflict("结对已结束", state=pairing.status)
    if not reason.strip():
        raise InvalidInput.field("reason", "请填写结束原因")
    today = timezone.localdate()
    pairing.status = Pairing.Status.ENDED
    pairing.ends_on = today
    pairing.save()
    pairing.assignments.filter(Q(ends_on__isnull=True) | Q(ends_on__gt=today)).update(ends_on=today)
    audit("update", pairing, by=by, changes={"status": Pairing.Status.ENDED}, note=reason)
    return pairing


# --- the clock -------------------------------------------------------------------------------------


def grid_workers_for(pairing: Pairing) -> list[User]:
    code = pairing.area.code
    codes = {code, code[:15]}
    posts = Post.objects.filter(
        active=True, area__code__in=codes, kind__in=(Post.Kind.GRID_WORKER, Post.Kind.GRID_HEAD)
    ).select_related("user")
    return [p.user for p in posts if p.user.is_active]


def _notify(pairing: Pairing, due: date) -> None:
    users = grid_workers_for(pairing)
    if not users:
        return
    try:
        notify(
            users=users,
            event="pairing.missed_visit",
            title="结对走访逾期",
            body=f"结对#{pairing.pk}应于{due:%m月%d日}前走访，至今未登记。",
            link=f"/pairing/{pairing.pk}/",
        )
    except Exception:  # a notification failure must not stop the clock
        log.exception("notify failed for pairing %s", pairing.pk)


def next_due(p: Pairing) -> date | None:
    """The day the next visit is due, or None for a row whose schedule is out of range (written behind the
    services' back): such a row is shown without a due date and skipped by the clock, never a server error."""
    try:
        last = timezone.localdate(p.last_visit_at) if p.last_visit_at else p.starts_on
        every = int(p.visit_every_days)
        if not 1 <= every <= VISIT_EVERY_DAYS_MAX:
            return None
        return last + timedelta(days=every)
    except (OverflowError, TypeError, ValueError):
        return None


def flag_missed(now: datetime) -> dict[str, int]:
    """Flag each active pairing whose visit is overdue (beyond a grace period) once per due date. A row that
    cannot be read or flagged is logged and counted as skipped; it never stops the others."""
    today = timezone.localdate(now)
    grace = timedelta(days=missed_grace_days())
    flagged = skipped = 0
    for p in Pairing.objects.filter(status=Pairing.Status.ACTIVE).select_related("area").order_by("pk"):
        try:
            due = next_due(p)
            if due is None:
                raise ValueError(f"schedule out of range: starts_on={p.starts_on} every={p.visit_every_days}")
            if due >= date.max - grace or today <= due + grace:
                continue
            with transaction.atomic():
                _, created = MissedVisit.objects.get_or_create(
                    pairing=p, due_on=due, defaults={"flagged_at": now}
                )
            if created:
                _notify(p, due)
                flagged += 1
        except Exception as exc:  # one bad row must not stop the missed-visit flags of every other pairing
            skipped += 1
            log.warning("missed-visit check skipped pairing %s: %s", p.pk, exc)
    return {"missed_visits_flagged": flagged, "skipped": skipped}
