"""The metrics rollup: one ``AppealDailyStat`` row per (grid, report day) with every additive count the
metrics need, so a year of a district adds up ~100k small rows instead of aggregating a million cases.

* Counts that do not depend on the as-of time are stored as they are.
* 应结案 and the response denominator also count *open* cases whose deadline has passed: those parts
  (``dyn_*``) are judged at ``AppealRollupState.refreshed_at`` = T and the metrics correct them to the
  query's as-of time with one small query over the open cases whose deadline lies between T and as-of.
* ``refresh()`` (run by ``wangge tick``) recomputes every day that has a case changed since the last
  refresh (``Appeal.updated_at``, every service writes it; with a safety overlap for transactions that
  committed late) or a deadline that passed since then. ``rebuild()`` recomputes everything.

Definitions: docs/metrics.md. The same figures as the raw computation (test_rollup.py checks it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import Appeal, AppealDailyStat, AppealRollupState, State

PENDING_STATES = [
    State.SUBMITTED,
    State.OPENED,
    State.DISPATCHED,
    State.ACKNOWLEDGED,
    State.IN_PROGRESS,
    State.RESOLVED,
]
# A transaction may commit a little after the ``updated_at`` it wrote: re-read this far back.
OVERLAP = dt.timedelta(minutes=10)
STAT_FIELDS = [
    f.name for f in AppealDailyStat._meta.concrete_fields if f.name not in ("id", "depth", "area_code", "day")
]
# Row sets kept: area code prefixes of 6 (district), 9 (street), 12 (community) and 17 (the whole code).
DEPTHS = (6, 9, 12, 17)


def depth_for(length: int) -> int:
    """The row set to read when grouping (or filtering) by area-code prefixes of ``length``."""
    return next((d for d in DEPTHS if d >= length), DEPTHS[-1])


def _tz() -> dt.tzinfo:
    return timezone.get_default_timezone()


def live_q() -> Q:
    return ~Q(state__in=[State.CANCELLED, State.MERGED])


def open_due_q() -> Q:
    """Open (live, not closed) opened cases: due once their resolution deadline passes."""
    return Q(state__in=PENDING_STATES, opened_at__isnull=False)


def rated_q() -> Q:
    """Ratings that count in the satisfaction figures. A patrol find has no resident to ask: whoever rated it
    (before separation of duties, its own handler could) it counts in no satisfaction figure."""
    return ~Q(rating="") & ~Q(channel=Appeal.Channel.PATROL)


def response_wait_q() -> Q:
    """Dispatched live cases still waiting for an acknowledgement: due once the response deadline passes."""
    return Q(dispatched_at__isnull=False, first_ack_at__isnull=True) & live_q()


def static_aggregates(as_of: dt.datetime) -> dict[str, Any]:
    """Per-bucket aggregates: the as-of-independent counts plus the ``dyn_*`` parts judged at ``as_of``.
    Mirrors ``metrics._aggregates`` term by term (due = closed part + open part, …)."""
    from .metrics import SPANS, _span, _span_n

    live = live_q()
    closed = Q(state=State.CLOSED)
    on_time = (
        closed
        & Q(resolved_at__isnull=False)
        & (Q(resolve_due_at__isnull=True) | Q(resolved_at__lte=F("resolve_due_at")))
    )
    reworked = Q(rework_count__gt=0) | Q(dissatisfied_reopens__gt=0)
    closed_due = closed & Q(opened_at__isnull=False)  # closed cases are live
    acked = Q(dispatched_at__isnull=False, first_ack_at__isnull=False) & live
    responded = acked & (Q(response_due_at__isnull=True) | Q(first_ack_at__lte=F("response_due_at")))
    rated = rated_q()
    dyn_due = open_due_q() & Q(resolve_due_at__lte=as_of)
    return {
        "reported": Count("pk"),
        "opened": Count("pk", filter=Q(opened_at__isnull=False)),
        "dispatched": Count("pk", filter=Q(dispatched_at__isnull=False)),
        "handled": Count("pk", filter=Q(resolved_at__isnull=False)),
        "closed": Count("pk", filter=closed),
        "overdue": Count("pk", filter=Q(overdue=True)),
        "reworked": Count("pk", filter=reworked),
        "extended": Count("pk", filter=Q(extended=True)),
        "held": Count("pk", filter=Q(held=True)),
        "cancelled": Count("pk", filter=Q(state=State.CANCELLED)),
        "merged": Count("pk", filter=Q(state=State.MERGED)),
        "rated": Count("pk", filter=rated),
        "self_checked": Count("pk", filter=Q(self_checked=True)),
        "satisfied_n": Count("pk", filter=rated & Q(rating=Appeal.Rating.SATISFIED)),
        "basically_n": Count("pk", filter=rated & Q(rating=Appeal.Rating.BASICALLY)),
        "solved_n": Count("pk", filter=rated & Q(solved=True)),
        "due": Count("pk", filter=closed_due),
        "due_held": Count("pk", filter=closed_due & Q(held=True)),
        "closed_not_held": Count("pk", filter=closed_due & Q(held=False)),
        "closed_on_time": Count("pk", filter=closed_due & on_time & Q(held=False)),
        "closed_reworked": Count("pk", filter=closed & reworked),
        "response_due_n": Count("pk", filter=acked),
        "responded_n": Count("pk", filter=responded),
        "live_opened": Count("pk", filter=live & Q(opened_at__isnull=False)),
        "dyn_due": Count("pk", filter=dyn_due),
        "dyn_due_held": Count("pk", filter=dyn_due & Q(held=True)),
        "dyn_response_due_n": Count("pk", filter=response_wait_q() & Q(response_due_at__lte=as_of)),
        **{f"sum_{k}": _span(a, b) for k, (a, b) in SPANS.items()},
        **{f"n_{k}": _span_n(a, b) for k, (a, b) in SPANS.items()},
    }


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=_tz())


def _day_ranges(days: set[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days as ``[first, last + 1)`` ranges."""
    out: list[tuple[dt.date, dt.date]] = []
    for day in sorted(days):
        if out and out[-1][1] == day:
            out[-1] = (out[-1][0], day + dt.timedelta(days=1))
        else:
            out.append((day, day + dt.timedelta(days=1)))
    return out


def _compute(q: Q, as_of: dt.datetime) -> list[AppealDailyStat]:
    """The rows in Python (the former path, kept as the reference ``test_rollup`` compares the SQL with)."""
    from .metrics import _seconds

    rows = _finest(q, as_of)
    buckets: dict[tuple[int, str, dt.date], dict[str, int]] = {}
    for row in rows:
        values = {k: row[f"s_{k}"] or 0 for k in STAT_FIELDS}
        for key in DURATION_FIELDS:
            values[key] = round(_seconds(row[f"s_{key}"]) * 1_000_000)
        for depth in DEPTHS:
            key3 = (depth, row["area_code"][:depth], row["stat_day"])
            found = buckets.get(key3)
            if found is None:
                buckets[key3] = dict(values)
            else:
                for k, v in values.items():
                    found[k] += v
    return [
        AppealDailyStat(depth=depth, area_code=code, day=day, **values)
        for (depth, code, day), values in buckets.items()
    ]


DURATION_FIELDS = ("sum_open", "sum_response", "sum_handle", "sum_close")


def _finest(q: Q, as_of: dt.datetime) -> Any:
    """The per-(full area code, report day) aggregates of the cases matching ``q`` (a values queryset)."""
    return (
        Appeal.objects.filter(q)
        .order_by()
        .annotate(stat_day=TruncDate("reported_at", tzinfo=_tz()))
        .values("area_code", "stat_day")
        .annotate(**{f"s_{k}": v for k, v in static_aggregates(as_of).items()})
    )


def _micros(column: str) -> str:
    """SQL: a summed duration as whole microseconds (the Python path: ``round(seconds × 10⁶)``)."""
    if connection.vendor == "postgresql":
        return f"COALESCE(ROUND(EXTRACT(EPOCH FROM {column}) * 1000000), 0)::bigint"
    return f"COALESCE(CAST({column} AS INTEGER), 0)"  # SQLite sums durations as integer microseconds


def _insert_sql(as_of: dt.datetime, first: dt.date | None = None, stop: dt.date | None = None) -> int:
    """Write every depth's rows of the cases reported on the days ``[first, stop)`` (all days when ``None``)
    in the database: the finest rows (depth 17, the whole area code) by one ``INSERT … SELECT … GROUP BY``
    over the cases, then each coarser depth by adding up the rows of the next finer one (a few rows per
    grid-day instead of the cases again). The same figures as ``_compute``. Returns the rows written."""
    q = Q()
    day_sql, day_params = "", []
    if first is not None and stop is not None:
        q = Q(reported_at__gte=_midnight(first), reported_at__lt=_midnight(stop))
        day_sql, day_params = " AND day >= %s AND day < %s", [first, stop]
    qn = connection.ops.quote_name
    table = qn(AppealDailyStat._meta.db_table)
    cols = ", ".join(qn(f) for f in STAT_FIELDS)
    select_sql, params = _finest(q, as_of).query.sql_with_params()
    picks = ", ".join(
        _micros(f"sub.{qn('s_' + f)}") if f in DURATION_FIELDS else f"COALESCE(sub.{qn('s_' + f)}, 0)"
        for f in STAT_FIELDS
    )
    sums = ", ".join(f"SUM({qn(f)})" for f in STAT_FIELDS)
    written = 0
    with connection.cursor() as cur:
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            # One grouped pass over millions of cases: let the hash aggregate stay in memory (this transaction).
            cur.execute("SET LOCAL work_mem = '256MB'")
        cur.execute(
            f"INSERT INTO {table} (depth, area_code, day, {cols}) "
            f"SELECT {DEPTHS[-1]}, sub.{qn('area_code')}, sub.{qn('stat_day')}, {picks} FROM ({select_sql}) sub",
            params,
        )
        written += max(cur.rowcount, 0)
        finer_to_coarser = DEPTHS[::-1]
        for finer, depth in zip(finer_to_coarser, finer_to_coarser[1:], strict=False):
            cur.execute(
                f"INSERT INTO {table} (depth, area_code, day, {cols}) "
                f"SELECT {depth}, SUBSTR(area_code, 1, {depth}), day, {sums} FROM {table} "
                f"WHERE depth = {finer}{day_sql} GROUP BY SUBSTR(area_code, 1, {depth}), day",
                day_params,
            )
            written += max(cur.rowcount, 0)
    return written


def _analyze() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(f"ANALYZE {AppealDailyStat._meta.db_table}")


def _state(now: dt.datetime) -> AppealRollupState:
    state, _ = AppealRollupState.objects.get_or_create(pk=1, defaults={"refreshed_at": now})
    return AppealRollupState.objects.select_for_update().get(pk=state.pk)


def _rewrite(days: set[dt.date], as_of: dt.datetime) -> int:
    written = 0
    for first, stop in _day_ranges(days):
        AppealDailyStat.objects.filter(day__gte=first, day__lt=stop).delete()
        written += _insert_sql(as_of, first, stop)
    return written


def rebuild(now: dt.datetime | None = None) -> dict[str, Any]:
    """Recompute every row (after a bulk import, or to repair)."""
    now = now or timezone.now()
    with transaction.atomic():
        state = _state(now)
        AppealDailyStat.objects.all().delete()
        written = _insert_sql(now)
        state.refreshed_at = state.rebuilt_at = now
        state.save()
    _analyze()
    return {"rows": written, "refreshed_at": now.isoformat()}


def refresh(now: dt.datetime | None = None) -> dict[str, Any]:
    """Recompute the days touched since the last refresh: cases written since then (``updated_at``, with an
    overlap) and open cases whose resolution or response deadline passed since then. The first call
    rebuilds everything."""
    now = now or timezone.now()
    state_row = AppealRollupState.objects.filter(pk=1).first()
    if state_row is None or now < state_row.refreshed_at:  # first run, or a clock gone backwards
        return rebuild(now)
    with transaction.atomic():
        state = _state(now)
        last = state.refreshed_at
        touched = (
            Q(updated_at__gte=last - OVERLAP)
            | (open_due_q() & Q(resolve_due_at__gt=last, resolve_due_at__lte=now))
            | (response_wait_q() & Q(response_due_at__gt=last, response_due_at__lte=now))
        )
        days = set(
            Appeal.objects.filter(touched)
            .order_by()
            .annotate(stat_day=TruncDate("reported_at", tzinfo=_tz()))
            .values_list("stat_day", flat=True)
            .distinct()
        )
        # The deadline judgements of the untouched days hold at ``now`` too (no deadline of theirs passed).
        written = _rewrite(days, now)
        state.refreshed_at = now
        state.save(update_fields=["refreshed_at"])
    return {"days": len(days), "rows": written, "refreshed_at": now.isoformat()}


def enabled() -> bool:
    return bool(getattr(settings, "WANGGE_APPEAL_METRICS_ROLLUP", True))


def tick(now: dt.datetime) -> dict[str, Any] | None:
    """The periodic job's step: refresh after the case loop's own writes (``None`` when switched off)."""
    return refresh(now) if enabled() else None
