"""Every write of the pairing context: pair, log a visit, hand over, end; missed-visit flags.

Staff with ``mobilisation.manage`` act within their area scope; volunteers act on the pairings they are
assigned to (an assignment covers a date range, so during a hand-over's overlap both volunteers may log).
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
    ServiceError,
    from_django_validation,
)
from wangge.core.scoping import scope_for
from wangge.notifications.services import notify
from wangge.points.services import points_earn
from wangge.registry.models import Resident

from .models import Assignment, CareKind, Handover, MissedVisit, Pairing, Visit

log = logging.getLogger(__name__)


def overlap_days_default() -> int:
    return int(getattr(settings, "WANGGE_PAIRING_HANDOVER_OVERLAP_DAYS", 14))


def missed_grace_days() -> int:
    return int(getattr(settings, "WANGGE_PAIRING_MISSED_GRACE_DAYS", 2))


def is_staff_in_scope(user: Any, pairing: Pairing) -> bool:
    return user_can(user, "mobilisation.manage") and scope_for(user).contains(pairing.area.code)


def serving_q(on: date) -> Q:
    return Q(starts_on__lte=on) & (Q(ends_on__isnull=True) | Q(ends_on__gte=on))


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


@transaction.atomic
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
    resident = Resident.objects.select_related("household__house__building__area").get(pk=resident.pk)
    area = resident.household.house.building.area
    if not (user_can(by, "mobilisation.manage") and scope_for(by).contains(area.code)):
        raise Forbidden("只能为管辖范围内的居民建立结对")
    if care_kind not in CareKind.values:
        raise InvalidInput.field("care_kind", "帮扶类别无效")
    _check_volunteer(volunteer, "volunteer")
    if backup is not None:
        _check_volunteer(backup, "backup")
        if backup.pk == volunteer.pk:
            raise InvalidInput.field("backup", "备岗志愿者不能与主责志愿者相同")
    starts_on = starts_on or timezone.localdate()
    pairing = Pairing(
        resident=resident,
        area=area,
        care_kind=care_kind,
        volunteer=volunteer,
        backup=backup,
        visit_every_days=visit_every_days or int(getattr(settings, "WANGGE_PAIRING_VISIT_EVERY_DAYS", 7)),
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


@transaction.atomic
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
    """A serving volunteer logs their visit; staff in scope may record one for a serving volunteer."""
    pairing = _lock(pairing.pk)
    now = timezone.now()
    visited_at = visited_at or now
    if visited_at > now + timedelta(minutes=5):
        raise InvalidInput.field("visited_at", "走访时间不能晚于现在")
    if pairing.status == Pairing.Status.ENDED:
        raise Conflict("结对已结束", state=pairing.status)
    day = timezone.localdate(visited_at)
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
    _award_points(visit, by)
    audit("create", visit, by=by, changes={"pairing": pairing.pk, "volunteer": volunteer.pk})  # type: ignore[union-attr]
    return visit


def _award_points(visit: Visit, by: Any) -> None:
    """A logged visit earns the volunteer points (rule ``pairing_visit``, once per visit)."""
    try:
        with transaction.atomic():
            points_earn(
                user=visit.volunteer,
                rule_code="pairing_visit",
                source_key=f"visit:{visit.pk}",
                by=by,
                note=f"结对帮扶走访#{visit.pk}",
            )
    except ServiceError as exc:
        log.warning("points for visit %s not awarded: %s", visit.pk, exc.detail)


@transaction.atomic
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


@transaction.atomic
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


def flag_missed(now: datetime) -> int:
    """Flag each active pairing whose visit is overdue (beyond a grace period) once per due date."""
    today = timezone.localdate(now)
    grace = missed_grace_days()
    count = 0
    for p in Pairing.objects.filter(status=Pairing.Status.ACTIVE).select_related("area"):
        last = timezone.localdate(p.last_visit_at) if p.last_visit_at else p.starts_on
        due = last + timedelta(days=p.visit_every_days)
        if today <= due + timedelta(days=grace):
            continue
        _, created = MissedVisit.objects.get_or_create(pairing=p, due_on=due, defaults={"flagged_at": now})
        if created:
            _notify(p, due)
            count += 1
    return count
