"""``wangge bench map``: the one map's case clusters over a district of 1,000,000 cases on PostgreSQL.

A scratch database (``--pg-url``, default ``wangge_bench_map``; dropped and created) is migrated, then
``--cases`` located cases are generated in the database with ``INSERT … SELECT generate_series`` over a
district of 0.3° × 0.3° (half spread evenly, half around 20 town centres; grid codes from a 16 × 15 lattice),
the cell table is rebuilt (timed), and ``GET /api/v1/map/clusters``'s selector is timed in-process (with the
answer's schema validation and JSON encoding) for several boxes × zooms: the median of ``--runs`` calls.

The ceiling in the same run: a bare ``SELECT count(*)`` of the cases in the same box (what a map without the
cell table would at least do). Each answer's counts are checked against that count: they must add up.

Examples::

    wangge bench map                      # 1,000,000 cases, 7 runs per box
    wangge bench map cases=100000 runs=5 keep=1
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _harness import BIN, ROOT, drop_pg, recreate_pg, scratch_env

DISTRICT = "320621"
WEST, SOUTH, SIZE = 120.30, 32.40, 0.30


def _internal_seed(n: int) -> None:
    from django.db import connection

    from wangge.appeals.models import Appeal, Category

    cat = Category.objects.filter(parent__isnull=False).values_list("pk", flat=True).first()
    table = Appeal._meta.db_table
    # Town centres: a fixed pseudo-random set (setseed makes random() repeatable per run).
    sql = f"""
    INSERT INTO {table} (kind, channel, category_id, description, address, lat, lng, location_source,
        area_code, anonymous, reporter_name, reporter_phone, external_ref, state, version, reported_at,
        overdue, response_overdue, rework_count, return_count, dissatisfied_reopens, extended, held, on_hold,
        check_passed, self_checked, rating, auto_closed, handling_level, escalation_level, supervision_level,
        created_at, updated_at)
    SELECT 'problem', 'patrol', %s, '占道经营', '', t.lat, t.lng, 'input',
        '{DISTRICT}' || lpad((1 + t.gi / 4)::text, 3, '0') || lpad((1 + t.gj / 5)::text, 3, '0')
            || lpad((1 + (t.gi %% 4) * 5 + t.gj %% 5)::text, 3, '0'),
        false, '', '', '',
        CASE WHEN t.r1 < 0.70 THEN 'closed' WHEN t.r1 < 0.78 THEN 'resolved' WHEN t.r1 < 0.86 THEN 'in_progress'
             WHEN t.r1 < 0.91 THEN 'dispatched' WHEN t.r1 < 0.94 THEN 'acknowledged' WHEN t.r1 < 0.96 THEN 'opened'
             WHEN t.r1 < 0.98 THEN 'submitted' ELSE 'cancelled' END,
        0, now() - t.r2 * interval '360 days', false, false, 0, 0, 0, false, false, false, false, false, '',
        false, 'grid', 0,
        CASE WHEN t.r3 < 0.9 THEN 'normal' WHEN t.r3 < 0.97 THEN 'yellow' ELSE 'red' END, now(), now()
    FROM (
      SELECT p.lat, p.lng, r1, r2, r3,
             LEAST(15, floor((p.lng - {WEST}) / {SIZE} * 16))::int AS gi,
             LEAST(14, floor((p.lat - {SOUTH}) / {SIZE} * 15))::int AS gj
      FROM (
        SELECT CASE WHEN u < 0.5 THEN {SOUTH} + {SIZE} * random()
                    ELSE LEAST({SOUTH} + {SIZE} - 1e-9, GREATEST({SOUTH},
                         {SOUTH} + {SIZE} * ((c * 0.6180339887) - floor(c * 0.6180339887))
                         + 0.01 * (random() + random() + random() - 1.5))) END AS lat,
               CASE WHEN u < 0.5 THEN {WEST} + {SIZE} * random()
                    ELSE LEAST({WEST} + {SIZE} - 1e-9, GREATEST({WEST},
                         {WEST} + {SIZE} * ((c * 0.7548776662) - floor(c * 0.7548776662))
                         + 0.01 * (random() + random() + random() - 1.5))) END AS lng,
               random() r1, random() r2, random() r3
        FROM (SELECT random() u, (1 + floor(random() * 20))::int c FROM generate_series(1, %s)) s
      ) p
    ) t
    """
    t0 = time.perf_counter()
    done = 0
    with connection.cursor() as cur:
        while done < n:
            size = min(250_000, n - done)
            cur.execute(sql, [cat, size])
            done += size
        cur.execute(f"ANALYZE {table}")
    print(json.dumps({"inserted": n, "seconds": round(time.perf_counter() - t0, 1)}))


def _screen_box(
    lat: float, lng: float, zoom: int, width_px: int = 1920, height_px: int = 1080
) -> list[float]:
    import math

    w = width_px * 360 / (256 * 2**zoom)
    h = height_px * 360 / (256 * 2**zoom) * math.cos(math.radians(lat))
    return [lng - w / 2, lat - h / 2, lng + w / 2, lat + h / 2]


def _internal_time(runs: int) -> None:
    from django.db import connection

    from wangge.accounts.roles import Role
    from wangge.command import cells
    from wangge.command.schemas import MapClustersOut
    from wangge.command.selectors import LIVE_STATES, case_clusters
    from wangge.testing import make_user

    t0 = time.perf_counter()
    built = cells.rebuild()
    rebuild_s = round(time.perf_counter() - t0, 2)
    with connection.cursor() as cur:
        cur.execute("SELECT level, count(*) FROM command_casecell GROUP BY level ORDER BY level")
        rows_per_level = dict(cur.fetchall())
    from wangge.accounts.models import User

    admin = User.objects.filter(username="bench-map-admin").first() or make_user(
        Role.ADMIN, username="bench-map-admin"
    )
    centre = (SOUTH + SIZE / 2, WEST + SIZE / 2)
    town = (SOUTH + SIZE * ((3 * 0.6180339887) % 1), WEST + SIZE * ((3 * 0.7548776662) % 1))
    cases: list[tuple[str, list[float], int]] = [
        (
            "district (whole, padded)",
            [WEST - 0.05, SOUTH - 0.05, WEST + SIZE + 0.05, SOUTH + SIZE + 0.05],
            11,
        ),
        ("district screen z12", _screen_box(*centre, 12), 12),
        ("district screen z13", _screen_box(*centre, 13), 13),
        ("street screen z14", _screen_box(*town, 14), 14),
        ("community screen z15", _screen_box(*town, 15), 15),
        ("grid screen z16", _screen_box(*town, 16), 16),
        ("grid screen z17", _screen_box(*town, 17), 17),
        ("building screen z18", _screen_box(*town, 18), 18),
        ("edge of district z13", _screen_box(SOUTH, WEST, 13), 13),
        ("phone 360x640 z15", _screen_box(*centre, 15, 360, 640), 15),
    ]
    results = []
    for label, box, zoom in cases:
        bbox = ",".join(f"{x:.6f}" for x in box)
        times = []
        out: dict[str, Any] = {}
        for _ in range(runs):
            t = time.perf_counter()
            out = case_clusters(viewer=admin, bbox=bbox, zoom=zoom)
            json.dumps(MapClustersOut.model_validate(out).model_dump(mode="json"))
            times.append((time.perf_counter() - t) * 1000)
        west, south, east, north = out["box"]
        ceiling = []
        raw = 0
        for _ in range(runs):
            t = time.perf_counter()
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT count(*) FROM appeals_appeal WHERE lng >= %s AND lng < %s AND lat >= %s AND lat < %s"
                    " AND state = ANY(%s)",
                    [west, east, south, north, LIVE_STATES],
                )
                raw = cur.fetchone()[0]
            ceiling.append((time.perf_counter() - t) * 1000)
        added = sum(c["n"] for c in out["clusters"]) + len(out.get("cases") or [])
        results.append(
            {
                "box": label,
                "zoom": zoom,
                "mode": out["mode"],
                "level": out["level"],
                "clusters": len(out["clusters"]) or len(out.get("cases") or []),
                "cases_in_box": raw,
                "counts_add_up": added == raw,
                "map_ms_p50": round(statistics.median(times), 1),
                "map_ms_max": round(max(times), 1),
                "bare_count_ms_p50": round(statistics.median(ceiling), 1),
            }
        )
    print(
        json.dumps(
            {"rebuild": {**built, "wall_s": rebuild_s, "rows_per_level": rows_per_level}, "results": results}
        )
    )


def _self(env: dict[str, str], *args: str) -> str:
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    done = subprocess.run(cmd, env=env, cwd=ROOT, text=True, capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def _last_json(text: str) -> Any:
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"no JSON in output: {text[-500:]}")


def main(argv: list[str]) -> None:
    if argv and argv[0] == "_seed":
        _internal_seed(int(argv[1]))
        return
    if argv and argv[0] == "_time":
        _internal_time(int(argv[1]))
        return
    p = argparse.ArgumentParser(prog="wangge bench map")
    p.add_argument("--cases", type=int, default=1_000_000)
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--keep", type=int, default=0)
    p.add_argument("--reuse", type=int, default=0, help="time again on the database a keep=1 run left")
    p.add_argument(
        "--pg-url",
        default=os.environ.get("WANGGE_BENCH_MAP_PG", "postgres://postgres@127.0.0.1:5432/wangge_bench_map"),
    )
    args = p.parse_args([a if a.startswith("--") else f"--{a.replace('_', '-')}" for a in argv if a != "--"])
    import tempfile

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        env = scratch_env("pg", args.pg_url, Path(tmp))
        if not args.reuse:
            recreate_pg(args.pg_url)
        try:
            if not args.reuse:
                subprocess.run(
                    [str(BIN / "wangge"), "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True
                )
            migrated = time.perf_counter()
            if not args.reuse:
                seeded = _last_json(_self(env, "_seed", str(args.cases)))
                print(f"seeded {seeded['inserted']:,} cases in {seeded['seconds']} s", flush=True)
            found = _last_json(_self(env, "_time", str(args.runs)))
        finally:
            if not args.keep:
                drop_pg(args.pg_url)
    reb = found["rebuild"]
    print(
        f"cell table rebuilt: {reb['cases']:,} located cases in {reb['wall_s']} s; rows per level {reb['rows_per_level']}"
    )
    print(f"{'box':28} {'zoom':>4} {'mode':>8} {'lvl':>3} {'clus':>5} {'cases':>9} {'sum ok':>6} "
          f"{'map p50':>8} {'map max':>8} {'bare count p50':>14}")  # fmt: skip
    for r in found["results"]:
        print(
            f"{r['box']:28} {r['zoom']:>4} {r['mode']:>8} {r['level']:>3} {r['clusters']:>5} {r['cases_in_box']:>9,} "
            f"{'yes' if r['counts_add_up'] else 'NO':>6} {r['map_ms_p50']:>7}ms {r['map_ms_max']:>7}ms "
            f"{r['bare_count_ms_p50']:>13}ms"
        )
    p50s = [r["map_ms_p50"] for r in found["results"]]
    print(f"median of the per-box medians: {statistics.median(p50s):.1f} ms; worst median {max(p50s):.1f} ms; "
          f"all counts add up: {all(r['counts_add_up'] for r in found['results'])}; "
          f"migrate {migrated - t0:.0f} s, total {time.perf_counter() - t0:.0f} s")  # fmt: skip
    print(json.dumps(found))


if __name__ == "__main__":  # ``python bench/map.py …`` (also how the internal steps run)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings")
    import django

    django.setup()
    main(sys.argv[1:])
