"""The command-centre big screen: everything the wall needs in one read, in a bounded number of queries.

Who: district and street staff (``metrics.read_all`` or a street post) and administrators, for an area of
their scope (default: their own single area). Everyone else is refused (403); an area outside the scope is
404 like a missing one. Figures come from the case rows (today's), the metrics module (ranking of the
children with its minimum sample) and the registry (households per grid, the denominator of the map's rate).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import Substr, TruncDate
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.appeals import rollup
from wangge.appeals.metrics import appeal_metrics, metrics_config
from wangge.appeals.models import Appeal
from wangge.areas.models import Area, Level
from wangge.core.errors import Forbidden, InvalidInput, NotFound
from wangge.core.pii import mask_name
from wangge.core.scoping import scope_for
from wangge.registry.models import Household

# Roles the wall is for: the district's command centre and the streets (plus the administrator).
SCREEN_ROLES = {Role.DISTRICT, Role.STREET_STAFF, Role.ADMIN}
TREND_DAYS = 14
RATE_DAYS = 30
OVERDUE_ROWS = 12
TITLE_LENGTH = 18
GRID_CODE_LENGTH = 15


def refresh_seconds() -> int:
    """How often the wall asks again (``WANGGE_SCREEN_REFRESH_SECONDS``, at least 1)."""
    return max(1, int(getattr(settings, "WANGGE_SCREEN_REFRESH_SECONDS", 60)))


def may_view_screen(viewer: Any) -> bool:
    if not getattr(viewer, "is_authenticated", False) or not viewer.is_active:
        return False
    return bool(viewer.is_superuser or viewer.role in SCREEN_ROLES)


def screen_area(*, viewer: Any, code: str | None = None) -> Area:
    """The area the wall shows: ``code`` if the viewer reaches it, else the viewer's own (first) area."""
    if not may_view_screen(viewer):
        raise Forbidden("大屏仅供区、街道指挥中心使用")
    if code is not None and (len(code) > 17 or not code.isdigit()):
        raise InvalidInput.field("area", "区域编码应为数字")
    scope = scope_for(viewer)
    visible = Area.objects.visible_to(viewer)
    if code:
        area = visible.filter(code=code).first()
    elif scope.everything:
        area = Area.objects.filter(parent__isnull=True).order_by("code").first()
    else:
        area = visible.filter(code__in=scope.codes).order_by("code").first()
    if area is None or not scope.contains(area.code):
        raise NotFound("区域不存在或不在您的管辖范围内")
    return area


def _title(a: Appeal) -> str:
    text = " ".join((a.description or "").split())
    if not text:
        return a.category.name if a.category_id else ""
    return text if len(text) <= TITLE_LENGTH else text[:TITLE_LENGTH] + "…"


def _overdue_text(delta: dt.timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours < 1:
        return f"{max(1, int(delta.total_seconds() // 60))}分钟"
    if hours < 48:
        return f"{hours}小时"
    return f"{hours // 24}天"


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100.0 * value, 1)


def screen_data(*, viewer: Any, code: str | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """Today's figures, the trend, the grids' case rate, the children's ranking and the overdue list."""
    area = screen_area(viewer=viewer, code=code)
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    today = now.astimezone(tz).date()
    midnight = dt.datetime.combine(today, dt.time(0, 0), tzinfo=tz)
    rate_from = now - dt.timedelta(days=RATE_DAYS)
    cases = Appeal.objects.visible_to(viewer).filter(area_code__startswith=area.code)
    cfg = metrics_config()
    bsw = float(cfg["basically_satisfied_weight"])

    # 1 query: today's counts, the open overdue cases now, the 30-day ratings.
    rated = rollup.rated_q() & Q(closed_at__gte=rate_from)
    overdue_now = rollup.open_due_q() & Q(resolve_due_at__lt=now)
    agg = cases.order_by().aggregate(
        reported=Count("pk", filter=Q(reported_at__gte=midnight) & rollup.live_q()),
        closed=Count("pk", filter=Q(closed_at__gte=midnight)),
        overdue=Count("pk", filter=overdue_now),
        rated=Count("pk", filter=rated),
        satisfied=Count("pk", filter=rated & Q(rating=Appeal.Rating.SATISFIED)),
        basically=Count("pk", filter=rated & Q(rating=Appeal.Rating.BASICALLY)),
    )
    satisfaction = (
        round(100.0 * (agg["satisfied"] + bsw * agg["basically"]) / agg["rated"], 1) if agg["rated"] else None
    )

    # 2 queries: reported and closed per day over the trend window.
    first_day = today - dt.timedelta(days=TREND_DAYS - 1)
    start = dt.datetime.combine(first_day, dt.time(0, 0), tzinfo=tz)
    per_day_reported = dict(
        cases.filter(rollup.live_q(), reported_at__gte=start)
        .order_by()
        .annotate(day=TruncDate("reported_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    per_day_closed = dict(
        cases.filter(closed_at__gte=start)
        .order_by()
        .annotate(day=TruncDate("closed_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    trend = []
    for i in range(TREND_DAYS):
        day = first_day + dt.timedelta(days=i)
        trend.append(
            {"day": day, "reported": per_day_reported.get(day, 0), "closed": per_day_closed.get(day, 0)}
        )

    # 3 queries: the grids, their cases in the last 30 days and their households (the rate's denominator).
    grids = list(
        Area.objects.visible_to(viewer)
        .filter(code__startswith=area.code, level=Level.GRID)
        .order_by("code")
        .values_list("code", "name")
    )
    if area.level in (Level.GRID, Level.MICROGRID) and not grids:
        grids = [(area.code[:GRID_CODE_LENGTH], area.name)]
    grid_cases = dict(
        cases.filter(rollup.live_q(), reported_at__gte=rate_from)
        .order_by()
        .annotate(grid_code=Substr("area_code", 1, GRID_CODE_LENGTH))
        .values("grid_code")
        .annotate(n=Count("pk"))
        .values_list("grid_code", "n")
    )
    grid_households = dict(
        Household.objects.visible_to(viewer)
        .filter(area_code__startswith=area.code, active=True)
        .order_by()
        .annotate(grid_code=Substr("area_code", 1, GRID_CODE_LENGTH))
        .values("grid_code")
        .annotate(n=Count("pk"))
        .values_list("grid_code", "n")
    )
    grid_rows = []
    for gcode, gname in grids:
        n, households = grid_cases.get(gcode, 0), grid_households.get(gcode, 0)
        grid_rows.append(
            {
                "code": gcode,
                "name": gname,
                "cases": n,
                "households": households,
                # Cases per 100 households in 30 days; None when the grid has no registered household.
                "rate": round(100.0 * n / households, 1) if households else None,
            }
        )

    # The metrics module's ranking of the children (a few queries, independent of the number of rows).
    ranking: list[dict[str, Any]] = []
    min_sample = int(cfg["min_sample"])
    ranking_area = area.name
    if area.level not in (Level.GRID, Level.MICROGRID):
        m = appeal_metrics(
            viewer=viewer, area=area.code, start=rate_from.isoformat(), end=now.isoformat(), now=now
        )
        if len(m["ranking"]) == 1 and len(m["ranking"][0]["code"]) < GRID_CODE_LENGTH:
            # A district of one street (or a street of one community): rank the level below instead.
            only = m["ranking"][0]
            m = appeal_metrics(
                viewer=viewer, area=only["code"], start=rate_from.isoformat(), end=now.isoformat(), now=now
            )
            ranking_area = only["name"]
        min_sample = int(m["min_sample"])
        ranking = [
            {
                "code": r["code"],
                "name": r["name"],
                "rank": r["rank"],
                "ranked": r["ranked"],
                "sample": r["sample"],
                "score": r["score"],
                "satisfaction_rate": _pct(r["satisfaction_rate"]),
            }
            for r in m["ranking"]
        ]

    # 1 query: the most overdue open cases (handler names masked: the wall is seen by visitors too).
    overdue_rows = []
    for a in (
        cases.filter(overdue_now)
        .select_related("category", "lead_unit", "lead_user", "grid")
        .order_by("resolve_due_at", "id")[:OVERDUE_ROWS]
    ):
        handler = mask_name(a.lead_user.display_name or a.lead_user.username) if a.lead_user_id else ""
        if a.lead_unit_id:
            handler = f"{a.lead_unit.name} {handler}".strip()
        overdue_rows.append(
            {
                "id": a.pk,
                "number": f"#{a.pk}",
                "title": _title(a),
                "grid": a.grid.name if a.grid_id else "",
                "handler": handler or "—",
                "overdue_for": _overdue_text(now - a.resolve_due_at),
                "overdue_hours": round((now - a.resolve_due_at).total_seconds() / 3600, 1),
            }
        )

    return {
        "area": {"code": area.code, "name": area.name, "level": area.level},
        "generated_at": now,
        "refresh_seconds": refresh_seconds(),
        "today": {
            "reported": agg["reported"],
            "closed": agg["closed"],
            "overdue": agg["overdue"],
            "satisfaction_rate": satisfaction,
            "rated": agg["rated"],
        },
        "trend": trend,
        "grids": grid_rows,
        "rate_days": RATE_DAYS,
        "ranking": ranking,
        "ranking_area": ranking_area,
        "min_sample": min_sample,
        "overdue": overdue_rows,
    }
