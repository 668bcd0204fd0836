"""Every write of patrols: start, record track points, report a discovery (a case), stop, and the clock that
closes patrols left running.

Each write from a phone is idempotent so an offline queue can replay it: a patrol by ``(worker, client_id)``,
a point by ``(patrol, recorded_at)``, a discovery by ``(patrol, client_id)`` — the database's unique constraints
decide, also between concurrent re-sends. At most one patrol per worker is running (a partial unique
constraint): a second start answers 409 with the running patrol's id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from wangge.accounts.roles import user_can
from wangge.areas import geo
from wangge.areas.models import Area, Level
from wangge.core.audit import audit
from wangge.core.errors import Conflict, Forbidden, InvalidInput
from wangge.core.scoping import scope_for
from wangge.core.transactions import use_case
from wangge.registry.models import Building

from . import coverage
from .models import Patrol, PatrolChecklistItem, PatrolDiscovery, PatrolPass, PatrolPoint

State = Patrol.State
CHECK_VALUES = ("ok", "issue", "na")  # 正常 / 有问题 / 不适用
DISCOVERY_CHANNEL = "patrol"  # Appeal.Channel.PATROL, 网格员巡查: a staff channel whose cases open at once


# --- settings -----------------------------------------------------------------------------------------


def sample_seconds() -> int:
    """How often the phone page samples a GPS fix."""
    return int(getattr(settings, "WANGGE_PATROL_SAMPLE_SECONDS", 15))


def max_accuracy_m() -> float:
    """Points reported less accurate than this are kept but do not count for coverage or distance."""
    return float(getattr(settings, "WANGGE_PATROL_MAX_ACCURACY_M", 50))


def coverage_distance_m() -> float:
    """A building is passed when a good point came within this distance of it."""
    return float(getattr(settings, "WANGGE_PATROL_COVERAGE_DISTANCE_M", 50))


def max_points_per_request() -> int:
    return int(getattr(settings, "WANGGE_PATROL_MAX_POINTS_PER_REQUEST", 500))


def max_hours() -> float:
    """A patrol still running this long after its start is closed by the clock."""
    return float(getattr(settings, "WANGGE_PATROL_MAX_HOURS", 4))


def max_backdate_days() -> int:
    """How old a patrol an offline phone may still send."""
    return int(getattr(settings, "WANGGE_PATROL_MAX_BACKDATE_DAYS", 7))


# --- helpers --------------------------------------------------------------------------------------------


def _client_id(value: Any, field: str = "client_id") -> str:
    value = str(value or "").strip()
    if not value or len(value) > 64:
        raise InvalidInput.field(field, "客户端编号须为1到64个字符")
    return value


def _aware(value: dt.datetime | None, field: str, now: dt.datetime) -> dt.datetime:
    value = value or now
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > now + dt.timedelta(minutes=5):
        raise InvalidInput.field(field, "时间不能晚于现在")
    if value < now - dt.timedelta(days=max_backdate_days()):
        raise InvalidInput.field(field, f"只能补录{max_backdate_days()}天内的巡查")
    return value


def _own(by: Any, patrol: Patrol) -> None:
    if patrol.worker_id != getattr(by, "pk", None):
        raise Forbidden("只能记录自己的巡查")


def checklist_for(area_id: int) -> list[PatrolChecklistItem]:
    """The grid's checklist: its own active items when it has any, else the default list."""
    own = list(PatrolChecklistItem.objects.filter(area_id=area_id, active=True))
    if own:
        return own
    return list(PatrolChecklistItem.objects.filter(area__isnull=True, active=True))


def worker_grids(user: Any) -> list[Area]:
    """The grids a user may patrol: the grids inside their posts' areas (none for an administrator, who
    names the grid)."""
    scope = scope_for(user)
    if scope.everything or not scope.codes:
        return []
    return list(Area.objects.filter(scope.q("code"), level=Level.GRID).order_by("code")[:500])


def _check_grid(by: Any, area: Area | None) -> Area:
    if not user_can(by, "registry.write"):
        raise Forbidden("无权登记巡查")
    if area is None:
        grids = worker_grids(by)
        if len(grids) != 1:
            raise InvalidInput.field("area", "请选择巡查的网格")
        area = grids[0]
    if area.level != Level.GRID:
        raise InvalidInput.field("area", "只能巡查网格")
    if not scope_for(by).contains(area.code):
        raise InvalidInput.field("area", "区域不存在或不在您的管辖范围内")
    return area


# --- start --------------------------------------------------------------------------------------------


@use_case
def patrol_start(
    *, by: Any, client_id: str, area: Area | None = None, started_at: dt.datetime | None = None
) -> tuple[Patrol, bool]:
    """Start a patrol of ``area`` (default: the worker's only grid). Returns ``(patrol, created)``: the same
    ``client_id`` lands once; a different one while another patrol is running is a Conflict naming it."""
    area = _check_grid(by, area)
    client_id = _client_id(client_id)
    now = timezone.now()
    started_at = _aware(started_at, "started_at", now)
    try:
        with transaction.atomic():
            patrol = Patrol.objects.create(
                area=area, area_code=area.code, worker=by, client_id=client_id, started_at=started_at
            )
    except IntegrityError:
        existing = Patrol.objects.filter(worker=by, client_id=client_id).first()
        if existing is not None:
            return existing, False
        running = Patrol.objects.filter(worker=by, state=State.RUNNING).first()
        raise Conflict(
            "您有一次巡查正在进行，请先结束它", patrol_id=running.pk if running else None
        ) from None
    audit("create", patrol, by=by, changes={"area": area.code, "client_id": client_id})
    return patrol, True


# --- the track ----------------------------------------------------------------------------------------


def _grid_index(area_code: str) -> coverage.BuildingIndex:
    rows = Building.objects.filter(
        area__code__startswith=area_code, lat__isnull=False, lng__isnull=False
    ).values_list("pk", "lat", "lng")
    return coverage.BuildingIndex(rows, coverage_distance_m())


def _record_passes(patrol: Patrol, points: list[tuple[dt.datetime, float, float]]) -> int:
    """Passes of the grid's buildings by these good points; returns how many buildings were new."""
    if not points:
        return 0
    first = coverage.passed(_grid_index(patrol.area_code), points)
    if not first:
        return 0
    day = timezone.localdate(patrol.started_at)
    known = set(
        PatrolPass.objects.filter(patrol=patrol, building_id__in=list(first)).values_list(
            "building_id", flat=True
        )
    )
    new = [
        PatrolPass(patrol=patrol, building_id=pk, area_code=patrol.area_code, day=day, passed_at=at)
        for pk, at in sorted(first.items())
        if pk not in known
    ]
    PatrolPass.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def _number(value: Any, field: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput.field(field, "须为数字") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise InvalidInput.field(field, f"须在 {low:g} 到 {high:g} 之间")
    return number


@use_case
def patrol_points_add(*, by: Any, patrol: Patrol, points: list[dict[str, Any]]) -> dict[str, int]:
    """Record a batch of track points (at most ``WANGGE_PATROL_MAX_POINTS_PER_REQUEST``). A point already
    recorded (same ``recorded_at``) lands once; a point outside the patrol's time (before its start, after its
    end or in the future) is skipped and counted in ``outside``; a malformed point refuses the whole batch
    (422 naming ``points.<i>.<field>``). Good points (accuracy within ``WANGGE_PATROL_MAX_ACCURACY_M``) mark
    the buildings they passed."""
    _own(by, patrol)
    if not points:
        raise InvalidInput.field("points", "请至少提交一个定位点")
    limit = max_points_per_request()
    if len(points) > limit:
        raise InvalidInput.field("points", f"每次最多提交{limit}个定位点")
    now = timezone.now()
    start = patrol.started_at - dt.timedelta(minutes=1)
    end = (patrol.ended_at or now) + dt.timedelta(minutes=1)
    good_limit = max_accuracy_m()
    clean: dict[dt.datetime, PatrolPoint] = {}
    outside = 0
    for i, p in enumerate(points):
        at = p.get("recorded_at")
        if not isinstance(at, dt.datetime):
            raise InvalidInput.field(f"points.{i}.recorded_at", "须为时间")
        if timezone.is_naive(at):
            at = timezone.make_aware(at)
        lat = _number(p.get("lat"), f"points.{i}.lat", -90, 90)
        lng = _number(p.get("lng"), f"points.{i}.lng", -180, 180)
        accuracy = _number(p.get("accuracy_m"), f"points.{i}.accuracy_m", 0, 100_000)
        try:
            lat, lng = geo.to_wgs84(lat, lng, str(p.get("coord_system") or "wgs84"))
        except ValueError as exc:
            raise InvalidInput.field(f"points.{i}.coord_system", str(exc)) from exc
        if not start <= at <= end:
            outside += 1
            continue
        at = at.replace(microsecond=(at.microsecond // 1000) * 1000)  # the phone's clock has milliseconds
        clean[at] = PatrolPoint(
            patrol=patrol, recorded_at=at, lat=lat, lng=lng, accuracy_m=accuracy, good=accuracy <= good_limit
        )
    known = set(
        PatrolPoint.objects.filter(patrol=patrol, recorded_at__in=list(clean)).values_list(
            "recorded_at", flat=True
        )
    )
    new = [pt for at, pt in sorted(clean.items()) if at not in known]
    # A concurrent re-send of the same batch: the unique (patrol, recorded_at) keeps one of each.
    PatrolPoint.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
    passed = _record_passes(patrol, [(pt.recorded_at, pt.lat, pt.lng) for pt in new if pt.good])
    return {
        "accepted": len(new),
        "duplicates": len(clean) - len(new) + (len(points) - outside - len(clean)),
        "outside": outside,
        "good": sum(1 for pt in new if pt.good),
        "buildings_passed": passed,
    }


@use_case
def patrol_passes_rebuild(*, patrol: Patrol) -> int:
    """Recompute a patrol's passed buildings from its good points (after buildings moved or the coverage
    distance changed). Returns the number of buildings passed."""
    PatrolPass.objects.filter(patrol=patrol).delete()
    points = list(
        PatrolPoint.objects.filter(patrol=patrol, good=True).values_list("recorded_at", "lat", "lng")
    )
    return _record_passes(patrol, points)


# --- stop ---------------------------------------------------------------------------------------------


def _checklist(area_id: int, answers: dict[str, Any] | None) -> dict[str, str]:
    answers = {str(k): str(v) for k, v in (answers or {}).items()}
    allowed = {i.code for i in checklist_for(area_id)}
    for code, value in answers.items():
        if code not in allowed:
            raise InvalidInput.field("checklist", f"该网格没有检查项“{code[:40]}”")
        if value not in CHECK_VALUES:
            raise InvalidInput.field("checklist", f"检查项“{code}”的结果须为 ok、issue 或 na")
    return answers


@use_case
def patrol_stop(
    *,
    by: Any,
    patrol: Patrol,
    ended_at: dt.datetime | None = None,
    checklist: dict[str, Any] | None = None,
    notes: str = "",
) -> tuple[Patrol, bool]:
    """Stop a running patrol with its checklist answers (item code → ok | issue | na) and notes. Returns
    ``(patrol, stopped)``; stopping one already stopped changes nothing (a replayed stop is safe)."""
    _own(by, patrol)
    answers = _checklist(patrol.area_id, checklist)
    notes = str(notes or "").strip()
    if len(notes) > 2000:
        raise InvalidInput.field("notes", "巡查记录最多2000字")
    now = timezone.now()
    ended_at = _aware(ended_at, "ended_at", now)
    if ended_at < patrol.started_at:
        raise InvalidInput.field("ended_at", "结束时间不能早于开始时间")
    done = Patrol.objects.filter(pk=patrol.pk, state=State.RUNNING).update(
        state=State.DONE, ended_at=ended_at, checklist=answers, notes=notes, updated_at=now
    )
    patrol.refresh_from_db()
    if done:
        audit("update", patrol, by=by, changes={"state": State.DONE, "checklist": answers})
    return patrol, bool(done)


# --- discoveries ----------------------------------------------------------------------------------------


def _address(area: Area, lat: float | None, lng: float | None) -> str:
    """The nearest building of the grid within 100 m of the point, or the grid's name."""
    if lat is not None and lng is not None:
        best: tuple[float, str] | None = None
        for address, blat, blng in Building.objects.filter(
            area__code__startswith=area.code, lat__isnull=False, lng__isnull=False
        ).values_list("address", "lat", "lng"):
            d = geo.distance_m(lat, lng, blat, blng)
            if d <= 100 and (best is None or d < best[0]):
                best = (d, address)
        if best:
            return f"{best[1]}附近"[:200]
    return area.name[:200]


@use_case
def patrol_discover(
    *,
    by: Any,
    patrol: Patrol,
    client_id: str,
    category: str,
    description: str,
    lat: float | None = None,
    lng: float | None = None,
    coord_system: str = "wgs84",
    checklist_code: str = "",
    found_at: dt.datetime | None = None,
) -> tuple[PatrolDiscovery, bool]:
    """Report a problem found on the patrol: it becomes a case (channel 网格员巡查, through the appeals
    intake) linked to the patrol, in one transaction. Returns ``(discovery, created)``; the same ``client_id``
    on the same patrol lands once."""
    from wangge.appeals.services import appeal_submit

    _own(by, patrol)
    client_id = _client_id(client_id)
    existing = PatrolDiscovery.objects.filter(patrol=patrol, client_id=client_id).first()
    if existing is not None:
        return existing, False
    if not str(description or "").strip():
        raise InvalidInput.field("description", "请描述发现的问题")
    if not str(category or "").strip():
        raise InvalidInput.field("category", "请选择问题分类")
    checklist_code = str(checklist_code or "").strip()
    if checklist_code and checklist_code not in {i.code for i in checklist_for(patrol.area_id)}:
        raise InvalidInput.field("checklist_code", "该网格没有这个检查项")
    now = timezone.now()
    found_at = _aware(found_at, "found_at", now)
    wlat = wlng = None
    if lat is not None and lng is not None:
        wlat = _number(lat, "lat", -90, 90)
        wlng = _number(lng, "lng", -180, 180)
        try:
            wlat, wlng = geo.to_wgs84(wlat, wlng, coord_system)
        except ValueError as exc:
            raise InvalidInput.field("coord_system", str(exc)) from exc
    elif lat is not None or lng is not None:
        raise InvalidInput.field("lng" if lat is not None else "lat", "经纬度须同时填写")
    area = Area.objects.get(pk=patrol.area_id)
    # The case lies in the patrol's grid (staff may file it there); the point is kept on the discovery.
    appeal, _ = appeal_submit(
        by=by,
        category=category,
        description=description,
        channel=DISCOVERY_CHANNEL,
        address=_address(area, wlat, wlng),
        area_code=patrol.area_code,
        idempotency_key=f"patrol:{patrol.pk}:{hashlib.sha256(client_id.encode()).hexdigest()[:32]}",
    )
    try:
        with transaction.atomic():
            discovery = PatrolDiscovery.objects.create(
                patrol=patrol,
                appeal=appeal,
                client_id=client_id,
                checklist_code=checklist_code,
                lat=wlat,
                lng=wlng,
                found_at=found_at,
            )
    except IntegrityError:
        existing = PatrolDiscovery.objects.filter(patrol=patrol, client_id=client_id).first()
        if existing is None:
            raise
        return existing, False
    audit("create", discovery, by=by, changes={"patrol": patrol.pk, "appeal": appeal.pk})
    return discovery, True


# --- the clock ----------------------------------------------------------------------------------------


def close_stale(now: dt.datetime) -> dict[str, int]:
    """Close the patrols still running ``WANGGE_PATROL_MAX_HOURS`` after their start: they end at their last
    point (or their start when they have none), marked as closed by the clock."""
    limit = dt.timedelta(hours=max_hours())
    stale = list(
        Patrol.objects.filter(state=State.RUNNING, started_at__lt=now - limit)
        .annotate(last_point=Max("points__recorded_at"))
        .values_list("pk", "started_at", "last_point")
    )
    closed = 0
    for pk, started_at, last_point in stale:
        ended = min(max(last_point or started_at, started_at), started_at + limit)
        closed += Patrol.objects.filter(pk=pk, state=State.RUNNING).update(
            state=State.DONE, ended_at=ended, auto_closed=True, updated_at=now
        )
    return {"closed": closed}
