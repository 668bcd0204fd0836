"""``wangge bench patrols [grids=279] [buildings=30] [days=90] [grid_buildings=300] [runs=15]``: patrols.

(a) one batch of 500 track points (``POST /api/v1/patrols/{id}/points``) on a grid of ``grid_buildings``
    buildings: insert, duplicate check and the buildings passed (coverage);
(b) the coverage figures (``GET /api/v1/metrics/patrols``) for the whole district — ``grids`` grids of
    ``buildings`` buildings, one patrol a day for ``days`` days passing most of them — over the period.
Median of ``runs`` after one warm-up. Targets: (a) < 300 ms, (b) < 500 ms.

It never touches your database: it runs in a child process whose ``WANGGE_DATA_DIR`` is a fresh temporary
folder with its own SQLite file (or ``WANGGE_BENCH_DATABASE_URL``: a throwaway database, migrated and filled).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_BATCH_MS, TARGET_METRICS_MS = 300, 500


def _parse(argv: list[str]) -> argparse.Namespace:
    argv = [f"--{a}" if "=" in a and not a.startswith("-") else a for a in argv if a != "--"]
    p = argparse.ArgumentParser(prog="wangge bench patrols")
    p.add_argument("--grids", type=int, default=279)
    p.add_argument("--buildings", type=int, default=30)
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--grid_buildings", type=int, default=300)
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str]) -> None:
    args = _parse(argv)
    if args.child:
        _child(args)
        return
    with tempfile.TemporaryDirectory(prefix="wangge-bench-patrols-") as tmp:
        env = dict(os.environ)
        env["WANGGE_DATA_DIR"] = tmp
        env["DATABASE_URL"] = os.environ.get("WANGGE_BENCH_DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
        env["WANGGE_DEBUG"] = "0"
        cmd = [
            sys.executable,
            __file__,
            "--child",
            *[f"--{k}={v}" for k, v in vars(args).items() if k != "child"],
        ]
        out = subprocess.run(cmd, env=env, text=True, check=False)
        if out.returncode:
            raise SystemExit(out.returncode)


def _median(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def _child(args: argparse.Namespace) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings")
    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from wangge.accounts.models import Post, User
    from wangge.areas.models import Area, Level
    from wangge.patrols.models import Patrol, PatrolPass
    from wangge.registry.models import Building

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    rng = random.Random(8)
    district = Area.objects.create(code="320621", name="海安市", level=Level.DISTRICT)
    streets: dict[int, Area] = {}
    communities: dict[tuple[int, int], Area] = {}
    grids: list[Area] = []
    for i in range(args.grids):
        s, c, g = i // 100 + 1, (i // 10) % 10 + 1, i % 10 + 1
        if s not in streets:
            streets[s] = Area.objects.create(
                code=f"320621{s:03d}", name=f"第{s}街道", level=Level.STREET, parent=district
            )
        if (s, c) not in communities:
            communities[(s, c)] = Area.objects.create(
                code=f"320621{s:03d}{c:03d}", name=f"社区{s}-{c}", level=Level.COMMUNITY, parent=streets[s]
            )
        code = f"320621{s:03d}{c:03d}{g:03d}"
        grids.append(Area(code=code, name=f"网格{code[-6:]}", level=Level.GRID, parent=communities[(s, c)]))
    Area.objects.bulk_create(grids)
    grids = list(Area.objects.filter(level=Level.GRID).order_by("code"))
    users = User.objects.bulk_create(
        [User(username=f"gw{i:04d}", role="grid_worker", password="!") for i in range(len(grids))]
    )
    users = list(User.objects.filter(username__startswith="gw").order_by("username"))
    Post.objects.bulk_create(
        [Post(user=u, area=g, kind=Post.Kind.GRID_WORKER) for u, g in zip(users, grids, strict=True)]
    )
    district_user = User.objects.create(username="district", role="district", password="!")
    Post.objects.create(user=district_user, area=district, kind=Post.Kind.DISTRICT_STAFF)
    buildings = []
    for gi, g in enumerate(grids):
        n = args.grid_buildings if gi == 0 else args.buildings
        for b in range(n):
            buildings.append(
                Building(
                    area=g,
                    name=f"{b + 1}号楼",
                    address=f"{g.code}-{b + 1}",
                    lat=32.5 + (gi % 20) * 0.01 + (b // 20) * 0.0004,
                    lng=120.4 + (gi // 20) * 0.01 + (b % 20) * 0.0004,
                )
            )
    Building.objects.bulk_create(buildings, batch_size=5000)
    by_grid: dict[int, list[int]] = {}
    for bid, aid in Building.objects.values_list("pk", "area_id"):
        by_grid.setdefault(aid, []).append(bid)
    today = timezone.localdate()
    patrols: list[Patrol] = []
    for g, u in zip(grids, users, strict=True):
        for back in range(args.days, 0, -1):
            day = today - dt.timedelta(days=back)
            start = timezone.make_aware(dt.datetime.combine(day, dt.time(9)))
            patrols.append(
                Patrol(
                    area=g,
                    area_code=g.code,
                    worker=u,
                    client_id=f"b{day:%Y%m%d}",
                    state="done",
                    started_at=start,
                    ended_at=start + dt.timedelta(hours=1),
                )
            )
    Patrol.objects.bulk_create(patrols, batch_size=5000)
    passes: list[PatrolPass] = []
    n_passes = 0
    for pid, aid, code, started in Patrol.objects.values_list(
        "pk", "area_id", "area_code", "started_at"
    ).iterator():
        day = timezone.localdate(started)
        for bid in by_grid[aid]:
            if rng.random() < 0.8:
                passes.append(
                    PatrolPass(patrol_id=pid, building_id=bid, area_code=code, day=day, passed_at=started)
                )
        if len(passes) > 50_000:
            PatrolPass.objects.bulk_create(passes, batch_size=5000)
            n_passes, passes = n_passes + len(passes), []
    PatrolPass.objects.bulk_create(passes, batch_size=5000)
    n_passes += len(passes)
    print(
        f"patrols benchmark: {args.grids} grids, {len(buildings):,} buildings, {len(patrols):,} patrols and "
        f"{n_passes:,} passes over {args.days} days (filled in {time.perf_counter() - t0:.0f} s)"
    )

    # (a) batches of 500 points on the first grid (each batch new times, walking across its buildings).
    worker, grid = users[0], grids[0]
    c = Client()
    c.force_login(worker)
    r = c.post("/api/v1/patrols", {"client_id": "bench", "area": grid.code}, content_type="application/json")
    assert r.status_code == 201, r.content[:300]
    pid = r.json()["id"]
    started = Patrol.objects.get(pk=pid).started_at
    Patrol.objects.filter(pk=pid).update(started_at=started - dt.timedelta(hours=3))
    base = started - dt.timedelta(hours=3)
    counter = iter(range(10**9))

    def batch() -> None:
        pts = []
        for _ in range(500):
            k = next(counter)
            pts.append(
                {
                    "recorded_at": (base + dt.timedelta(milliseconds=20 * k)).isoformat(),
                    "lat": 32.5 + (k % 300) * 0.00003,
                    "lng": 120.4 + (k % 400) * 0.00002,
                    "accuracy_m": 5 + k % 70,
                }
            )
        resp = c.post(f"/api/v1/patrols/{pid}/points", {"points": pts}, content_type="application/json")
        assert resp.status_code == 200, resp.content[:300]

    batch_ms = _median(batch, args.runs)
    print(
        f"  (a) 500 points on a grid of {args.grid_buildings} buildings: median {batch_ms:.1f} ms "
        f"(target < {TARGET_BATCH_MS} ms) {'OK' if batch_ms < TARGET_BATCH_MS else 'SLOW'}"
    )
    d = Client()
    d.force_login(district_user)
    murl = f"/api/v1/metrics/patrols?area=320621&from={today - dt.timedelta(days=args.days)}&to={today}"
    r = d.get(murl)
    assert r.status_code == 200, r.content[:300]
    metrics_ms = _median(lambda: d.get(murl), args.runs)
    total = r.json()["total"]
    print(
        f"  (b) coverage figures for the district over {args.days} days: median {metrics_ms:.1f} ms "
        f"(target < {TARGET_METRICS_MS} ms; coverage {total['coverage']}, daily {total['daily_coverage']}) "
        f"{'OK' if metrics_ms < TARGET_METRICS_MS else 'SLOW'}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
