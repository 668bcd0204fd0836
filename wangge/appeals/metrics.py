"""Case-loop metrics (the three rates of 接诉即办, 结案率, 按期结案率, 返工率 …) for any area subtree, unit,
person, category and time range. Definitions: docs/metrics.md (keep the two in step).

Everything is computed from the case rows' denormalised loop fields (which the services keep in step with
the immutable timeline) in ONE aggregate query, plus one grouped query for the ranking of child areas.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Substr
from django.utils import timezone

from wangge.accounts.roles import user_can
from wangge.appeals import rollup
from wangge.appeals.models import Appeal, AppealDailyStat, AppealRollupState, Category, State
from wangge.areas.models import Area
from wangge.core.errors import Forbidden, InvalidInput, NotFound
from wangge.core.scoping import scope_for

# Defaults; override any key with settings.WANGGE_APPEAL_METRICS (a dict). Weights are relative (they need
# not sum to 100). One published weighting of the three rates is 30 / 35 / 35.
DEFAULTS: dict[str, Any] = {
    "weights": {"response_rate": 30, "resolution_rate": 35, "satisfaction_rate": 35},
    # 基本满意 counts as this fraction of 满意 in satisfaction_rate.
    "basically_satisfied_weight": 0.8,
    # Child areas with fewer cases than this in the period are listed but not ranked.
    "min_sample": 10,
    # Period when none is given, in days back from now.
    "default_days": 30,
}

# A rate over fewer cases than this is "样本不足" (settings.WANGGE_METRICS_MIN_SAMPLE overrides it).
DEFAULT_RATE_MIN_SAMPLE = 5

COUNT_KEYS = (
    "reported",
    "opened",
    "dispatched",
    "handled",
    "closed",
    "overdue",
    "reworked",
    "extended",
    "held",
    "cancelled",
    "merged",
    "rated",
    "self_checked",
    "due",
    "due_held",
    "closed_on_time",
)
RATE_KEYS = (
    "response_rate",
    "resolution_rate",
    "satisfaction_rate",
    "on_time_close_rate",
    "close_rate",
    "rework_rate",
    "extension_rate",
    "overdue_rate",
)
AVG_KEYS = ("avg_open_hours", "avg_response_hours", "avg_handle_hours", "avg_close_hours")


# Periods a case loop can mean (year 1 or 9999 is a typo or a probe, and breaks date arithmetic).
SANE_YEARS = (2000, 2099)
MAX_ID = 2**63 - 1


def _clean(field: str, value: str | None, max_length: int = 17) -> str | None:
    if value is None:
        return None
    if len(value) > max_length or "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
        raise InvalidInput.field(field, "无效的值")
    return value


def channel_clean(value: str | None) -> str | None:
    """A ``channel`` filter: one of ``Appeal.Channel`` (an unknown one is 422, never silently ignored)."""
    if value is None or value == "":
        return None
    if value not in Appeal.Channel.values:
        raise InvalidInput.field("channel", "未知的来源渠道")
    return value


def metrics_config() -> dict[str, Any]:
    cfg = {**DEFAULTS, **getattr(settings, "WANGGE_APPEAL_METRICS", {})}
    cfg["weights"] = {**DEFAULTS["weights"], **cfg.get("weights", {})}
    return cfg


@dataclass(frozen=True)
class Period:
    start: dt.datetime
    end: dt.datetime  # exclusive


def period_parse(start: str | None, end: str | None, *, now: dt.datetime | None = None) -> Period:
    """``from``/``to`` as dates (``to`` inclusive: the whole day) or ISO datetimes (``to`` exclusive)."""
    now = now or timezone.now()
    tz = timezone.get_current_timezone()

    def parse(value: str, field: str, *, is_end: bool) -> dt.datetime:
        try:
            if len(value) == 10:
                d = dt.date.fromisoformat(value)
                if not SANE_YEARS[0] <= d.year <= SANE_YEARS[1]:
                    raise InvalidInput.field(field, "日期须在 2000 年到 2099 年之间")
                if is_end:
                    d += dt.timedelta(days=1)
                return dt.datetime.combine(d, dt.time(0, 0), tzinfo=tz)
            parsed = dt.datetime.fromisoformat(value)
        except ValueError as exc:
            raise InvalidInput.field(field, "日期格式应为 YYYY-MM-DD 或 ISO 8601") from exc
        if not SANE_YEARS[0] <= parsed.year <= SANE_YEARS[1]:
            raise InvalidInput.field(field, "日期须在 2000 年到 2099 年之间")
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)

    end_at = parse(end, "to", is_end=True) if end else now
    start_at = (
        parse(start, "from", is_end=False)
        if start
        else end_at - dt.timedelta(days=int(metrics_config()["default_days"]))
    )
    if start_at >= end_at:
        raise InvalidInput.field("from", "开始时间须早于结束时间")
    return Period(start_at, end_at)


def _span(a: str, b: str) -> Sum:
    """Sum of ``b − a`` where both are set (averaged after adding up the groups)."""
    both = Q(**{f"{a}__isnull": False, f"{b}__isnull": False})
    return Sum(ExpressionWrapper(F(b) - F(a), output_field=DurationField()), filter=both)


def _span_n(a: str, b: str) -> Count:
    return Count("pk", filter=Q(**{f"{a}__isnull": False, f"{b}__isnull": False}))


SPANS = {
    "open": ("reported_at", "opened_at"),
    "response": ("dispatched_at", "first_ack_at"),
    "handle": ("dispatched_at", "resolved_at"),
    "close": ("reported_at", "closed_at"),
}


def _aggregates(as_of: dt.datetime) -> dict[str, Any]:
    """The aggregate expressions: every count and every average, for one ``.aggregate()``/``.annotate()``."""
    live = ~Q(state__in=[State.CANCELLED, State.MERGED])
    closed = Q(state=State.CLOSED)
    # 应结案: opened, live, and either closed or past its resolution deadline at ``as_of``.
    due = live & Q(opened_at__isnull=False) & (closed | Q(resolve_due_at__lte=as_of))
    on_time = (
        closed
        & Q(resolved_at__isnull=False)
        & (Q(resolve_due_at__isnull=True) | Q(resolved_at__lte=F("resolve_due_at")))
    )
    reworked = Q(rework_count__gt=0) | Q(dissatisfied_reopens__gt=0)
    # Response: dispatched cases whose response was due (or happened) by ``as_of``.
    response_due = (
        Q(dispatched_at__isnull=False)
        & live
        & (Q(first_ack_at__isnull=False) | Q(response_due_at__lte=as_of))
    )
    responded = (
        response_due
        & Q(first_ack_at__isnull=False)
        & (Q(response_due_at__isnull=True) | Q(first_ack_at__lte=F("response_due_at")))
    )
    rated = rollup.rated_q()
    return {
        "x_reported": Count("pk"),
        "x_opened": Count("pk", filter=Q(opened_at__isnull=False)),
        "x_dispatched": Count("pk", filter=Q(dispatched_at__isnull=False)),
        "x_handled": Count("pk", filter=Q(resolved_at__isnull=False)),
        "x_closed": Count("pk", filter=closed),
        "x_overdue": Count("pk", filter=Q(overdue=True)),
        "x_reworked": Count("pk", filter=reworked),
        "x_extended": Count("pk", filter=Q(extended=True)),
        "x_held": Count("pk", filter=Q(held=True)),
        "x_cancelled": Count("pk", filter=Q(state=State.CANCELLED)),
        "x_merged": Count("pk", filter=Q(state=State.MERGED)),
        "x_rated": Count("pk", filter=rated),
        "x_self_checked": Count("pk", filter=Q(self_checked=True)),
        "x_satisfied_n": Count("pk", filter=rated & Q(rating=Appeal.Rating.SATISFIED)),
        "x_basically_n": Count("pk", filter=rated & Q(rating=Appeal.Rating.BASICALLY)),
        "x_solved_n": Count("pk", filter=rated & Q(solved=True)),
        "x_due": Count("pk", filter=due),
        "x_due_held": Count("pk", filter=due & Q(held=True)),
        "x_closed_not_held": Count("pk", filter=due & closed & Q(held=False)),
        "x_closed_on_time": Count("pk", filter=due & on_time & Q(held=False)),
        "x_closed_reworked": Count("pk", filter=closed & reworked),
        "x_response_due_n": Count("pk", filter=response_due),
        "x_responded_n": Count("pk", filter=responded),
        "x_live_opened": Count("pk", filter=live & Q(opened_at__isnull=False)),
        **{f"x_sum_{k}": _span(a, b) for k, (a, b) in SPANS.items()},
        **{f"x_n_{k}": _span_n(a, b) for k, (a, b) in SPANS.items()},
    }


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den > 0 else None


def _seconds(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return float(value) / 1_000_000.0  # some backends hand back microseconds


def _avg_hours(total_seconds: Any, n: Any) -> float | None:
    return round(float(total_seconds or 0) / float(n) / 3600.0, 2) if n else None


def _combine(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Add up grouped rows (counts and duration sums) into the totals."""
    total: dict[str, Any] = {}
    for row in rows:
        for key, value in row.items():
            if not key.startswith("x_"):
                continue
            if key.startswith("x_sum_"):
                total[key] = total.get(key, 0.0) + _seconds(value)
            else:
                total[key] = total.get(key, 0) + (value or 0)
    return total


def _derive(raw: dict[str, Any], cfg: dict[str, Any]) -> dict[str, Any]:
    raw = {k[2:] if k.startswith("x_") else k: v for k, v in raw.items()}
    out: dict[str, Any] = {k: int(raw.get(k) or 0) for k in COUNT_KEYS}
    basic_w = float(cfg["basically_satisfied_weight"])
    rated = out["rated"]
    base = out["due"] - out["due_held"]
    out["response_rate"] = _ratio(raw.get("responded_n", 0), raw.get("response_due_n", 0))
    out["resolution_rate"] = _ratio(raw.get("solved_n", 0), rated)
    out["satisfaction_rate"] = (
        round((raw.get("satisfied_n", 0) + basic_w * raw.get("basically_n", 0)) / rated, 4) if rated else None
    )
    out["on_time_close_rate"] = _ratio(out["closed_on_time"], base)
    out["close_rate"] = _ratio(raw.get("closed_not_held", 0), base)
    out["rework_rate"] = _ratio(raw.get("closed_reworked", 0), out["closed"])
    out["extension_rate"] = _ratio(out["extended"], raw.get("live_opened", 0))
    out["overdue_rate"] = _ratio(out["overdue"], raw.get("live_opened", 0))
    for key in SPANS:
        out[f"avg_{key}_hours"] = _avg_hours(raw.get(f"sum_{key}"), raw.get(f"n_{key}"))
    out["score"] = composite_score(out, cfg["weights"])
    # The sample (denominator) of each rate, and the rates whose sample is below the minimum.
    samples = {
        "response_rate": int(raw.get("response_due_n") or 0),
        "resolution_rate": rated,
        "satisfaction_rate": rated,
        "on_time_close_rate": base,
        "close_rate": base,
        "rework_rate": out["closed"],
        "extension_rate": int(raw.get("live_opened") or 0),
        "overdue_rate": int(raw.get("live_opened") or 0),
    }
    floor = rate_min_sample()
    out["rate_samples"] = samples
    out["rates_insufficient"] = [k for k in RATE_KEYS if samples[k] < floor]
    return out


def rate_min_sample() -> int:
    """``WANGGE_METRICS_MIN_SAMPLE``: below this many cases in its denominator a rate is shown as
    "样本不足（n=…）", not as a percentage (one closed case is not "结案率 100%")."""
    return max(1, int(getattr(settings, "WANGGE_METRICS_MIN_SAMPLE", DEFAULT_RATE_MIN_SAMPLE)))


def composite_score(rates: Mapping[str, Any], weights: Mapping[str, float]) -> float | None:
    """Weighted mean of the rates (×100) over the rates that have a sample; None when none has."""
    num = den = 0.0
    for key, weight in weights.items():
        value = rates.get(key)
        if value is None or not weight:
            continue
        num += float(weight) * value
        den += float(weight)
    return round(100.0 * num / den, 2) if den else None


def _scoped_area(viewer: Any, code: str | None) -> tuple[Area | None, Q]:
    """The area asked for (or the viewer's single scope area) and the filter on the case's area code."""
    if not user_can(viewer, "appeals.read"):
        raise Forbidden("无权查看诉求统计")
    scope = scope_for(viewer)
    if code:
        area = Area.objects.filter(code=code).first()
        if area is None or not scope.contains(code):
            raise NotFound("区域不存在或不在您的管辖范围内")
        return area, Q(area_code__startswith=code)
    if scope.everything:
        return None, Q()
    if scope.empty:
        raise NotFound("您没有可统计的管辖区域")
    if len(scope.codes) == 1:
        return Area.objects.filter(code=scope.codes[0]).first(), scope.q("area_code")
    return None, scope.q("area_code")


def appeal_metrics(
    *,
    viewer: Any,
    area: str | None = None,
    start: str | None = None,
    end: str | None = None,
    unit: int | None = None,
    person: int | None = None,
    category: str | None = None,
    channel: str | None = None,
    ranking: bool = True,
    now: dt.datetime | None = None,
    source: str = "auto",
) -> dict[str, Any]:
    """The metrics of the cases reported in the period inside ``area`` (a subtree), optionally only those
    led by ``unit``/``person`` or in ``category`` (a subclass code, or a class code for all its subclasses).

    ``channel``: only the cases that came in through that channel (``Appeal.Channel``; unknown → 422).

    ``source``: ``auto`` reads the rollup (``AppealDailyStat``, at most one tick stale) for the whole days
    of the period when it has been built and no unit/person/category/channel filter is given, the raw cases
    otherwise; ``raw`` always aggregates the cases; ``rollup`` insists on the rollup.
    """
    cfg = metrics_config()
    now = now or timezone.now()
    area, category = _clean("area", area), _clean("category", category)
    start, end = _clean("from", start, 40), _clean("to", end, 40)
    for field, value in (("unit", unit), ("person", person)):
        if value is not None and not 0 < value <= MAX_ID:
            raise InvalidInput.field(field, "无效的编号")
    period = period_parse(start, end, now=now)
    as_of = min(now, period.end)
    the_area, area_q = _scoped_area(viewer, area)
    qs: QuerySet[Appeal] = Appeal.objects.filter(
        area_q, reported_at__gte=period.start, reported_at__lt=period.end
    )
    if unit is not None:
        qs = qs.filter(lead_unit_id=unit)
    if person is not None:
        qs = qs.filter(lead_user_id=person)
    channel = channel_clean(channel)
    if channel:
        qs = qs.filter(channel=channel)
    if category:
        cat = Category.objects.filter(code=category).first()
        if cat is None:
            raise InvalidInput.field("category", "类别不存在")
        qs = qs.filter(Q(category=cat) | Q(category__parent=cat))
    # Grouped by child area when there are children (the ranking), added up for the totals.
    children = _children(the_area, viewer)
    length = len(next(iter(children))) if children else 0
    state = None
    if (
        source != "raw"
        and unit is None
        and person is None
        and not category
        and not channel
        and rollup.enabled()
    ):
        state = AppealRollupState.objects.filter(pk=1).first()
    if source == "rollup" and state is None:
        raise InvalidInput.field("source", "统计汇总表尚未生成（wangge appeals_rollup --rebuild）")
    if state is not None:
        need = length or (len(the_area.code) if the_area else 17)
        rows = _rollup_rows(area_q, period, as_of, state.refreshed_at, length, rollup.depth_for(need))
    else:
        rows = _raw_rows(qs, as_of, length)
    raw = _combine(rows)
    result: dict[str, Any] = {
        "area": {"code": the_area.code, "name": the_area.name, "level": the_area.level} if the_area else None,
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "as_of": as_of.isoformat(),
        "filters": {"unit": unit, "person": person, "category": category, "channel": channel},
        "weights": cfg["weights"],
        "basically_satisfied_weight": cfg["basically_satisfied_weight"],
        "min_sample": cfg["min_sample"],
        **_derive(raw, cfg),
    }
    result["ranking"] = _ranking(rows, children, cfg) if ranking else []
    return result


def _raw_rows(qs: QuerySet[Appeal], as_of: dt.datetime, length: int) -> list[dict[str, Any]]:
    """One scan of the cases: grouped by the child-area prefix when ``length``, else one total row."""
    if length:
        return list(
            qs.order_by()
            .annotate(child=Substr("area_code", 1, length))
            .values("child")
            .annotate(**_aggregates(as_of))
        )
    return [qs.order_by().aggregate(**_aggregates(as_of))]


def _rollup_rows(
    area_q: Q, period: Period, as_of: dt.datetime, refreshed_at: dt.datetime, length: int, depth: int
) -> list[dict[str, Any]]:
    """The whole days of the period from the rollup (plus a correction of its deadline judgements from
    ``refreshed_at`` to ``as_of``); the partial days at either end from the cases."""
    tz = timezone.get_current_timezone()
    d0 = period.start.astimezone(tz).date()
    if dt.datetime.combine(d0, dt.time(0, 0), tzinfo=tz) < period.start:
        d0 += dt.timedelta(days=1)
    d1 = period.end.astimezone(tz).date()
    m0 = dt.datetime.combine(d0, dt.time(0, 0), tzinfo=tz)
    m1 = dt.datetime.combine(d1, dt.time(0, 0), tzinfo=tz)
    cases = Appeal.objects.filter(area_q)
    if d0 >= d1:
        return _raw_rows(
            cases.filter(reported_at__gte=period.start, reported_at__lt=period.end), as_of, length
        )
    rows: list[dict[str, Any]] = []
    if period.start < m0:
        rows += _raw_rows(cases.filter(reported_at__gte=period.start, reported_at__lt=m0), as_of, length)
    if m1 < period.end:
        rows += _raw_rows(cases.filter(reported_at__gte=m1, reported_at__lt=period.end), as_of, length)

    stats = AppealDailyStat.objects.filter(area_q, depth=depth, day__gte=d0, day__lt=d1).order_by()
    sums = {f"x_{name}": Sum(name) for name in rollup.STAT_FIELDS}
    if length:
        found = list(stats.annotate(child=Substr("area_code", 1, length)).values("child").annotate(**sums))
    else:
        found = [stats.aggregate(**sums)]
    for row in found:
        for key in ("due", "due_held", "response_due_n"):
            row[f"x_{key}"] = (row[f"x_{key}"] or 0) + (row.pop(f"x_dyn_{key}") or 0)
    rows += found

    if as_of != refreshed_at:
        # Open cases whose deadline lies between the rollup's judgement time and ``as_of``.
        sign, lo, hi = (1, refreshed_at, as_of) if as_of > refreshed_at else (-1, as_of, refreshed_at)
        due = rollup.open_due_q() & Q(resolve_due_at__gt=lo, resolve_due_at__lte=hi)
        wait = rollup.response_wait_q() & Q(response_due_at__gt=lo, response_due_at__lte=hi)
        fix = {
            "c_due": Count("pk", filter=due),
            "c_due_held": Count("pk", filter=due & Q(held=True)),
            "c_response": Count("pk", filter=wait),
        }
        moved = cases.filter(reported_at__gte=m0, reported_at__lt=m1).filter(due | wait).order_by()
        if length:
            fixes = list(moved.annotate(child=Substr("area_code", 1, length)).values("child").annotate(**fix))
        else:
            fixes = [moved.aggregate(**fix)]
        for row in fixes:
            out = {
                "x_due": sign * (row["c_due"] or 0),
                "x_due_held": sign * (row["c_due_held"] or 0),
                "x_response_due_n": sign * (row["c_response"] or 0),
            }
            if "child" in row:
                out["child"] = row["child"]
            rows.append(out)
    return rows


def _children(area: Area | None, viewer: Any) -> dict[str, str]:
    """Code → name of the child areas (of the top-level areas in scope when there is no area)."""
    if area is not None:
        return dict(Area.objects.filter(parent=area).order_by("code").values_list("code", "name"))
    scope = scope_for(viewer)
    tops = Area.objects.filter(parent__isnull=True).order_by("code").values_list("code", "name")
    found = {code: name for code, name in tops if scope.contains(code)}
    return found if len({len(c) for c in found}) == 1 else {}


def _ranking(
    rows: list[dict[str, Any]], children: dict[str, str], cfg: dict[str, Any]
) -> list[dict[str, Any]]:
    """Child areas by composite score, best first; those under the minimum sample are listed unranked."""
    found: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if "child" in row:
            found.setdefault(row["child"], []).append(row)
    out = []
    for code, name in children.items():
        figures = _derive(_combine(found.get(code, [])), cfg)
        sample = figures["reported"] - figures["cancelled"] - figures["merged"]
        out.append(
            {
                "code": code,
                "name": name,
                "sample": sample,
                "ranked": sample >= int(cfg["min_sample"]) and figures["score"] is not None,
                **{k: figures[k] for k in ("score", "response_rate", "resolution_rate", "satisfaction_rate")},
                **{k: figures[k] for k in ("on_time_close_rate", "close_rate", "rework_rate", "reported")},
                "rate_samples": figures["rate_samples"],
                "rates_insufficient": figures["rates_insufficient"],
            }
        )
    ranked = sorted((r for r in out if r["ranked"]), key=lambda r: (-r["score"], r["code"]))
    unranked = sorted((r for r in out if not r["ranked"]), key=lambda r: r["code"])
    for i, row in enumerate(ranked, start=1):
        row["rank"] = i
    for row in unranked:
        row["rank"] = None
    return ranked + unranked
