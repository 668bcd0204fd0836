"""The visit figures rollup (``VisitStat``, ``VisitorStat``): the district's year in ~12k rows.

A period's figures are fixed once it closes: completed and missed periods never change state again (only a
missed period's ``resolved_at``, which no figure reads), and cancelled periods count in no figure. So:

* the services add a closed period to its buckets (its due day and due month) **in the same transaction**
  that closes it (``add_closed``), and a recorded visit to its visitor's buckets (``add_visits``): one
  ``INSERT … ON CONFLICT DO UPDATE`` adding the counts, so two concurrent writers never lose one;
* ready periods (at most one per household) are counted live by the figures query;
* ``rebuild()`` recomputes both tables from the records (after bulk loads — the demo, the benchmark, an
  import — or to repair); the daily step runs it as a safety net. On PostgreSQL it locks the two tables in
  EXCLUSIVE mode first (reads go on): a writer that closed a period but has not yet added it waits, then
  adds it to the rebuilt rows, so nothing is counted twice or lost.

The figures (``figures``) read month rows for the whole months inside [from, to] and day rows for the ends.
Definitions: docs/metrics.md. ``tests/test_rollup.py`` checks that the rows equal the recomputation.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import ScheduledVisit, StatSpan, Visit, VisitorStat, VisitStat, area_range

State = ScheduledVisit.State
COUNTS = ("completed", "missed", "special_closed", "special_on_time")


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _counts(state: str, special: bool, due_on: dt.date, completed_on: dt.date | None) -> dict[str, int]:
    completed = state == State.COMPLETED
    return {
        "completed": int(completed),
        "missed": int(state == State.MISSED),
        "special_closed": int(special),
        "special_on_time": int(special and completed and completed_on is not None and completed_on <= due_on),
    }


def _upsert(
    table: type[Any], key: str, fields: tuple[str, ...], rows: dict[tuple[Any, ...], dict[str, int]]
) -> None:
    """Add ``rows`` ({(span, start, key value): counts}) to ``table`` in one statement per batch."""
    if not rows:
        return
    t = connection.ops.quote_name(table._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in ("span", "start", key, *fields))
    marks = ", ".join(["%s"] * (3 + len(fields)))
    sets = ", ".join(f"{f} = {t}.{f} + excluded.{f}" for f in fields)
    sql = (
        f"INSERT INTO {t} ({cols}) VALUES ({marks}) "
        f"ON CONFLICT (span, start, {connection.ops.quote_name(key)}) DO UPDATE SET {sets}"
    )
    params = [(*k, *(v[f] for f in fields)) for k, v in sorted(rows.items())]
    with connection.cursor() as cur:
        cur.executemany(sql, params)


def add_closed(periods: Iterable[dict[str, Any]]) -> None:
    """Add closed periods (dicts with area_code, due_on, state, special, completed_on) to the rollup. Call it
    in the transaction that closed them, after the UPDATE that closed them."""
    rows: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    for p in periods:
        if p["state"] not in (State.COMPLETED, State.MISSED):
            continue
        c = _counts(p["state"], p["special"], p["due_on"], p.get("completed_on"))
        for key in (
            (StatSpan.DAY, p["due_on"], p["area_code"]),
            (StatSpan.MONTH, month_start(p["due_on"]), p["area_code"]),
        ):
            for k, v in c.items():
                rows[key][k] += v
    _upsert(VisitStat, "area_code", COUNTS, rows)


def add_visits(visits: Iterable[tuple[int, dt.datetime]]) -> None:
    """Add recorded visits ((visitor id, visited_at)) to the visitors' buckets."""
    rows: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: {"visits": 0})
    for visitor_id, at in visits:
        day = timezone.localdate(at)
        rows[(StatSpan.DAY, day, visitor_id)]["visits"] += 1
        rows[(StatSpan.MONTH, month_start(day), visitor_id)]["visits"] += 1
    _upsert(VisitorStat, "visitor_id", ("visits",), rows)


# --- rebuilt from the records ---------------------------------------------------------------------------


def computed() -> tuple[dict[tuple[Any, ...], dict[str, int]], dict[tuple[Any, ...], dict[str, int]]]:
    """Both tables' rows as recomputed from the periods and visits: ({(span, start, area_code): counts},
    {(span, start, visitor_id): {"visits": n}})."""
    closed = Q(state__in=[State.COMPLETED, State.MISSED])
    special = Q(special=True)
    agg = (
        ScheduledVisit.objects.filter(closed)
        .order_by()
        .values("area_code", "due_on")
        .annotate(
            completed=Count("id", filter=Q(state=State.COMPLETED)),
            missed=Count("id", filter=Q(state=State.MISSED)),
            special_closed=Count("id", filter=special),
            special_on_time=Count(
                "id", filter=special & Q(state=State.COMPLETED, completed_on__lte=F("due_on"))
            ),
        )
    )
    stats: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    for r in agg:
        for key in (
            (StatSpan.DAY, r["due_on"], r["area_code"]),
            (StatSpan.MONTH, month_start(r["due_on"]), r["area_code"]),
        ):
            for k in COUNTS:
                stats[key][k] += r[k]
    tz = timezone.get_default_timezone()
    per_day = (
        Visit.objects.order_by()
        .annotate(day=TruncDate("visited_at", tzinfo=tz))
        .values("visitor_id", "day")
        .annotate(n=Count("id"))
    )
    visitors: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: {"visits": 0})
    for r in per_day:
        visitors[(StatSpan.DAY, r["day"], r["visitor_id"])]["visits"] += r["n"]
        visitors[(StatSpan.MONTH, month_start(r["day"]), r["visitor_id"])]["visits"] += r["n"]
    return dict(stats), dict(visitors)


def stored() -> tuple[dict[tuple[Any, ...], dict[str, int]], dict[tuple[Any, ...], dict[str, int]]]:
    """Both tables' rows as stored, in the shape of ``computed()`` (all-zero rows left out)."""
    stats = {
        (r["span"], r["start"], r["area_code"]): {k: r[k] for k in COUNTS}
        for r in VisitStat.objects.values("span", "start", "area_code", *COUNTS)
        if any(r[k] for k in COUNTS)
    }
    visitors = {
        (r["span"], r["start"], r["visitor_id"]): {"visits": r["visits"]}
        for r in VisitorStat.objects.values("span", "start", "visitor_id", "visits")
        if r["visits"]
    }
    return stats, visitors


def rebuild() -> dict[str, int]:
    """Recompute both tables from the records."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                for model in (VisitStat, VisitorStat):
                    cur.execute(
                        f"LOCK TABLE {connection.ops.quote_name(model._meta.db_table)} IN EXCLUSIVE MODE"
                    )
        VisitStat.objects.all().delete()
        VisitorStat.objects.all().delete()
        stats, visitors = computed()
        VisitStat.objects.bulk_create(
            [VisitStat(span=s, start=d, area_code=c, **v) for (s, d, c), v in stats.items()], batch_size=5000
        )
        VisitorStat.objects.bulk_create(
            [VisitorStat(span=s, start=d, visitor_id=u, **v) for (s, d, u), v in visitors.items()],
            batch_size=5000,
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            for model in (VisitStat, VisitorStat):
                cur.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return {"area_rows": len(stats), "visitor_rows": len(visitors)}


def tick(now: dt.datetime) -> dict[str, int]:
    """The daily safety net of ``wangge tick``: rebuild (rows written outside the services are caught up)."""
    return rebuild()


# --- the figures ----------------------------------------------------------------------------------------


def span_q(date_from: dt.date, date_to: dt.date) -> Q:
    """The rows covering [date_from, date_to] exactly once: month rows for the whole months inside it, day
    rows for the ends."""
    m0 = date_from if date_from.day == 1 else next_month(date_from)  # first whole month
    end = date_to + dt.timedelta(days=1)
    m1 = end if end.day == 1 else month_start(date_to)  # the whole months end here (exclusive)
    if m0 >= m1:
        return Q(span=StatSpan.DAY, start__gte=date_from, start__lte=date_to)
    return (
        Q(span=StatSpan.MONTH, start__gte=m0, start__lt=m1)
        | Q(span=StatSpan.DAY, start__gte=date_from, start__lt=m0)
        | Q(span=StatSpan.DAY, start__gte=m1, start__lte=date_to)
    )


def figures(code: str, date_from: dt.date, date_to: dt.date) -> dict[str, dict[str, int]]:
    """{area code: {due, completed, missed, open, special_due, special_on_time}} for the periods under
    ``code`` due in [date_from, date_to] (cancelled ones left out): the rollup plus the live ready periods."""
    out: dict[str, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(("due", "completed", "missed", "open", "special_due", "special_on_time"), 0)
    )
    closed = (
        VisitStat.objects.filter(area_range(code))
        .filter(span_q(date_from, date_to))
        .order_by()
        .values("area_code")
        .annotate(**{f"s_{k}": Sum(k) for k in COUNTS})
    )
    for r in closed:
        o = out[r["area_code"]]
        o["completed"] += r["s_completed"]
        o["missed"] += r["s_missed"]
        o["due"] += r["s_completed"] + r["s_missed"]
        o["special_due"] += r["s_special_closed"]
        o["special_on_time"] += r["s_special_on_time"]
    ready = (
        ScheduledVisit.objects.filter(
            area_range(code), state=State.READY, due_on__gte=date_from, due_on__lte=date_to
        )
        .order_by()
        .values("area_code")
        .annotate(n=Count("id"), sn=Count("id", filter=Q(special=True)))
    )
    for r in ready:
        o = out[r["area_code"]]
        o["open"] += r["n"]
        o["due"] += r["n"]
        o["special_due"] += r["sn"]
    return dict(out)


def visits_recorded(visitor_ids: list[int], date_from: dt.date, date_to: dt.date) -> dict[int, int]:
    """{visitor id: visits recorded in [date_from, date_to]} for ``visitor_ids``."""
    if not visitor_ids:
        return {}
    rows = VisitorStat.objects.filter(span_q(date_from, date_to))
    if len(visitor_ids) <= 50:
        rows = rows.filter(visitor_id__in=visitor_ids)
    # Many workers (a district): an ``IN`` of hundreds makes PostgreSQL scan the table testing each row against
    # the list; the date range alone is an index range of a few thousand rows, grouped, and picked here.
    wanted = set(visitor_ids)
    grouped = rows.order_by().values("visitor_id").annotate(n=Sum("visits")).values_list("visitor_id", "n")
    return {uid: n for uid, n in grouped if uid in wanted}


def raw_figures(code: str, date_from: dt.date, date_to: dt.date) -> dict[str, dict[str, int]]:
    """``figures`` computed from the periods alone (no rollup): the definition the rollup must equal."""
    rows = (
        ScheduledVisit.objects.filter(area_range(code), due_on__gte=date_from, due_on__lte=date_to)
        .exclude(state=State.CANCELLED)
        .order_by()
        .values("area_code")
        .annotate(
            due=Count("id"),
            completed=Count("id", filter=Q(state=State.COMPLETED)),
            missed=Count("id", filter=Q(state=State.MISSED)),
            open=Count("id", filter=Q(state=State.READY)),
            special_due=Count("id", filter=Q(special=True)),
            special_on_time=Count(
                "id", filter=Q(special=True, state=State.COMPLETED, completed_on__lte=F("due_on"))
            ),
        )
    )
    return {r.pop("area_code"): r for r in rows}
