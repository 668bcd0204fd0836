"""The figures page's other reads: the monthly trend and the breakdowns by category, channel and handling
unit, for any area subtree the viewer reaches. Definitions: docs/metrics.md ("Trend and breakdowns").

* ``appeal_trend``: one row per calendar month (local time) of the last ``months`` months, from the rollup
  (``AppealDailyStat`` summed by month, one grouped query) when it has been built and no channel is asked
  for; from the cases otherwise (one grouped query).
* ``appeal_breakdown``: the cases of the area and period grouped by class (大类) of category, by channel or
  by lead unit (departments and property companies), one grouped query plus one for the names.

Every rate carries its sample (``rate_samples``) and is listed in ``rates_insufficient`` when the sample is
below ``WANGGE_METRICS_MIN_SAMPLE``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from wangge.accounts.models import Unit
from wangge.appeals import rollup
from wangge.appeals.metrics import (
    _aggregates,
    _clean,
    _combine,
    _derive,
    _scoped_area,
    channel_clean,
    metrics_config,
    period_parse,
    rate_min_sample,
)
from wangge.appeals.models import Appeal, AppealDailyStat, AppealRollupState, Category
from wangge.core.errors import InvalidInput

MAX_MONTHS = 36
BREAKDOWNS = ("category", "channel", "unit")
# The figures each breakdown row and trend month carries (counts, then rates).
ROW_COUNTS = ("reported", "closed", "overdue", "due", "closed_on_time", "rated")
ROW_RATES = ("on_time_close_rate", "close_rate", "satisfaction_rate", "resolution_rate", "overdue_rate")


def _figures(raw: dict[str, Any]) -> dict[str, Any]:
    d = _derive(raw, metrics_config())
    return {
        **{k: d[k] for k in ROW_COUNTS},
        **{k: d[k] for k in ROW_RATES},
        "rate_samples": {k: d["rate_samples"][k] for k in ROW_RATES},
        "rates_insufficient": [k for k in d["rates_insufficient"] if k in ROW_RATES],
    }


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _months_back(day: dt.date, n: int) -> dt.date:
    """The first day of the month ``n`` months before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - n
    return dt.date(index // 12, index % 12 + 1, 1)


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value  # type: ignore[no-any-return]


def appeal_trend(
    *,
    viewer: Any,
    area: str | None = None,
    months: int = 12,
    channel: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The cases reported in each of the last ``months`` calendar months (this one included, so far)."""
    if not isinstance(months, int) or not 1 <= months <= MAX_MONTHS:
        raise InvalidInput.field("months", f"月份数须在 1 到 {MAX_MONTHS} 之间")
    area = _clean("area", area)
    channel = channel_clean(channel)
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    today = timezone.localtime(now, tz).date()
    first = _months_back(today, months - 1)
    the_area, area_q = _scoped_area(viewer, area)
    state = None
    if not channel and rollup.enabled():
        state = AppealRollupState.objects.filter(pk=1).first()
    found: dict[dt.date, dict[str, Any]] = {}
    if state is not None:
        # Whole days from the rollup (its deadline judgements as of its last refresh: one tick stale).
        depth = rollup.depth_for(len(the_area.code) if the_area else 17)
        sums = {f"x_{name}": Sum(name) for name in rollup.STAT_FIELDS}
        rows = (
            AppealDailyStat.objects.filter(area_q, depth=depth, day__gte=first, day__lte=today)
            .order_by()
            .annotate(month=TruncMonth("day"))
            .values("month")
            .annotate(**sums)
        )
        for row in rows:
            for key in ("due", "due_held", "response_due_n"):
                row[f"x_{key}"] = (row[f"x_{key}"] or 0) + (row.pop(f"x_dyn_{key}") or 0)
            found[_month_start(_as_date(row.pop("month")))] = row
    else:
        start = dt.datetime.combine(first, dt.time(0, 0), tzinfo=tz)
        qs = Appeal.objects.filter(area_q, reported_at__gte=start, reported_at__lte=now)
        if channel:
            qs = qs.filter(channel=channel)
        rows = (
            qs.order_by()
            .annotate(month=TruncMonth("reported_at", tzinfo=tz))
            .values("month")
            .annotate(**_aggregates(now))
        )
        for row in rows:
            found[_month_start(_as_date(row.pop("month")))] = row
    out = []
    for i in range(months):
        month = _months_back(today, months - 1 - i)
        got = found.get(month)
        out.append({"month": month.strftime("%Y-%m"), **_figures(_combine([got] if got else []))})
    return {
        "area": {"code": the_area.code, "name": the_area.name} if the_area else None,
        "months": months,
        "channel": channel,
        "source": "rollup" if state is not None else "cases",
        "min_sample": rate_min_sample(),
        "items": out,
    }


def _cases(
    viewer: Any,
    area: str | None,
    start: str | None,
    end: str | None,
    channel: str | None,
    now: dt.datetime | None,
) -> tuple[Any, QuerySet[Appeal], dict[str, Any]]:
    area = _clean("area", area)
    start, end = _clean("from", start, 40), _clean("to", end, 40)
    channel = channel_clean(channel)
    now = now or timezone.now()
    period = period_parse(start, end, now=now)
    the_area, area_q = _scoped_area(viewer, area)
    qs = Appeal.objects.filter(area_q, reported_at__gte=period.start, reported_at__lt=period.end)
    if channel:
        qs = qs.filter(channel=channel)
    head = {
        "area": {"code": the_area.code, "name": the_area.name} if the_area else None,
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "channel": channel,
        "min_sample": rate_min_sample(),
    }
    return min(now, period.end), qs.order_by(), head


def appeal_breakdown(
    *,
    viewer: Any,
    by: str,
    area: str | None = None,
    start: str | None = None,
    end: str | None = None,
    channel: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The cases of the area and period grouped by ``by``: ``category`` (class, 大类), ``channel`` or ``unit``
    (the lead unit: departments and property companies, ranked by on-time close rate, those under the
    minimum sample last)."""
    if by not in BREAKDOWNS:
        raise InvalidInput.field("by", "统计维度须为 category、channel 或 unit")
    as_of, qs, head = _cases(viewer, area, start, end, channel, now)
    aggs = _aggregates(as_of)
    items: list[dict[str, Any]] = []
    if by == "category":
        rows = list(qs.annotate(g=F("category_id")).values("g").annotate(**aggs))
        cats = {
            c.pk: c for c in Category.objects.filter(pk__in=[r["g"] for r in rows]).select_related("parent")
        }
        groups: dict[str, tuple[str, list[dict[str, Any]]]] = {}
        for row in rows:
            cat = cats[row["g"]]
            top = cat.parent or cat
            groups.setdefault(top.code, (top.name, []))[1].append(row)
        for code, (name, parts) in groups.items():
            items.append({"key": code, "name": name, **_figures(_combine(parts))})
        items.sort(key=lambda r: (-r["reported"], r["key"]))
    elif by == "channel":
        labels = dict(Appeal.Channel.choices)
        rows = list(qs.values("channel").annotate(**aggs))
        for row in rows:
            key = row["channel"]
            items.append({"key": key, "name": str(labels.get(key, key)), **_figures(_combine([row]))})
        items.sort(key=lambda r: (-r["reported"], r["key"]))
    else:
        kinds = [Unit.Kind.DEPARTMENT, Unit.Kind.PROPERTY_COMPANY]
        rows = list(
            qs.filter(lead_unit__kind__in=kinds).annotate(g=F("lead_unit_id")).values("g").annotate(**aggs)
        )
        units = {u.pk: u for u in Unit.objects.filter(pk__in=[r["g"] for r in rows])}
        floor = head["min_sample"]
        for row in rows:
            unit = units[row["g"]]
            items.append(
                {
                    "key": str(unit.pk),
                    "name": unit.name,
                    "kind": unit.kind,
                    "kind_label": str(unit.get_kind_display()),
                    **_figures(_combine([row])),
                }
            )

        def rank_key(r: dict[str, Any]) -> tuple[Any, ...]:
            sampled = r["rate_samples"]["on_time_close_rate"] >= floor and r["on_time_close_rate"] is not None
            return (not sampled, -(r["on_time_close_rate"] or 0) if sampled else 0, -r["reported"], r["name"])

        items.sort(key=rank_key)
        rank = 0
        for r in items:
            sampled = r["rate_samples"]["on_time_close_rate"] >= floor and r["on_time_close_rate"] is not None
            rank += 1 if sampled else 0
            r["rank"] = rank if sampled else None
    return {**head, "by": by, "items": items}


def hotline_share(items: list[dict[str, Any]]) -> dict[str, int]:
    """The 12345 volume among the channel rows (for the page's headline)."""
    total = sum(int(r["reported"]) for r in items)
    hotline = sum(int(r["reported"]) for r in items if r["key"] == Appeal.Channel.HOTLINE_12345)
    return {"total": total, "hotline": hotline}
