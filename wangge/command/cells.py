"""The map's case cells: cases counted per (cell, area code, state, supervision level) at a few levels.

``rebuild()`` recomputes the table from the cases in one transaction: the finest level with one
``INSERT … SELECT … GROUP BY`` over the located cases, each coarser level from the one below it (integer
division of the cell index). It runs in the periodic job (``tick``, every 10 minutes) and from
``wangge map_cells``; nothing is added to the case submission path. The answers name the time the counts
hold at (``CaseCellState.built_at``)."""

from __future__ import annotations

import datetime as dt
import math
import time
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from wangge.appeals.models import Appeal, State

from .models import CaseCell, CaseCellState

# Levels stored, finest last: a cell of level L is 360 / 2**(L+2) degrees (64 px at zoom L, 128 px at L+1).
LEVELS = tuple(range(4, 17))
FINEST = LEVELS[-1]


def cells_across(level: int) -> int:
    return 2 ** (level + 2)


def cell_of(lat: float, lng: float, level: int) -> tuple[int, int]:
    """The cell index of a point, computed exactly as the SQL below does (same float operations)."""
    n = cells_across(level)
    return math.floor((lng + 180) * n / 360), math.floor((lat + 180) * n / 360)


def cell_edge(index: int, level: int) -> float:
    """The west (or south) edge in degrees of cells with ``index`` at ``level``."""
    return index * 360 / cells_across(level) - 180


def level_for(zoom: int) -> int:
    """The level whose cells are 128 px on screen at ``zoom`` (coarsest/finest stored at the ends): a
    cluster per 128 px square keeps a 4K screen under ~500 clusters."""
    return max(LEVELS[0], min(zoom - 1, FINEST))


def _floor(expr: str) -> str:
    # SQLite (without its math extension) has no FLOOR; the values are positive, so CAST truncates = floors.
    return f"CAST({expr} AS INTEGER)" if connection.vendor == "sqlite" else f"FLOOR({expr})"


def rebuild(now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    t0 = time.perf_counter()
    table = CaseCell._meta.db_table
    cases = Appeal._meta.db_table
    n = cells_across(FINEST)
    states = list(State.values)
    state_cols = ", ".join(f"s_{st}" for st in states)
    cols = f"level, cx, cy, area_code, supervision, n, {state_cols}, sum_lat, sum_lng"
    per_state = ", ".join(f"SUM(CASE WHEN state = '{st}' THEN 1 ELSE 0 END)" for st in states)
    sum_states = ", ".join(f"SUM(s_{st})" for st in states)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"DELETE FROM {table}")
        cur.execute(
            f"""INSERT INTO {table} ({cols})
            SELECT %s, {_floor(f"(lng + 180) * {n} / 360")}, {_floor(f"(lat + 180) * {n} / 360")},
                   area_code, supervision_level, COUNT(*), {per_state}, SUM(lat), SUM(lng)
            FROM {cases} WHERE lat IS NOT NULL AND lng IS NOT NULL
            GROUP BY 2, 3, area_code, supervision_level""",
            [FINEST],
        )
        below = FINEST
        for level in reversed(LEVELS[:-1]):
            f = 2 ** (below - level)
            cur.execute(
                f"""INSERT INTO {table} ({cols})
                SELECT %s, cx / {f}, cy / {f}, area_code, supervision, SUM(n), {sum_states},
                       SUM(sum_lat), SUM(sum_lng)
                FROM {table} WHERE level = %s
                GROUP BY cx / {f}, cy / {f}, area_code, supervision""",
                [level, below],
            )
            below = level
        cur.execute(f"SELECT COALESCE(SUM(n), 0) FROM {table} WHERE level = %s", [FINEST])
        total = int(cur.fetchone()[0])
        seconds = round(time.perf_counter() - t0, 3)
        CaseCellState.objects.update_or_create(
            pk=1, defaults={"built_at": now, "cases": total, "seconds": seconds}
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(f"ANALYZE {table}")
    return {"cases": total, "seconds": seconds}


def tick(now: dt.datetime) -> dict[str, Any]:
    """The periodic step (every 10 minutes): rebuild the cells from the cases, and relink the other
    networks' layers when our grid boundaries changed."""
    from .services import links_tick

    out = rebuild(now)
    linked = links_tick()
    if linked is not None:
        out["links"] = linked
    return out
