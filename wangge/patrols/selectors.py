"""Every read of patrols, scoped to the viewer (``visible_to``; out of scope is 404).

Coverage is the share of a grid's buildings (those with coordinates) passed within
``WANGGE_PATROL_COVERAGE_DISTANCE_M`` by a good point: per patrol, per day (the union of the day's patrols) and
per period (the union over the period). The figures (``patrol_metrics``) are counted from the passes on each
call; the passes are derived from the points (``services.patrol_passes_rebuild`` recomputes them).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from wangge.accounts.models import Post, User
from wangge.accounts.roles import user_can
from wangge.areas.models import Area
from wangge.areas.selectors import CHILD_LENGTH, figures_area
from wangge.core.errors import Forbidden, InvalidInput, NotFound
from wangge.core.scoping import get_visible_or_404, scope_for
from wangge.registry.models import Building
from wangge.visits.models import area_range

from . import coverage, services
from .models import Patrol, PatrolDiscovery, PatrolPass, PatrolPoint

State = Patrol.State
CHECK_LABELS = {"ok": "正常", "issue": "有问题", "na": "不适用"}


def _require_read(viewer: Any) -> None:
    if not user_can(viewer, "registry.read"):
        raise Forbidden("无权查看巡查")


def _day_range(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, start + dt.timedelta(days=1)


def patrol_list(
    *,
    viewer: Any,
    worker: int | None = None,
    area: str | None = None,
    state: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[Patrol]:
    _require_read(viewer)
    qs = Patrol.objects.visible_to(viewer).select_related("worker", "area")
    if worker:
        qs = qs.filter(worker_id=worker)
    if area:
        qs = qs.filter(area_range(area))
    if state:
        qs = qs.filter(state=state)
    if date_from:
        qs = qs.filter(started_at__gte=_day_range(date_from)[0])
    if date_to:
        qs = qs.filter(started_at__lt=_day_range(date_to)[1])
    return qs.annotate(
        point_count=Count("points", distinct=True),
        discovery_count=Count("discoveries", distinct=True),
        buildings_passed=Count("passes", distinct=True),
    ).order_by("-started_at", "-id")


def patrol_get(*, viewer: Any, ref: str | int) -> Patrol:
    """A patrol by its id, or by ``client:<client_id>`` among the viewer's own patrols (a phone that started
    it offline knows only its client id). 404 when missing or out of scope."""
    _require_read(viewer)
    qs = Patrol.objects.select_related("worker", "area")
    text = str(ref)
    if text.startswith("client:"):
        return get_visible_or_404(qs, viewer, worker_id=viewer.pk, client_id=text[7:])  # type: ignore[no-any-return]
    if not text.isdigit() or len(text) > 18:
        raise NotFound("未找到")
    return get_visible_or_404(qs, viewer, pk=int(text))  # type: ignore[no-any-return]


def buildings_total(codes: list[str]) -> dict[str, int]:
    """Grid code → its buildings with coordinates (the denominator of coverage)."""
    if not codes:
        return {}
    q = Q()
    for code in codes:
        q |= Q(area__code__startswith=code)
    rows = (
        Building.objects.filter(q, lat__isnull=False, lng__isnull=False)
        .values("area__code")
        .annotate(n=Count("id"))
        .values_list("area__code", "n")
    )
    out: dict[str, int] = defaultdict(int)
    for code, n in rows:
        out[code[:15]] += n
    return dict(out)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def patrol_summary(patrol: Patrol) -> dict[str, Any]:
    """Counts, distance (over good points) and coverage of one patrol."""
    rows = list(
        PatrolPoint.objects.filter(patrol=patrol).order_by("recorded_at").values_list("lat", "lng", "good")
    )
    good = [(lat, lng) for lat, lng, ok in rows if ok]
    passed = PatrolPass.objects.filter(patrol=patrol).count()
    total = buildings_total([patrol.area_code]).get(patrol.area_code, 0)
    end = patrol.ended_at or timezone.now()
    return {
        "point_count": len(rows),
        "good_point_count": len(good),
        "distance_m": round(coverage.track_length_m(good)),
        "duration_minutes": max(0, round((end - patrol.started_at).total_seconds() / 60)),
        "buildings_passed": passed,
        "buildings_total": total,
        "coverage": _rate(passed, total),
    }


def patrol_detail(*, viewer: Any, ref: str | int) -> dict[str, Any]:
    patrol = patrol_get(viewer=viewer, ref=ref)
    items = services.checklist_for(patrol.area_id)
    discoveries = list(
        PatrolDiscovery.objects.filter(patrol=patrol).select_related("appeal__category").order_by("found_at")
    )
    return {
        "patrol": patrol,
        **patrol_summary(patrol),
        "checklist_items": items,
        "discoveries": discoveries,
    }


def point_list(*, viewer: Any, patrol: Patrol) -> QuerySet[PatrolPoint]:
    return PatrolPoint.objects.filter(patrol=patrol).order_by("recorded_at", "id")


def running_for(user: Any) -> Patrol | None:
    return Patrol.objects.filter(worker=user, state=State.RUNNING).select_related("area").first()


def today_card(*, viewer: Any) -> dict[str, Any]:
    """The patrol card of the 网格员今日 page: the running patrol, or today's count."""
    start, end = _day_range(timezone.localdate())
    running = running_for(viewer)
    done = Patrol.objects.filter(worker=viewer, started_at__gte=start, started_at__lt=end).count()
    return {"running": running, "done_today": done}


# --- the day's log (巡查日志) -----------------------------------------------------------------------------


def patrol_log(*, viewer: Any, worker: int | None = None, day: dt.date | None = None) -> dict[str, Any]:
    """One worker's patrols of one day (default: the viewer, today): each with its duration, distance,
    checklist results, discoveries with their case numbers and coverage, and the day's totals."""
    _require_read(viewer)
    day = day or timezone.localdate()
    worker_id = worker or viewer.pk
    person = User.objects.filter(pk=worker_id).values("pk", "username", "display_name").first()
    if person is None:
        raise NotFound("未找到")
    if worker_id != viewer.pk:
        # Another worker's log: only for someone whose scope holds one of that worker's posts (else 404,
        # as for a worker who does not exist).
        scope = scope_for(viewer)
        codes = Post.objects.filter(user_id=worker_id, active=True).values_list("area__code", flat=True)
        if not scope.everything and not any(scope.contains(c) for c in codes):
            raise NotFound("未找到")
    start, end = _day_range(day)
    patrols = list(
        Patrol.objects.visible_to(viewer)
        .filter(worker_id=worker_id, started_at__gte=start, started_at__lt=end)
        .select_related("area")
        .order_by("started_at", "id")
    )
    ids = [p.pk for p in patrols]
    tracks: dict[int, list[tuple[float, float]]] = defaultdict(list)
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for pid, lat, lng, good in (
        PatrolPoint.objects.filter(patrol_id__in=ids)
        .order_by("patrol_id", "recorded_at")
        .values_list("patrol_id", "lat", "lng", "good")
    ):
        counts[pid][0] += 1
        if good:
            counts[pid][1] += 1
            tracks[pid].append((lat, lng))
    passes: dict[int, set[int]] = defaultdict(set)
    for pid, bid in PatrolPass.objects.filter(patrol_id__in=ids).values_list("patrol_id", "building_id"):
        passes[pid].add(bid)
    grids = sorted({p.area_code for p in patrols})
    totals = buildings_total(grids)
    found: dict[int, list[PatrolDiscovery]] = defaultdict(list)
    for d in (
        PatrolDiscovery.objects.filter(patrol_id__in=ids)
        .select_related("appeal__category")
        .order_by("found_at", "id")
    ):
        found[d.patrol_id].append(d)
    items_by_area = {a: services.checklist_for(a) for a in {p.area_id for p in patrols}}
    rows = []
    day_passed: dict[str, set[int]] = defaultdict(set)
    for p in patrols:
        labels = {i.code: i.label for i in items_by_area[p.area_id]}
        end_at = p.ended_at or timezone.now()
        total = totals.get(p.area_code, 0)
        day_passed[p.area_code] |= passes[p.pk]
        rows.append(
            {
                "patrol": p,
                "grid": p.area.name,
                "duration_minutes": max(0, round((end_at - p.started_at).total_seconds() / 60)),
                "distance_m": round(coverage.track_length_m(tracks[p.pk])),
                "point_count": counts[p.pk][0],
                "good_point_count": counts[p.pk][1],
                "checklist": [
                    {
                        "code": code,
                        "label": label,
                        "value": p.checklist.get(code, ""),
                        "value_label": CHECK_LABELS.get(p.checklist.get(code, ""), "未填"),
                    }
                    for code, label in labels.items()
                ],
                "discoveries": found[p.pk],
                "buildings_passed": len(passes[p.pk]),
                "buildings_total": total,
                "coverage": _rate(len(passes[p.pk]), total),
            }
        )
    day_grids = [
        {
            "code": code,
            "buildings_passed": len(day_passed[code]),
            "buildings_total": totals.get(code, 0),
            "coverage": _rate(len(day_passed[code]), totals.get(code, 0)),
        }
        for code in grids
    ]
    return {
        "day": day,
        "worker": {"id": person["pk"], "name": person["display_name"] or person["username"]},
        "patrols": rows,
        "grids": day_grids,
        "total_minutes": sum(r["duration_minutes"] for r in rows),
        "total_distance_m": sum(r["distance_m"] for r in rows),
        "discovery_count": sum(len(r["discoveries"]) for r in rows),
    }


# --- figures --------------------------------------------------------------------------------------------


def _figures(vals: list[int], days: int) -> dict[str, Any]:
    """``vals``: buildings, buildings passed in the period, patrols, discoveries, Σ buildings passed per day."""
    buildings, covered, patrols, discoveries, day_sum = vals
    return {
        "buildings": buildings,
        "buildings_passed": covered,
        "coverage": _rate(covered, buildings),
        "daily_coverage": _rate(day_sum, buildings * days) if days else None,
        "patrols": patrols,
        "discoveries": discoveries,
    }


def patrol_metrics(
    *, viewer: Any, area: str | None = None, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> dict[str, Any]:
    """Patrol coverage of ``area`` (default: the viewer's own) and of each child area, for patrols started in
    [date_from, date_to] (default: the last 30 days). ``coverage``: buildings passed at least once in the
    period / buildings; ``daily_coverage``: the mean over the period's days of buildings passed that day /
    buildings (how much of the grid a morning's patrol covers)."""
    _require_read(viewer)
    node = figures_area(viewer, area)
    code = node["code"]
    date_to = date_to or timezone.localdate()
    date_from = date_from or date_to - dt.timedelta(days=29)
    if date_from > date_to:
        raise InvalidInput.field("from", "开始日期不能晚于结束日期")
    if (date_to - date_from).days > 366:
        raise InvalidInput.field("to", "统计区间最长一年")
    days = (date_to - date_from).days + 1
    passes = PatrolPass.objects.filter(area_range(code), day__gte=date_from, day__lte=date_to)
    # Buildings passed in the period per grid (distinct), and per grid and day (summed over days).
    covered = dict(
        passes.values("area_code").annotate(n=Count("building", distinct=True)).values_list("area_code", "n")
    )
    day_sum: dict[str, int] = defaultdict(int)
    for grid, n in (
        passes.values("area_code", "day")
        .annotate(n=Count("building", distinct=True))
        .values_list("area_code", "n")
    ):
        day_sum[grid] += n
    start, end = _day_range(date_from)[0], _day_range(date_to)[1]
    patrols = Patrol.objects.filter(area_range(code), started_at__gte=start, started_at__lt=end)
    patrol_n = dict(patrols.values("area_code").annotate(n=Count("id")).values_list("area_code", "n"))
    found_n = dict(
        PatrolDiscovery.objects.filter(patrol__in=patrols)
        .values("patrol__area_code")
        .annotate(n=Count("id"))
        .values_list("patrol__area_code", "n")
    )
    q = Building.objects.filter(area__code__startswith=code, lat__isnull=False, lng__isnull=False)
    buildings: dict[str, int] = defaultdict(int)
    for grid, n in q.values("area__code").annotate(n=Count("id")).values_list("area__code", "n"):
        buildings[grid[:15]] += n
    grids = set(buildings) | set(covered) | set(patrol_n)
    child_len = CHILD_LENGTH.get(len(code))
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    total = [0, 0, 0, 0, 0]
    for grid in grids:
        vals = (
            buildings[grid],
            covered.get(grid, 0),
            patrol_n.get(grid, 0),
            found_n.get(grid, 0),
            day_sum[grid],
        )
        for i, v in enumerate(vals):
            total[i] += v
            if child_len and len(grid) >= child_len:
                sums[grid[:child_len]][i] += v
    names = dict(Area.objects.filter(code__in=list(sums)).values_list("code", "name"))
    by_area = [{"code": c, "name": names.get(c, c), **_figures(sums[c], days)} for c in sorted(sums)]
    return {
        "area": node,
        "from": date_from,
        "to": date_to,
        "total": _figures(total, days),
        "by_area": by_area,
    }
