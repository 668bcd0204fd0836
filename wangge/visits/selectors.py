"""Every read of household visits, scoped to the viewer (``visible_to``; out of scope is 404).

Figures (``visit_metrics``) are rebuilt from the schedule's periods on each call: a period *due* in the
range counts unless cancelled; it is *completed* when a visit closed it; a special household (a care tag) was
visited *within its frequency* when the completing visit came no later than the due date.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import F, QuerySet
from django.utils import timezone

from wangge.accounts.models import Post
from wangge.accounts.roles import user_can
from wangge.areas import geo
from wangge.areas.models import Area
from wangge.areas.selectors import CHILD_LENGTH, figures_area
from wangge.core.errors import Forbidden, InvalidInput
from wangge.core.scoping import get_visible_or_404

from . import rollup, services
from .models import ScheduledVisit, Visit, area_range

State = ScheduledVisit.State
OPEN_CASE_STATES = ("submitted", "opened", "dispatched", "acknowledged", "in_progress")


def _require_read(viewer: Any) -> None:
    if not user_can(viewer, "registry.read"):
        raise Forbidden("无权查看入户走访")


def visit_list(
    *,
    viewer: Any,
    household: int | None = None,
    visitor: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[Visit]:
    _require_read(viewer)
    qs = Visit.objects.visible_to(viewer).select_related("household__house__building", "visitor")
    if household:
        qs = qs.filter(household_id=household)
    if visitor:
        qs = qs.filter(visitor_id=visitor)
    if date_from:
        qs = qs.filter(visited_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(visited_at__date__lte=date_to)
    return qs.prefetch_related("findings").order_by("-visited_at", "-id")


def visit_get(*, viewer: Any, pk: int) -> Visit:
    _require_read(viewer)
    qs = Visit.objects.select_related("household__house__building", "visitor").prefetch_related("findings")
    return get_visible_or_404(qs, viewer, pk=pk)  # type: ignore[no-any-return]


def scheduled_get(*, viewer: Any, pk: int) -> ScheduledVisit:
    _require_read(viewer)
    return get_visible_or_404(ScheduledVisit, viewer, pk=pk)  # type: ignore[no-any-return]


def due_list(
    *,
    viewer: Any,
    lat: float | None = None,
    lng: float | None = None,
    ahead_days: int = 0,
    area: str | None = None,
    today: dt.date | None = None,
) -> list[ScheduledVisit]:
    """The viewer's ready visits due by ``today + ahead_days`` (overdue first by date, or nearest first when
    the phone gives a location). Each row gets ``distance_m`` (or None) and ``overdue``."""
    _require_read(viewer)
    today = today or timezone.localdate()
    qs = ScheduledVisit.objects.visible_to(viewer).filter(
        state=State.READY, due_on__lte=today + dt.timedelta(days=max(0, ahead_days))
    )
    if area:
        qs = qs.filter(area_range(area))
    rows = list(qs.select_related("household__house__building").order_by("due_on", "id")[:2000])
    for r in rows:
        b = r.household.house.building
        r.overdue = r.due_on < today  # type: ignore[attr-defined]
        r.distance_m = (  # type: ignore[attr-defined]
            round(geo.distance_m(lat, lng, b.lat, b.lng))
            if lat is not None and lng is not None and b.lat is not None and b.lng is not None
            else None
        )
    if lat is not None and lng is not None:
        rows.sort(key=lambda r: (r.distance_m is None, r.distance_m or 0, r.due_on))  # type: ignore[attr-defined]
    return rows


def missed_list(*, viewer: Any) -> QuerySet[ScheduledVisit]:
    """Missed periods not yet made good by a visit (the grid head's flags)."""
    _require_read(viewer)
    return (
        ScheduledVisit.objects.visible_to(viewer)
        .filter(state=State.MISSED, resolved_at__isnull=True)
        .select_related("household__house__building")
        .order_by("-due_on", "-id")
    )


def today_count(*, viewer: Any, today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    return Visit.objects.filter(
        visitor=viewer, visited_at__gte=start, visited_at__lt=start + dt.timedelta(days=1)
    ).count()


def today_page(*, viewer: Any, lat: float | None = None, lng: float | None = None) -> dict[str, Any]:
    """Everything on the grid worker's 网格员今日 page, each list with its count."""
    from wangge.appeals.selectors import appeal_list

    today = timezone.localdate()
    due = due_list(viewer=viewer, lat=lat, lng=lng)
    missed_qs = missed_list(viewer=viewer)
    missed = list(missed_qs[:10])
    missed_count = len(missed) if len(missed) < 10 else missed_qs.count()
    # The cases in the grid worker's grids and those assigned to them, still open, nearest deadline first.
    cases_qs = appeal_list(viewer=viewer, state=",".join(OPEN_CASE_STATES))
    cases = list(cases_qs.order_by(F("resolve_due_at").asc(nulls_last=True), "id")[:20])
    count = today_count(viewer=viewer, today=today)
    target = services.daily_target()
    return {
        "today": today,
        "due": due,
        "due_count": len(due),
        "overdue_count": len([r for r in due if r.overdue]),  # type: ignore[attr-defined]
        "missed": missed,
        "missed_count": missed_count,
        "cases": cases,
        "case_count": len(cases),
        "done": count,
        "target": target,
        "target_left": max(0, target - count),
    }


# --- figures --------------------------------------------------------------------------------------------


# Figures another app adds to these ("module:function" called with viewer, code, date_from, date_to, returning
# a dict merged into the answer): the place for the patrols app's ``patrol_coverage`` (issue 8). Strings, so
# this app imports none of them.
FIGURE_PROVIDERS: list[str] = []


def _provided(viewer: Any, code: str, date_from: dt.date, date_to: dt.date) -> dict[str, Any]:
    import importlib

    out: dict[str, Any] = {}
    for target in FIGURE_PROVIDERS:
        module, _, name = target.partition(":")
        out.update(getattr(importlib.import_module(module), name)(viewer, code, date_from, date_to))
    return out


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    due, done = row.get("due", 0), row.get("completed", 0)
    sdue, ston = row.get("special_due", 0), row.get("special_on_time", 0)
    return {
        "due": due,
        "completed": done,
        "missed": row.get("missed", 0),
        "open": row.get("open", 0),
        "completion": round(done / due, 4) if due else None,
        "special_due": sdue,
        "special_on_time": ston,
        "special_on_time_rate": round(ston / sdue, 4) if sdue else None,
    }


def visit_metrics(
    *, viewer: Any, area: str | None = None, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> dict[str, Any]:
    """Completion (completed / due) for the area, per child area and per grid worker, and special households
    visited within their frequency, for periods due in [date_from, date_to] (default: the last 30 days)."""
    _require_read(viewer)
    node = figures_area(viewer, area)
    code = node["code"]
    date_to = date_to or timezone.localdate()
    date_from = date_from or date_to - dt.timedelta(days=29)
    if date_from > date_to:
        raise InvalidInput.field("from", "开始日期不能晚于结束日期")
    # The rollup's rows by area code (month rows for whole months, day rows for the ends) plus the live
    # ready periods; the grids, the area's children and its workers are sums of those.
    by_code = rollup.figures(code, date_from, date_to)
    child_len = CHILD_LENGTH.get(len(code))
    total: dict[str, int] = defaultdict(int)
    grids: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    children: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for area_code, agg in by_code.items():
        for k, v in agg.items():
            total[k] += v
            grids[area_code[:15]][k] += v
            if child_len:
                children[area_code[:child_len]][k] += v
    names = dict(Area.objects.filter(code__in=list(children)).values_list("code", "name"))
    by_area = [{"code": c, "name": names.get(c, c), **_figures(children[c])} for c in sorted(children)]
    posts = Post.objects.filter(
        active=True, kind=Post.Kind.GRID_WORKER, area__code__startswith=code, user__is_active=True
    ).values_list("user_id", "user__username", "user__display_name", "area__code")
    workers: dict[int, dict[str, Any]] = {}
    for uid, username, display, grid in posts:
        w = workers.setdefault(
            uid, {"user_id": uid, "name": display or username, "grids": [], "agg": defaultdict(int)}
        )
        w["grids"].append(grid)
        for k, v in grids.get(grid[:15], {}).items():
            w["agg"][k] += v
    recorded = rollup.visits_recorded(list(workers), date_from, date_to)
    by_worker = [
        {
            "user_id": w["user_id"],
            "name": w["name"],
            "grids": sorted(w["grids"]),
            "visits_recorded": recorded.get(w["user_id"], 0),
            **_figures(w["agg"]),
        }
        for w in sorted(workers.values(), key=lambda w: (sorted(w["grids"]), w["user_id"]))
    ]
    return {
        "area": node,
        "from": date_from,
        "to": date_to,
        "total": _figures(total),
        "by_area": by_area,
        "by_worker": by_worker,
        "patrol_coverage": None,
        **_provided(viewer, code, date_from, date_to),
    }
