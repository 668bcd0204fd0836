"""``wangge bench locate``: point → grid look-ups per second.

(a) over the district demo's 279 grids (and 1,092 micro-grids), generated in memory from the demo geometry
    (or read from the database with ``--from-db`` when a district is loaded);
(b) over 10,000 synthetic grids (a 100 × 100 tiling).
For each: a loop of single ``GridIndex.locate`` calls and the vectorised ``locate_many``. Median of 5 runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from typing import Any

import numpy as np
import shapely
from shapely.geometry import box

from wangge.areas import geo
from wangge.demo.geometry import district_plan


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"shapely {shapely.__version__} (GEOS {shapely.geos_version_string})"
    )


def district_index(from_db: bool = False) -> geo.GridIndex:
    if from_db:
        from wangge.areas.selectors import build_index

        return build_index()
    plan = district_plan("district")
    nodes = plan.walk()
    grids = [(n.code, box(*n.bbox)) for n in nodes if n.level == "grid"]
    micros = [(n.code, box(*n.bbox)) for n in nodes if n.level == "microgrid"]
    return geo.GridIndex(grids, micros)


def synthetic_index(n_side: int = 100) -> geo.GridIndex:
    grids = []
    for r in range(n_side):
        for c in range(n_side):
            w, s = 110.0 + c * 0.005, 30.0 + r * 0.005
            grids.append((f"{r * n_side + c:015d}", box(w, s, w + 0.005, s + 0.005)))
    return geo.GridIndex(grids, [])


def _bounds(index: geo.GridIndex) -> tuple[float, float, float, float]:
    b = shapely.total_bounds(np.array(index.grid_geoms))
    return float(b[0]), float(b[1]), float(b[2]), float(b[3])


def _points(index: geo.GridIndex, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    w, s, e, nn = _bounds(index)
    # 5% margin outside so some points fall outside every grid, as real reports do.
    dx, dy = (e - w) * 0.05, (nn - s) * 0.05
    return rng.uniform(s - dy, nn + dy, n), rng.uniform(w - dx, e + dx, n)


def _median_rate(fn: Any, n: int, runs: int) -> float:
    rates = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        rates.append(n / (time.perf_counter() - t0))
    return statistics.median(rates)


def run(name: str, index: geo.GridIndex, single_n: int, many_n: int, runs: int) -> dict[str, float]:
    lats, lngs = _points(index, single_n, 1)
    plats, plngs = lats.tolist(), lngs.tolist()

    def single() -> None:
        locate = index.locate
        for lat, lng in zip(plats, plngs, strict=True):
            locate(lat, lng)

    mlats, mlngs = _points(index, many_n, 2)
    single_rate = _median_rate(single, single_n, runs)
    many_rate = _median_rate(lambda: index.locate_many(mlats, mlngs), many_n, runs)
    # Sanity: both paths agree on the grid for the same points.
    sample = min(2000, single_n)
    agree = index.locate_many(lats[:sample], lngs[:sample]) == [
        index.locate(a, b).grid_code for a, b in zip(plats[:sample], plngs[:sample], strict=True)
    ]
    print(
        f"{name:<34} grids {len(index):>6,}  single {single_rate:>12,.0f}/s  "
        f"locate_many {many_rate:>12,.0f}/s  {'agree' if agree else 'DISAGREE'}"
    )
    return {"single": single_rate, "many": many_rate}


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(prog="wangge bench locate")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--single", type=int, default=50_000, help="points per single-call run")
    parser.add_argument("--many", type=int, default=500_000, help="points per locate_many run")
    parser.add_argument("--from-db", action="store_true", help="use the grids in the database")
    args = parser.parse_args(argv or [])
    print(f"machine: {_machine()}")
    print(f"median of {args.runs} runs; {args.single:,} single calls, {args.many:,} points vectorised")
    results = {
        "district": run(
            "district demo (279 grids + micro)",
            district_index(args.from_db),
            args.single,
            args.many,
            args.runs,
        ),
        "synthetic": run("synthetic 100 × 100", synthetic_index(), args.single, args.many, args.runs),
    }
    worst = min(r["single"] for r in results.values())
    print(
        f"slowest single-call rate: {worst:,.0f}/s (target ≥ 20,000/s): {'OK' if worst >= 20_000 else 'BELOW'}"
    )
    return results


if __name__ == "__main__":  # `python bench/locate.py` works too (no database needed without --from-db)
    import sys

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings")
    django.setup()
    main(sys.argv[1:])
