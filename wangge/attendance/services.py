"""Writes of attendance: dispatching a cadre, checking in, and closing weeks (the periodic job's step).

Checking in is the hot path: one service, one transaction; the day counts once by a partial unique constraint
(``attendance_day_counts_once``), never by count-then-insert: the insert tries ``counted=True`` in a savepoint
and, when another check-in of the same day won, is kept with ``counted=False``.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from typing import Any

import shapely
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.models import Post, User
from wangge.areas import geo as area_geo
from wangge.areas.models import Area, Level
from wangge.core.errors import Forbidden, InvalidInput, NotFound
from wangge.core.roles import user_can
from wangge.core.scoping import get_visible_or_404
from wangge.core.transactions import use_case
from wangge.places.codes import place_for_code
from wangge.places.models import Place

from .models import AttendanceWeek, CadreAssignment, CheckIn, distance_limit_m, week_start

log = logging.getLogger(__name__)

DATE_MIN, DATE_MAX = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


# --- distance --------------------------------------------------------------------------------------------


def _boundary_distance_m(area: Area, lat: float, lng: float) -> float | None:
    """Metres from the point to the community's boundary polygon (0 inside), on a local projection."""
    if not area.boundary:
        return None
    try:
        geom = area_geo.parse_boundary(area.boundary)
    except area_geo.BoundaryError:
        return None
    kx = 111_320.0 * math.cos(math.radians(lat))
    ky = 110_540.0
    projected = shapely.transform(geom, lambda c: (c - [lng, lat]) * [kx, ky])
    return float(shapely.distance(projected, shapely.Point(0, 0)))


def community_distance_m(area: Area, lat: float, lng: float) -> float | None:
    """The nearest of: the assigned area's boundary (0 inside), its centre, and the active places of its
    community (a cadre 包联 a grid may sign in at the community's stations). None when nothing has a location."""
    found: list[float] = []
    b = _boundary_distance_m(area, lat, lng)
    if b is not None:
        found.append(b)
    if area.center_lat is not None and area.center_lng is not None:
        found.append(area_geo.distance_m(lat, lng, area.center_lat, area.center_lng))
    for plat, plng in Place.objects.filter(active=True, area__code__startswith=area.code[:12]).values_list(
        "lat", "lng"
    ):
        found.append(area_geo.distance_m(lat, lng, plat, plng))
    return min(found) if found else None


def _far(distance: float) -> str:
    if distance >= 1000:
        return _("约 %(km).1f 公里") % {"km": distance / 1000}
    return _("约 %(m)d 米") % {"m": round(distance)}


# --- assignments -----------------------------------------------------------------------------------------


def _can_manage(by: Any, area: Area) -> bool:
    return user_can(by, "attendance.manage") and Area.objects.visible_to(by).filter(pk=area.pk).exists()


@use_case
def assignment_create(
    *,
    by: Any,
    user: User,
    area: Area,
    role: str,
    starts_on: dt.date,
    ends_on: dt.date,
    days_per_week: int | None = None,
    unit_name: str = "",
) -> CadreAssignment:
    """Dispatch ``user`` to the community ``area`` (or one of its grids, 包联网格) from ``starts_on`` to
    ``ends_on`` (staff of the area)."""
    if not user_can(by, "attendance.manage"):
        raise Forbidden(_("无权管理干部派驻"))
    get_visible_or_404(Area, by, pk=area.pk)
    if area.level not in (Level.COMMUNITY, Level.GRID):
        raise InvalidInput.field("area", _("请选择社区或网格"), label=_("派驻社区"))
    if role not in CadreAssignment.Role.values:
        raise InvalidInput.field("role", _("请选择派驻身份"), label=_("派驻身份"))
    for name, value in (("starts_on", starts_on), ("ends_on", ends_on)):
        if not DATE_MIN <= value <= DATE_MAX:
            raise InvalidInput.field(name, _("日期超出范围"))
    if ends_on < starts_on:
        raise InvalidInput.field("ends_on", _("结束日期不能早于开始日期"))
    days = (
        CadreAssignment._meta.get_field("days_per_week").get_default()
        if days_per_week is None
        else days_per_week
    )
    if not 1 <= int(days) <= 7:
        raise InvalidInput.field("days_per_week", _("每周到岗天数须在1到7之间"))
    if not user.is_active:
        raise InvalidInput.field("user", _("该账号已停用"), label=_("干部"))
    if CadreAssignment.objects.filter(user=user, area=area, starts_on=starts_on).exists():
        raise InvalidInput.field("starts_on", _("该干部在此社区已有同日开始的派驻"))
    return CadreAssignment.objects.create(
        user=user,
        area=area,
        role=role,
        starts_on=starts_on,
        ends_on=ends_on,
        days_per_week=int(days),
        unit_name=(unit_name or "").strip()[:100],
        created_by=by if getattr(by, "pk", None) else None,
    )


def _my_assignment(by: Any, assignment_id: int | None, today: dt.date) -> CadreAssignment:
    mine = CadreAssignment.objects.filter(user_id=by.pk).select_related("area")
    if assignment_id is not None:
        found = mine.filter(pk=assignment_id).first()
        if found is None:
            raise NotFound(_("未找到该派驻"))
        return found
    candidates = list(mine.filter(ends_on__gte=today).order_by("starts_on", "id")[:5])
    current = [a for a in candidates if a.covers(today)]
    if len(current) == 1 or (not current and candidates):
        return (current or candidates)[0]
    if not candidates:
        raise InvalidInput.field("assignment", _("您没有进行中的派驻"), label=_("派驻"))
    raise InvalidInput.field("assignment", _("请选择签到的社区"), label=_("派驻"))


@use_case
def check_in(
    *,
    by: Any,
    assignment_id: int | None = None,
    lat: float | None = None,
    lng: float | None = None,
    accuracy_m: float | None = None,
    coord_system: str = "wgs84",
    code: str = "",
    at: dt.datetime | None = None,
) -> CheckIn:
    """The cadre ``by`` signs in at their community: by a station's ``code`` (a place of that community), or
    by the phone's location within the distance setting. Outside the period or the distance → 422 naming the
    field, nothing written. The first check-in of a local day counts; later ones are kept, not counted."""
    at = at or timezone.now()
    today = timezone.localdate(at)
    a = _my_assignment(by, assignment_id, today)
    if today < a.starts_on:
        raise InvalidInput.field(
            "assignment",
            _("派驻自 %(d)s 开始，届时再签到") % {"d": f"{a.starts_on:%Y年%m月%d日}"},
            label=_("派驻"),
        )
    if today > a.ends_on:
        raise InvalidInput.field(
            "assignment", _("派驻已于 %(d)s 结束") % {"d": f"{a.ends_on:%Y年%m月%d日}"}, label=_("派驻")
        )
    row = CheckIn(assignment=a, at=at, day=today)
    code = (code or "").strip()
    if code:
        place = place_for_code(code)
        if place is None or not place.area.code.startswith(a.area.code[:12]):
            raise InvalidInput.field("code", _("签到码不正确，或不是本社区站点的签到码"))
        row.method, row.place = CheckIn.Method.CODE, place
    else:
        if lat is None or lng is None:
            raise InvalidInput.field("location", _("请先获取定位或输入站点签到码"), label=_("位置"))
        if not (-90 <= lat <= 90 and -180 <= lng <= 180) or any(map(math.isnan, (lat, lng))):
            raise InvalidInput.field("location", _("定位坐标无效"), label=_("位置"))
        if accuracy_m is not None and not 0 <= accuracy_m <= 100_000:
            raise InvalidInput.field("accuracy_m", _("定位精度须在0到100000米之间"))
        try:
            lat, lng = area_geo.to_wgs84(lat, lng, coord_system)
        except ValueError as exc:
            raise InvalidInput.field("coord_system", _("坐标系须为 wgs84、cgcs2000 或 gcj02")) from exc
        distance = community_distance_m(a.area, lat, lng)
        if distance is None:
            raise InvalidInput.field("location", _("社区尚未标注位置，请使用站点签到码"), label=_("位置"))
        limit = distance_limit_m()
        if distance > limit:
            raise InvalidInput.field(
                "location",
                _("距社区%(far)s，超出签到范围 %(limit)d 米")
                % {"far": _far(distance), "limit": round(limit)},
                label=_("位置"),
            )
        row.method, row.lat, row.lng, row.accuracy_m, row.distance_m = (
            CheckIn.Method.LOCATION, lat, lng, accuracy_m, round(distance, 1),
        )  # fmt: skip
    try:
        with transaction.atomic():
            row.counted = True
            row.save(force_insert=True)
    except IntegrityError:  # this day already counts: keep the check-in, not counted again
        row.pk, row.counted = None, False
        row.save(force_insert=True)
    return row


# --- weeks (the periodic job) ----------------------------------------------------------------------------


def _recipients(area: Area) -> list[User]:
    """The community's secretary (or its staff when there is none) and the street's staff: who hears of a
    week below the rule."""
    community, street = area.code[:12], area.code[:9]
    posts = Post.objects.filter(active=True, user__is_active=True).select_related("user")
    people = [p.user for p in posts.filter(area__code=community, kind=Post.Kind.COMMUNITY_SECRETARY)]
    if not people:
        people = [p.user for p in posts.filter(area__code=community, kind=Post.Kind.COMMUNITY_STAFF)]
    people += [p.user for p in posts.filter(area__code=street, kind=Post.Kind.STREET_STAFF)]
    return people


def weeks_close(now: dt.datetime | None = None, *, notify_flags: bool = True) -> dict[str, int]:
    """Record every ISO week that has ended and lies wholly inside an assignment, once; flag (notify) the
    weeks below the rule. Idempotent: a week already recorded is left alone. Bulk: a handful of queries for
    all assignments, whatever their number."""
    from wangge.notifications.services import notify

    now = now or timezone.now()
    this_monday = week_start(timezone.localdate(now))
    lookback = this_monday - dt.timedelta(weeks=int(getattr(settings, "WANGGE_ATTENDANCE_LOOKBACK_WEEKS", 8)))
    assignments = list(
        CadreAssignment.objects.filter(ends_on__gte=lookback, starts_on__lt=this_monday).select_related(
            "area", "user"
        )
    )
    if not assignments:
        return {"weeks_recorded": 0, "weeks_flagged": 0}
    done = set(
        AttendanceWeek.objects.filter(assignment__in=assignments, week_start__gte=lookback).values_list(
            "assignment_id", "week_start"
        )
    )
    wanted: list[tuple[CadreAssignment, dt.date]] = []
    for a in assignments:
        monday = max(week_start(a.starts_on), lookback)
        while monday < this_monday:
            if (
                a.starts_on <= monday
                and monday + dt.timedelta(days=6) <= a.ends_on
                and (a.pk, monday) not in done
            ):
                wanted.append((a, monday))
            monday += dt.timedelta(weeks=1)
    if not wanted:
        return {"weeks_recorded": 0, "weeks_flagged": 0}
    days = day_counts([a.pk for a, _m in wanted], lookback, this_monday - dt.timedelta(days=1))
    rows = []
    for a, monday in wanted:
        n = days.get((a.pk, monday), 0)
        met = n >= a.days_per_week
        rows.append(
            AttendanceWeek(
                assignment=a, week_start=monday, days=n, required=a.days_per_week, met=met,
                flagged_at=None if met else now,
            )
        )  # fmt: skip
    with transaction.atomic():
        made = AttendanceWeek.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    flagged = [w for w in made if not w.met]
    if notify_flags:
        for w in flagged:
            a = w.assignment
            try:
                y, n = w.iso
                notify(
                    users=_recipients(a.area),
                    event="attendance.week_below_rule",
                    title=_("下沉干部到岗未达标"),
                    body=_("%(name)s（%(role)s）%(y)d年第%(n)d周在%(area)s到岗 %(d)d 天，要求 %(r)d 天。")
                    % {
                        "name": a.user,
                        "role": a.get_role_display(),
                        "y": y,
                        "n": n,
                        "area": a.area.name,
                        "d": w.days,
                        "r": w.required,
                    },  # fmt: skip
                    link=f"/attendance/{a.pk}/?month={w.week_start:%Y-%m}",
                    obj=a,
                )
            except Exception:  # a notification failure must not stop the clock
                log.exception("attendance flag notify failed for assignment %s", a.pk)
    return {"weeks_recorded": len(rows), "weeks_flagged": len(flagged)}


def day_counts(assignment_ids: list[int], first: dt.date, last: dt.date) -> dict[tuple[int, dt.date], int]:
    """Counted days per (assignment, ISO Monday) between ``first`` and ``last``: one query."""
    out: dict[tuple[int, dt.date], int] = {}
    for aid, day in CheckIn.objects.filter(
        assignment_id__in=assignment_ids, counted=True, day__gte=first, day__lte=last
    ).values_list("assignment_id", "day"):
        key = (aid, week_start(day))
        out[key] = out.get(key, 0) + 1
    return out
