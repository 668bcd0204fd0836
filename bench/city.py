"""``wangge bench city``: a city-sized case table, generated in the database, and the two reads that matter.

A scratch PostgreSQL database (``--pg-url``, default ``wangge_city``; dropped and created, and dropped again at
the end unless ``keep=1``) is migrated, then:

1. ``appeals_appeal`` is turned into a table partitioned by month on ``reported_at`` (``core.partitions.
   partition_table``; in this database only — the foreign keys that point to the case table are dropped first
   and the unique idempotency index is dropped, see docs/scale.md). The timeline (``appeals_appealevent``) is
   partitioned by month on ``at`` by its migration.
2. ``--cases`` cases (default 20,000,000) over the last ``--months`` months are inserted month by month with
   ``INSERT … SELECT generate_series`` into a city of ``--districts`` districts × 10 streets × 10 communities
   × 20 grids (20,000 grids for 10 districts), each with ``--events`` timeline rows.
3. Bulk (default): the secondary indexes and foreign keys of the case and timeline tables are dropped before
   the load and built once after it, then ANALYZE and one rollup rebuild in SQL (``rollup.rebuild``), timed per
   million cases, and the SQL and the former Python path compared on the newest loaded days
   (``--compare-days``). ``per_month=1``: the former flow, indexes kept and each month's rollup days rewritten.
   ``load_until=HH:MM`` (UTC) stops starting months at that time and goes on with what is loaded;
   ``finish_only=1 data_dir=<the run's data dir>`` finishes a kept database whose load was stopped.
4. At the checkpoints (``--checkpoints``, cases loaded) and at the end: ``GET /api/v1/metrics/appeals`` for
   district 320621's whole period (``--runs`` requests, gunicorn 2 workers) and one case's timeline
   (``selectors.timeline`` for a random case of the district, in a Django process, ``--runs`` cases) and
   the case detail ``GET /api/v1/appeals/{id}`` which includes it. Medians, p90 and the load average.

Run niced: ``nice wangge bench city cases=2000000`` (a 2M run takes minutes; 20M needs ~10 GB of disk and an
hour or more on 2 shared cores). Check ``df -h`` first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

from _harness import BIN, ROOT, Server, pct, scratch_env

DISTRICT = "320621"
STREETS, COMMUNITIES, GRIDS = 10, 10, 20


def _districts(n: int) -> list[str]:
    return [DISTRICT] + [f"3206{81 + i:02d}" for i in range(n - 1)]


def _admin(pg_url: str) -> tuple[str, str]:
    u = urlparse(pg_url)
    name = u.path.lstrip("/")
    if not name.startswith("wangge_city"):
        raise SystemExit("refusing to drop a database whose name does not start with wangge_city")
    return pg_url.replace(u.path, "/postgres"), name


def _recreate(pg_url: str, create: bool = True) -> None:
    import psycopg

    admin, name = _admin(pg_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')


def _size(pg_url: str) -> str:
    import psycopg

    admin, name = _admin(pg_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        row = conn.execute("SELECT pg_size_pretty(pg_database_size(%s))", [name]).fetchone()
    return str(row[0]) if row else "?"


# --- steps run inside a child process configured for the scratch database ---------------------------------


def _internal_setup() -> None:
    """The area tree of the measured district (its 10 streets), a district user and token; the case table
    partitioned by month (prints JSON)."""
    from django.db import connection

    from wangge.accounts.roles import Role
    from wangge.accounts.services import token_create
    from wangge.areas.models import Area, Level
    from wangge.areas.services import area_create
    from wangge.core.partitions import partition_table
    from wangge.testing import make_tree, make_user

    tree = make_tree()
    for s in range(1, STREETS + 1):
        code = f"{DISTRICT}{s:03d}"
        if not Area.objects.filter(code=code).exists():
            area_create(code=code, name=f"街道{s}", level=Level.STREET, parent=tree.district, by=None)
    boss = make_user(Role.DISTRICT, tree.district, username="city-district")
    with connection.cursor() as cur:
        cur.execute(
            "SELECT conname, conrelid::regclass::text FROM pg_constraint WHERE confrelid = 'appeals_appeal'::regclass"
            " AND contype = 'f' AND conparentid = 0"
        )
        incoming = cur.fetchall()
        for name, table in incoming:
            cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    dropped = partition_table(connection, "appeals_appeal", "reported_at", drop_unique="*")
    print(
        json.dumps(
            {
                "token": token_create(user=boss),
                "dropped_foreign_keys": len(incoming),
                "dropped_unique": dropped,
            }
        )
    )


def _case_sql(cats: list[int], n_districts: int) -> tuple[str, list[Any]]:
    """INSERT of %s cases reported uniformly in [%s, %s) (the last three parameters)."""
    from django.db import connection

    from wangge.appeals.models import Appeal

    fields = {f.column: f for f in Appeal._meta.concrete_fields if not f.primary_key}
    computed = {
        "reported_at": "t.reported_at",
        "created_at": "t.reported_at",
        "updated_at": "t.reported_at",
        "area_code": "t.area_code",
        "category_id": "t.category_id",
        "state": "t.state",
        "channel": "'resident_web'",
        "kind": "'problem'",
        "description": "'city case'",
        "opened_at": "CASE WHEN t.state NOT IN ('submitted','cancelled') THEN t.reported_at + interval '1 hour' END",
        "dispatched_at": "CASE WHEN t.state NOT IN ('submitted','cancelled','opened') "
        "THEN t.reported_at + interval '2 hours' END",
        "first_ack_at": "CASE WHEN t.state NOT IN ('submitted','cancelled','opened','dispatched') "
        "THEN t.reported_at + interval '2 hours' + t.r7 * interval '6 hours' END",
        "response_due_at": "CASE WHEN t.state NOT IN ('submitted','cancelled','opened') "
        "THEN t.reported_at + interval '6 hours' END",
        "resolve_due_at": "CASE WHEN t.state NOT IN ('submitted','cancelled','opened') "
        "THEN t.reported_at + interval '3 days' END",
        "resolved_at": "CASE WHEN t.state IN ('resolved','closed') THEN t.reported_at + t.r8 * interval '4 days' END",
        "closed_at": "CASE WHEN t.state = 'closed' THEN t.reported_at + t.r8 * interval '4 days' + interval '1 day' END",
        "overdue": "(t.state IN ('resolved','closed') AND t.r8 > 0.75)",
        "rework_count": "CASE WHEN t.r9 < 0.03 THEN 1 ELSE 0 END",
        "extended": "(t.r10 < 0.02)",
        "held": "(t.r10 > 0.99)",
        "rating": "CASE WHEN t.state <> 'closed' THEN '' WHEN t.r11 < 0.8 THEN 'satisfied' "
        "WHEN t.r11 < 0.93 THEN 'basically' ELSE 'dissatisfied' END",
        "solved": "CASE WHEN t.state = 'closed' THEN t.r11 < 0.9 END",
    }
    cols, exprs, params = [], [], []
    for column, field in fields.items():
        cols.append(f'"{column}"')
        if column in computed:
            exprs.append(computed[column])
        else:
            exprs.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
    districts = _districts(n_districts)
    sql = f"""
    INSERT INTO {Appeal._meta.db_table} ({", ".join(cols)})
    SELECT {", ".join(exprs)} FROM (
      SELECT %s::timestamptz + s.r1 * (%s::timestamptz - %s::timestamptz) AS reported_at,
             (ARRAY{districts})[1 + floor(s.r2 * {len(districts)})::int]
                 || lpad((1 + floor(s.r3 * {STREETS}))::int::text, 3, '0')
                 || lpad((1 + floor(s.r4 * {COMMUNITIES}))::int::text, 3, '0')
                 || lpad((1 + floor(random() * {GRIDS}))::int::text, 3, '0') AS area_code,
             (ARRAY{cats})[1 + floor(s.r5 * {len(cats)})::int] AS category_id,
             CASE WHEN s.r6 < 0.80 THEN 'closed' WHEN s.r6 < 0.85 THEN 'resolved'
                  WHEN s.r6 < 0.90 THEN 'in_progress' WHEN s.r6 < 0.93 THEN 'dispatched'
                  WHEN s.r6 < 0.95 THEN 'opened' WHEN s.r6 < 0.98 THEN 'submitted' ELSE 'cancelled' END AS state,
             s.r7, s.r8, s.r9, s.r10, s.r11
      FROM (SELECT random() r1, random() r2, random() r3, random() r4, random() r5, random() r6,
                   random() r7, random() r8, random() r9, random() r10, random() r11
            FROM generate_series(1, %s)) s
    ) t
    """
    return sql, params


EVENT_KINDS = ["submitted", "accepted", "dispatched", "acknowledged", "started", "resolved", "closed"]


def _internal_month(
    start: str, stop: str, cases: int, events: int, districts: int, roll: bool = True
) -> None:
    """Insert ``cases`` cases reported in [start, stop) with ``events`` timeline rows each, then rewrite the
    rollup days of the month (prints JSON with the timings)."""
    from django.db import connection

    from wangge.appeals import rollup
    from wangge.appeals.models import Category
    from wangge.core import partitions

    lo, hi = dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(stop)
    partitions.ensure(since=lo)
    cats = list(Category.objects.filter(parent__isnull=False).values_list("pk", flat=True))
    sql, params = _case_sql(cats, districts)
    out: dict[str, Any] = {"start": start, "cases": cases}
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SET synchronous_commit = off")  # a scratch load: no need to wait for each WAL flush
        cur.execute("SELECT COALESCE(max(id), 0) FROM appeals_appeal")
        first_id = cur.fetchone()[0]
        done = 0
        while done < cases:
            size = min(500_000, cases - done)
            cur.execute(sql, [*params, lo, hi, lo, size])
            done += size
        out["case_seconds"] = round(time.perf_counter() - t0, 1)
        t1 = time.perf_counter()
        if events:
            kinds = EVENT_KINDS[:events]
            cur.execute(
                f"""
                INSERT INTO appeals_appealevent (appeal_id, kind, actor_role, at, note, data, area_code,
                                                 category_id_at)
                SELECT a.id, (ARRAY{kinds})[k + 1], 'grid_worker', a.reported_at + k * interval '90 minutes',
                       '', '{{}}'::jsonb, a.area_code, a.category_id
                FROM appeals_appeal a CROSS JOIN generate_series(0, %s) k
                WHERE a.id > %s AND a.reported_at >= %s AND a.reported_at < %s
                """,
                [events - 1, first_id, lo, hi],
            )
        out["event_seconds"] = round(time.perf_counter() - t1, 1)
        t2 = time.perf_counter()
        if roll:  # the bulk load analyzes once, after building the indexes
            cur.execute("ANALYZE appeals_appeal")
            cur.execute("ANALYZE appeals_appealevent")
        out["analyze_seconds"] = round(time.perf_counter() - t2, 1)
    # The rollup of the month's days, a week at a time (memory stays flat): the rebuild cost per case.
    if not roll:
        out["rollup_rows"], out["rollup_seconds"] = 0, 0.0
        print(json.dumps(out))
        return
    t3 = time.perf_counter()
    tz = rollup._tz()
    first, last = lo.astimezone(tz).date(), (hi - dt.timedelta(microseconds=1)).astimezone(tz).date()
    rows = 0
    day = first
    now = dt.datetime.now(dt.UTC)
    while day <= last:
        week = {day + dt.timedelta(days=i) for i in range(7) if day + dt.timedelta(days=i) <= last}
        rows += rollup._rewrite(week, now)
        day += dt.timedelta(days=7)
    out["rollup_rows"] = rows
    out["rollup_seconds"] = round(time.perf_counter() - t3, 1)
    print(json.dumps(out))


LOAD_TABLES = ("appeals_appeal", "appeals_appealevent")


def _internal_indexes(action: str, path: str) -> None:
    """``drop``: before the load, drop the secondary indexes and the foreign keys of the case and timeline
    tables (their definitions saved to ``path``; primary keys stay), so the load appends rows and builds each
    index once. ``create``: build the saved indexes again, then ANALYZE (prints JSON with the timings). The
    foreign keys stay dropped in this scratch database: no read uses them."""
    from django.db import connection

    out: dict[str, Any] = {"action": action}
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        if action == "drop":
            cur.execute(
                """
                SELECT c.relname, ic.relname, pg_get_indexdef(i.indexrelid)
                FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid
                WHERE c.relname = ANY(%s)
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
                """,
                [list(LOAD_TABLES)],
            )
            saved = [
                {"table": t, "name": n, "sql": d.replace(" ON ONLY ", " ON ")} for t, n, d in cur.fetchall()
            ]
            for idx in saved:
                cur.execute(f'DROP INDEX IF EXISTS "{idx["name"]}"')
            cur.execute(
                "SELECT conname, conrelid::regclass::text FROM pg_constraint WHERE contype = 'f'"
                " AND conparentid = 0 AND conrelid::regclass::text = ANY(%s)",
                [list(LOAD_TABLES)],
            )
            fks = cur.fetchall()
            for name, table in fks:
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            Path(path).write_text(json.dumps(saved))
            # Also in the database itself: a load stopped half-way can be finished later (``finish_only``).
            cur.execute("CREATE TABLE IF NOT EXISTS bench_saved_indexes (doc jsonb)")
            cur.execute("INSERT INTO bench_saved_indexes VALUES (%s::jsonb)", [json.dumps(saved)])
            out.update(indexes=len(saved), foreign_keys=len(fks))
        else:
            cur.execute("SELECT to_regclass('bench_saved_indexes') IS NOT NULL")
            in_db = cur.fetchone()[0]
            if in_db:
                cur.execute("SELECT doc::text FROM bench_saved_indexes")
                saved = json.loads(cur.fetchone()[0])
            else:
                saved = json.loads(Path(path).read_text())
            cur.execute("SET maintenance_work_mem = '512MB'")
            timings = []
            for idx in saved:
                t1 = time.perf_counter()
                cur.execute(idx["sql"])
                timings.append((idx["name"], round(time.perf_counter() - t1, 1)))
            out["indexes"] = timings
            t2 = time.perf_counter()
            for table in LOAD_TABLES:
                cur.execute(f"ANALYZE {table}")
            out["analyze_seconds"] = round(time.perf_counter() - t2, 1)
            cur.execute("DROP TABLE IF EXISTS bench_saved_indexes")
    out["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(out))


def _internal_token() -> None:
    """A token of the district user (prints JSON with it and the cases loaded), to finish a stopped run."""
    from wangge.accounts.models import User
    from wangge.accounts.services import token_create
    from wangge.appeals.models import Appeal

    boss = User.objects.get(username="city-district")
    print(json.dumps({"token": token_create(user=boss), "cases": Appeal.objects.count()}))


def _internal_rebuild() -> None:
    """The whole rollup rebuilt in SQL (``rollup.rebuild``), timed (prints JSON)."""
    from wangge.appeals import rollup
    from wangge.appeals.models import Appeal

    cases = Appeal.objects.count()
    t0 = time.perf_counter()
    out = rollup.rebuild()
    print(json.dumps({"cases": cases, "rows": out["rows"], "seconds": round(time.perf_counter() - t0, 1)}))


def _internal_compare(days: int, until: str = "") -> None:
    """Before/after on the same rows: the last ``days`` full days rewritten by the SQL path
    (``rollup._rewrite``) and by the former Python path (``rollup._compute`` + ``bulk_create``), each in a
    transaction rolled back (prints JSON)."""
    from django.db import transaction
    from django.db.models import Q

    from wangge.appeals import rollup
    from wangge.appeals.models import Appeal, AppealDailyStat

    tz = rollup._tz()
    if until:
        last = dt.date.fromisoformat(until)
    else:  # the days before the newest case's (a stopped load ends before today)
        newest = Appeal.objects.order_by("-reported_at").values_list("reported_at", flat=True).first()
        last = (newest or dt.datetime.now(tz)).astimezone(tz).date()
    first = last - dt.timedelta(days=days)
    lo, hi = rollup._midnight(first), rollup._midnight(last)
    cases = Appeal.objects.filter(reported_at__gte=lo, reported_at__lt=hi).count()
    now = dt.datetime.now(dt.UTC)
    out: dict[str, Any] = {"cases": cases, "days": days}

    class Rollback(Exception):
        pass

    for name in ("sql", "python"):
        t0 = time.perf_counter()
        try:
            with transaction.atomic():
                if name == "sql":
                    rows = rollup._rewrite({first + dt.timedelta(days=i) for i in range(days)}, now)
                else:
                    AppealDailyStat.objects.filter(day__gte=first, day__lt=last).delete()
                    objs = rollup._compute(Q(reported_at__gte=lo, reported_at__lt=hi), now)
                    AppealDailyStat.objects.bulk_create(objs, batch_size=2000)
                    rows = len(objs)
                out[name] = {"rows": rows, "seconds": round(time.perf_counter() - t0, 2)}
                raise Rollback
        except Rollback:
            pass
        out[name]["per_million_s"] = round(out[name]["seconds"] / max(cases, 1) * 1_000_000, 1)
    print(json.dumps(out))


def _internal_finish() -> None:
    """Mark the rollup as built (the figures endpoint reads it from then on)."""
    from django.utils import timezone

    from wangge.appeals import rollup
    from wangge.appeals.models import AppealRollupState

    now = timezone.now()
    AppealRollupState.objects.update_or_create(pk=1, defaults={"refreshed_at": now, "rebuilt_at": now})
    rollup._analyze()
    print(json.dumps({"ok": True}))


def _internal_timeline(runs: int) -> None:
    """One case's timeline as the case page reads it, for ``runs`` random cases of the district (prints JSON
    with the times and the plan of the timeline query)."""
    from django.db import connection

    from wangge.accounts.models import User
    from wangge.appeals import selectors
    from wangge.appeals.models import Appeal

    viewer = User.objects.get(username="city-district")
    with connection.cursor() as cur:
        cur.execute("SELECT max(id) FROM appeals_appeal")
        top = cur.fetchone()[0]
    rng = random.Random(13)
    times, sizes, ids = [], [], []
    while len(times) < runs + 3:
        pk = rng.randint(1, top)
        appeal = Appeal.objects.filter(pk=pk, area_code__startswith=DISTRICT).first()
        if appeal is None:
            continue
        t0 = time.perf_counter()
        rows = selectors.timeline(viewer, appeal)
        times.append((time.perf_counter() - t0) * 1000)
        sizes.append(len(rows))
        ids.append(pk)
    times = times[3:]  # warm-up
    plan = selectors.timeline_queryset(appeal).explain(analyze=True)
    print(
        json.dumps(
            {
                "p50_ms": round(statistics.median(times), 2),
                "p90_ms": round(pct(times, 90), 2),
                "events_per_case": statistics.median(sizes),
                "ids": ids[-5:],
                "plan": plan,
            }
        )
    )


# --- orchestration ----------------------------------------------------------------------------------------


def _self(env: dict[str, str], *args: str) -> dict[str, Any]:
    cmd = ["nice", sys.executable, str(Path(__file__).resolve()), *args]
    done = subprocess.run(cmd, env=env, cwd=ROOT, text=True, capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    for line in reversed(done.stdout.strip().splitlines()):
        if line.startswith("{"):
            return dict(json.loads(line))
    raise RuntimeError(f"no JSON in output: {done.stdout[-500:]}")


def _get_ms(port: int, path: str, token: str) -> tuple[float, int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    t0 = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return (time.perf_counter() - t0) * 1000, resp.status, body


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def measure(
    env: dict[str, str], token: str, runs: int, loaded: int, pg_url: str, since: dt.date | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"cases": loaded, "db_size": _size(pg_url)}
    _self(env, "_finish")
    timeline = _self(env, "_timeline", str(runs))
    server = Server(env, 2)
    try:
        today = dt.date.today()
        path = "/api/v1/metrics/appeals?" + urlencode(
            {
                "area": DISTRICT,
                "from": (since or today - dt.timedelta(days=366)).isoformat(),
                "to": today.isoformat(),
            }
        )
        times = []
        for i in range(runs + 2):
            ms, status, body = _get_ms(server.port, path, token)
            if status != 200:
                raise RuntimeError(f"metrics returned {status}: {body[:300]!r}")
            if i >= 2:
                times.append(ms)
        figures = json.loads(body)
        out["figures"] = {
            "reported": figures["reported"],
            "from": (since or today - dt.timedelta(days=366)).isoformat(),
            "p50_ms": round(statistics.median(times), 1),
            "p90_ms": round(pct(times, 90), 1),
            "load": _load(),
        }
        detail = []
        for i, pk in enumerate(timeline["ids"] * ((runs + 4) // 5)):
            ms, status, body = _get_ms(server.port, f"/api/v1/appeals/{pk}", token)
            if status != 200:
                raise RuntimeError(f"case detail returned {status}: {body[:300]!r}")
            if i >= 2:
                detail.append(ms)
        out["detail"] = {
            "p50_ms": round(statistics.median(detail), 1),
            "p90_ms": round(pct(detail, 90), 1),
            "load": _load(),
        }
    finally:
        server.stop()
    out["timeline"] = {k: timeline[k] for k in ("p50_ms", "p90_ms", "events_per_case")} | {"load": _load()}
    out["timeline_plan"] = timeline["plan"]
    return out


def _flag(arg: str) -> str:
    if arg.startswith("-") or "=" not in arg:
        return arg
    key, value = arg.split("=", 1)
    key = key.replace("_", "-")
    if key in ("keep", "per-month", "finish-only"):  # switches: key=1 turns them on
        return f"--{key}" if value.lower() in {"1", "true", "yes"} else "--no-op"
    return f"--{key}={value}"


def main(argv: list[str]) -> None:
    if argv and argv[0].startswith("_"):
        step, rest = argv[0], argv[1:]
        if step == "_setup":
            _internal_setup()
        elif step == "_month":
            _internal_month(rest[0], rest[1], int(rest[2]), int(rest[3]), int(rest[4]), rest[5] == "1")
        elif step == "_finish":
            _internal_finish()
        elif step == "_indexes":
            _internal_indexes(rest[0], rest[1])
        elif step == "_rebuild":
            _internal_rebuild()
        elif step == "_token":
            _internal_token()
        elif step == "_compare":
            _internal_compare(int(rest[0]), rest[1] if len(rest) > 1 else "")
        elif step == "_timeline":
            _internal_timeline(int(rest[0]))
        return
    p = argparse.ArgumentParser(prog="wangge bench city", description=__doc__.split("\n\n")[0])
    p.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/wangge_city")
    p.add_argument("--cases", type=int, default=20_000_000)
    p.add_argument("--months", type=int, default=12)
    p.add_argument("--events", type=int, default=2, help="timeline rows per case")
    p.add_argument("--districts", type=int, default=10)
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--checkpoints", default="2000000,5000000,10000000")
    p.add_argument("--keep", action="store_true", help="keep the database at the end")
    p.add_argument(
        "--rollup-months",
        type=int,
        default=0,
        help="build the rollup for the last N months only (0: all) and measure the figures over them",
    )
    p.add_argument(
        "--per-month",
        action="store_true",
        help="the former flow: indexes kept during the load, the rollup rewritten after each month and the "
        "reads measured at --checkpoints (default: bulk load without secondary indexes, then the indexes, "
        "ANALYZE, one SQL rollup rebuild, the reads)",
    )
    p.add_argument(
        "--compare-days", type=int, default=7, help="days rewritten by the SQL and the Python path"
    )
    p.add_argument(
        "--load-until",
        default="",
        help="UTC time (HH:MM or ISO): start no month after it; the run goes on with the months loaded",
    )
    p.add_argument(
        "--finish-only",
        action="store_true",
        help="a kept database whose bulk load stopped: build the indexes, rebuild the rollup, measure",
    )
    p.add_argument(
        "--data-dir", default="", help="the run's data directory (its keys), kept; for --finish-only"
    )
    p.add_argument(
        "--index-file", default="", help="with --finish-only: the saved index definitions (old runs)"
    )
    p.add_argument("--no-op", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args([_flag(a) for a in argv if a != "--"])
    print(f"df: {shutil.disk_usage('/').free / 2**30:.0f} GiB free; load {_load()}", flush=True)
    # A finished-later run must use the keys the load was written with (the encrypted columns' defaults).
    given_dir = Path(args.data_dir) if args.data_dir else None
    data_dir = given_dir or Path(tempfile.mkdtemp(prefix="wangge-bench-city-"))
    env = scratch_env("pg", args.pg_url, data_dir)
    if args.finish_only:
        args.keep = True
    else:
        _recreate(args.pg_url)
    try:
        if args.finish_only:
            info = _self(env, "_token")
            loaded = int(info["cases"])
            print(f"finishing a stopped load of {loaded:,} cases; load {_load()}", flush=True)
            _finish_bulk(
                env, args, args.index_file or str(data_dir / "indexes.json"), info["token"], loaded, None
            )
            return
        subprocess.run(
            ["nice", str(BIN / "wangge"), "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True
        )
        info = _self(env, "_setup")
        print(
            f"setup: appeals_appeal partitioned by month (dropped {info['dropped_foreign_keys']} foreign keys to "
            f"it and the unique indexes {info['dropped_unique']})",
            flush=True,
        )
        bulk = not args.per_month
        index_file = str(data_dir / "indexes.json")
        if bulk:
            r = _self(env, "_indexes", "drop", index_file)
            print(
                f"bulk load: dropped {r['indexes']} secondary indexes and {r['foreign_keys']} foreign keys of "
                f"{', '.join(LOAD_TABLES)} (load {_load()})",
                flush=True,
            )
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        # Months back from now: [now - months×30 days, now), cut at the UTC month bounds (the partitions).
        start = now - dt.timedelta(days=30 * args.months)
        bounds = [start]
        m = dt.datetime(start.year, start.month, 1, tzinfo=dt.UTC)
        while True:
            m = dt.datetime(m.year + m.month // 12, m.month % 12 + 1, 1, tzinfo=dt.UTC)
            if m >= now:
                break
            bounds.append(m)
        bounds.append(now)
        span = (now - start).total_seconds()
        checkpoints = sorted(int(c) for c in args.checkpoints.split(",") if c)
        loaded, months = 0, []
        rolled_from = bounds[-1 - args.rollup_months] if args.rollup_months else bounds[0]
        since = (rolled_from + dt.timedelta(days=1)).date() if args.rollup_months else None
        deadline = _deadline(args.load_until)
        for lo, hi in zip(bounds, bounds[1:], strict=False):
            if deadline and dt.datetime.now(dt.UTC) > deadline:
                print(f"--load-until {args.load_until} passed: {loaded:,} cases loaded, going on", flush=True)
                break
            n = round(args.cases * (hi - lo).total_seconds() / span)
            if lo == bounds[-2]:
                n = args.cases - loaded
            roll = "1" if lo >= rolled_from and not bulk else "0"
            r = _self(
                env,
                "_month",
                lo.isoformat(),
                hi.isoformat(),
                str(n),
                str(args.events),
                str(args.districts),
                roll,
            )
            loaded += n
            months.append(r)
            per_m = r["rollup_seconds"] / max(n, 1) * 1_000_000 if r["rollup_rows"] else 0
            print(
                f"month {lo:%Y-%m}: {n:,} cases in {r['case_seconds']} s, {n * args.events:,} timeline rows in "
                f"{r['event_seconds']} s; rollup {r['rollup_rows']:,} rows in {r['rollup_seconds']} s "
                f"({per_m:.0f} s per million cases); total {loaded:,}; load {_load()}",
                flush=True,
            )
            while checkpoints and loaded >= checkpoints[0] and not bulk:
                checkpoints.pop(0)
                _report(measure(env, info["token"], args.runs, loaded, args.pg_url, since))
        case_s = sum(r["case_seconds"] + r["event_seconds"] for r in months)
        roll_s = sum(r["rollup_seconds"] for r in months)
        roll_rows = sum(r["rollup_rows"] for r in months)
        rolled = sum(r["cases"] for r in months if r["rollup_rows"]) or 1
        if bulk:
            print(
                f"loaded {loaded:,} cases and {loaded * args.events:,} timeline rows in {case_s:.0f} s "
                f"({loaded / max(case_s, 1):,.0f} cases/s); load {_load()}",
                flush=True,
            )
            roll_s, roll_rows, rolled = _finish_bulk(env, args, index_file, info["token"], loaded, since)
        else:
            _report(measure(env, info["token"], args.runs, loaded, args.pg_url, since), plan=True)
        print(
            f"generated {loaded:,} cases and {loaded * args.events:,} timeline rows in {case_s:.0f} s; rollup "
            f"{roll_rows:,} rows in {roll_s:.0f} s = "
            f"{roll_s / rolled * 1_000_000:.0f} s per million cases ({rolled:,} cases rolled up)",
            flush=True,
        )
        print("targets: figures p50 < 200 ms; a case's timeline p50 < 20 ms")
    finally:
        if not args.keep:
            _recreate(args.pg_url, create=False)
        if given_dir is None:
            shutil.rmtree(data_dir, ignore_errors=True)


def _deadline(value: str) -> dt.datetime | None:
    if not value:
        return None
    if len(value) <= 5:  # HH:MM today (UTC)
        hh, mm = (int(x) for x in value.split(":"))
        return dt.datetime.now(dt.UTC).replace(hour=hh, minute=mm, second=0, microsecond=0)
    return dt.datetime.fromisoformat(value).astimezone(dt.UTC)


def _finish_bulk(
    env: dict[str, str], args: Any, index_file: str, token: str, loaded: int, since: dt.date | None
) -> tuple[float, int, int]:
    """After a bulk load: the indexes, ANALYZE, the SQL rollup rebuild (timed), the SQL-vs-Python comparison on
    the last days, then the reads. Returns (rollup seconds, rollup rows, cases rolled up)."""
    r = _self(env, "_indexes", "create", index_file)
    print(
        f"indexes built in {r['seconds']} s ({', '.join(f'{n} {t} s' for n, t in r['indexes'])}); "
        f"ANALYZE {r['analyze_seconds']} s; database {_size(args.pg_url)}; load {_load()}",
        flush=True,
    )
    r = _self(env, "_rebuild")
    print(
        f"rollup rebuild in SQL: {r['rows']:,} rows from {r['cases']:,} cases in {r['seconds']} s = "
        f"{r['seconds'] / max(r['cases'], 1) * 1_000_000:.1f} s per million cases; load {_load()}",
        flush=True,
    )
    if args.compare_days:
        c = _self(env, "_compare", str(args.compare_days))
        print(
            f"the last {c['days']} days ({c['cases']:,} cases) rewritten: SQL {c['sql']['rows']:,} rows "
            f"in {c['sql']['seconds']} s ({c['sql']['per_million_s']} s per million cases); former "
            f"Python path {c['python']['rows']:,} rows in {c['python']['seconds']} s "
            f"({c['python']['per_million_s']} s per million cases); load {_load()}",
            flush=True,
        )
    _report(measure(env, token, args.runs, loaded, args.pg_url, since), plan=True)
    return float(r["seconds"]), int(r["rows"]), int(r["cases"])


def _report(m: dict[str, Any], plan: bool = False) -> None:
    f, t, d = m["figures"], m["timeline"], m["detail"]
    print(
        f"[{m['cases']:,} cases, database {m['db_size']}] figures for district {DISTRICT} "
        f"({f['reported']:,} cases since {f['from']}): p50 {f['p50_ms']} ms p90 {f['p90_ms']} ms (load {f['load']}); "
        f"timeline ({t['events_per_case']} rows): p50 {t['p50_ms']} ms p90 {t['p90_ms']} ms (load {t['load']}); "
        f"case detail with timeline GET /api/v1/appeals/{{id}}: p50 {d['p50_ms']} ms p90 {d['p90_ms']} ms",
        flush=True,
    )
    if plan:
        print("timeline plan:\n" + m["timeline_plan"], flush=True)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings")
    import django

    django.setup()
    main(sys.argv[1:])
