"""``wangge bench figures``: the figures page's reads (``appeal_trend``, ``appeal_breakdown``) over a district
with ``--cases`` synthetic cases (default 1,000,000 over 360 days: ``bench/appeals.py``'s seed, then channels
and lead units spread at random), on a scratch PostgreSQL database (dropped and created, name must start
with ``wangge_bench``). Prints p50/p99 per read over ``--runs`` calls and the plan (EXPLAIN ANALYZE) of each
grouped query, so the index that serves it is visible.

    wangge bench figures
    wangge bench figures --cases 200000 --runs 10
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import appeals as appeals_bench
from _harness import drop_pg, pct, recreate_pg, scratch_env

DISTRICT = appeals_bench.DISTRICT


def _internal_run(runs: int) -> None:
    """In the child (scratch database): spread channels and units, rebuild the rollup, time and explain."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from wangge.accounts.models import Unit, User
    from wangge.appeals import rollup
    from wangge.appeals.metrics_breakdown import appeal_breakdown, appeal_trend
    from wangge.areas.models import Area

    district = Area.objects.get(code=DISTRICT)
    units = [
        Unit.objects.get_or_create(
            name=f"部门{i}", defaults={"kind": Unit.Kind.DEPARTMENT, "area": district}
        )[0].pk
        for i in range(8)
    ] + [
        Unit.objects.get_or_create(
            name=f"物业{i}", defaults={"kind": Unit.Kind.PROPERTY_COMPANY, "area": district}
        )[0].pk
        for i in range(12)
    ]
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE appeals_appeal SET channel = (ARRAY['resident_web','phone','snapshot','patrol',"
            "'hotline_12345','hotline_12345','staff_entry'])[1 + floor(random() * 7)::int], "
            f"lead_unit_id = CASE WHEN random() < 0.4 THEN (ARRAY{units})[1 + floor(random() * {len(units)})::int] END"
        )
        cur.execute("ANALYZE appeals_appeal")
    t0 = time.perf_counter()
    built = rollup.rebuild()
    rollup_s = round(time.perf_counter() - t0, 1)
    viewer = User.objects.get(username="bench-district")
    reads = {
        "trend 12 months (rollup)": lambda: appeal_trend(viewer=viewer, area=DISTRICT, months=12),
        "trend 12 months, 12345 (cases)": lambda: appeal_trend(
            viewer=viewer, area=DISTRICT, months=12, channel="hotline_12345"
        ),
    }
    for by in ("category", "channel", "unit"):
        reads[f"breakdown by {by}, 30 days"] = lambda by=by: appeal_breakdown(
            viewer=viewer, by=by, area=DISTRICT
        )
    reads["breakdown by unit, 360 days"] = lambda: appeal_breakdown(
        viewer=viewer, by="unit", area=DISTRICT, start=_days_ago(360)
    )
    reads["breakdown by category, one street, 30 days"] = lambda: appeal_breakdown(
        viewer=viewer, by="category", area=DISTRICT + "001"
    )
    out: dict[str, Any] = {"rollup_rows": built["rows"], "rollup_seconds": rollup_s, "reads": {}}
    for label, fn in reads.items():
        fn()  # warm
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t) * 1000)
        with CaptureQueriesContext(connection) as ctx:
            fn()
        grouped = max(ctx.captured_queries, key=lambda q: len(q["sql"]))["sql"]
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + grouped)
            plan = [r[0] for r in cur.fetchall()]
        out["reads"][label] = {
            "p50_ms": round(statistics.median(times), 1),
            "p99_ms": round(pct(times, 99), 1),
            "queries": len(ctx.captured_queries),
            "plan": [line for line in plan if "Scan" in line or "Index" in line or "Execution" in line],
        }
    out["load"] = os.getloadavg()
    print(json.dumps(out, ensure_ascii=False))


def _days_ago(days: int) -> str:
    import datetime as dt

    from django.utils import timezone

    return (timezone.localdate() - dt.timedelta(days=days)).isoformat()


def main(argv: list[str]) -> None:
    if argv and argv[0] == "_run":
        _internal_run(int(argv[1]))
        return
    p = argparse.ArgumentParser(prog="wangge bench figures", description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", type=int, default=1_000_000)
    p.add_argument("--runs", type=int, default=20)
    p.add_argument(
        "--pg-url",
        default=os.environ.get("WANGGE_BENCH_PG", "postgres://postgres@127.0.0.1:5432/wangge_bench_figures"),
    )
    p.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = p.parse_args(argv)
    recreate_pg(args.pg_url)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = scratch_env("pg", args.pg_url, Path(tmp))
            appeals_bench._wangge(env, "migrate", "--noinput", "-v", "0")
            appeals_bench._self(env, "_setup", "1")
            seeded = appeals_bench._last_json(appeals_bench._self(env, "_seed", str(args.cases)))
            print(f"seeded {seeded['inserted']:,} cases in {seeded['seconds']} s", flush=True)
            cmd = [sys.executable, str(Path(__file__).resolve()), "_run", str(args.runs)]
            import subprocess

            done = subprocess.run(cmd, env=env, cwd=appeals_bench.ROOT, text=True, capture_output=True)
            if done.returncode != 0:
                raise RuntimeError(done.stderr[-3000:])
            res = appeals_bench._last_json(done.stdout)
    finally:
        if not args.keep:
            drop_pg(args.pg_url)
    print(f"rollup {res['rollup_rows']:,} rows rebuilt in {res['rollup_seconds']} s; load {res['load']}")
    for label, r in res["reads"].items():
        print(f"  {label}: p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms  ({r['queries']} queries)")
        for line in r["plan"]:
            print(f"      {line}")


if __name__ == "__main__":  # ``python bench/figures.py …`` (also how the internal step runs)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings")
    import django

    django.setup()
    main(sys.argv[1:])
