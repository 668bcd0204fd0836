"""``wangge bench visits [grids=279] [per_grid=100] [worker_households=500] [runs=15]``: household visits.

(a) the grid worker's today page (``/visits/today/``, rendered through the Django test client with the
    phone's location) for a worker whose grid has ``worker_households`` households and a year of visits;
(b) the visit figures (``GET /api/v1/metrics/visits``) for the whole district — ``grids`` grids of
    ``per_grid`` households each, a year of schedule (special households weekly, the others every 90 days,
    one period in ten missed) — for the year.
Median of ``runs`` after one warm-up. Targets: (a) < 100 ms, (b) < 200 ms.

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


def _parse(argv: list[str]) -> argparse.Namespace:
    argv = [f"--{a}" if "=" in a and not a.startswith("-") else a for a in argv if a != "--"]
    p = argparse.ArgumentParser(prog="wangge bench visits")
    p.add_argument("--grids", type=int, default=279)
    p.add_argument("--per_grid", type=int, default=100)
    p.add_argument("--worker_households", type=int, default=500)
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str]) -> None:
    args = _parse(argv)
    if args.child:
        _child(args)
        return
    with tempfile.TemporaryDirectory(prefix="wangge-bench-visits-") as tmp:
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


def _child(args: argparse.Namespace) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    worker, district_user, n_households, n_periods, n_visits = _fill(args)
    print(
        f"visits benchmark: {args.grids} grids, {n_households:,} households, {n_periods:,} periods and "
        f"{n_visits:,} visits over a year (filled in {time.perf_counter() - t0:.0f} s)"
    )
    from django.test import Client

    c = Client()
    c.force_login(worker)
    url = "/visits/today/?lat=32.5005&lng=120.4005"
    body = c.get(url).content.decode()
    assert "data-due=" in body, body[:500]
    today_ms = _median(lambda: c.get(url), args.runs)
    print(
        f"  (a) today page, worker with {args.worker_households} households: median {today_ms:.1f} ms "
        f"(target < 100 ms; {body.count('data-due=')} due on the page)"
    )
    d = Client()
    d.force_login(district_user)
    today = dt.date.today()
    murl = f"/api/v1/metrics/visits?area=320621&from={today - dt.timedelta(days=365)}&to={today}"
    r = d.get(murl)
    assert r.status_code == 200, r.content[:300]
    metrics_ms = _median(lambda: d.get(murl), args.runs)
    total = r.json()["total"]
    print(
        f"  (b) figures for the district over a year: median {metrics_ms:.1f} ms (target < 200 ms; "
        f"{total['due']:,} due, completion {total['completion']})"
    )


def _median(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def _fill(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from wangge.accounts.models import Post, User
    from wangge.areas.models import Area, Level
    from wangge.core import pii
    from wangge.registry.models import Building, House, Household, Tagging
    from wangge.visits.models import ScheduledVisit, Visit

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
    grids = Area.objects.bulk_create(grids)
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
        for b in range(10):
            buildings.append(
                Building(
                    area=g,
                    name=f"{b + 1}号楼",
                    address=f"{g.code}-{b + 1}",
                    lat=32.5 + (gi % 20) * 0.01 + b * 0.0002,
                    lng=120.4 + (gi // 20) * 0.01 + b * 0.0002,
                )
            )
    Building.objects.bulk_create(buildings, batch_size=2000)
    by_grid: dict[int, list[int]] = {}
    for bid, aid in Building.objects.values_list("pk", "area_id"):
        by_grid.setdefault(aid, []).append(bid)
    houses = []
    for gi, g in enumerate(grids):
        n = args.worker_households if gi == 0 else args.per_grid
        bids = by_grid[g.pk]
        houses += [House(building_id=bids[k % 10], entrance=1, room=f"{k}") for k in range(n)]
    House.objects.bulk_create(houses, batch_size=5000)
    Household.objects.bulk_create(
        [Household(house_id=h) for h in House.objects.values_list("pk", flat=True)], batch_size=5000
    )
    rows = list(Household.objects.values_list("pk", "house__building__area__code"))
    special = {hid for hid, _ in rows if rng.random() < 0.15}
    token = pii.tag_token("elderly_alone")
    Tagging.objects.bulk_create([Tagging(household_id=h, token=token) for h in special], batch_size=5000)
    worker_of = {g.code: u for g, u in zip(grids, users, strict=True)}

    today = timezone.localdate()
    start = today - dt.timedelta(days=365)
    periods: list[ScheduledVisit] = []
    visits: list[Visit] = []
    n_periods = n_visits = 0
    for hid, code in rows:
        every = 7 if hid in special else 90
        due = start + dt.timedelta(days=rng.randint(0, every - 1))
        while due + dt.timedelta(days=3) < today:
            sv = ScheduledVisit(
                household_id=hid,
                area_code=code,
                due_on=due,
                closes_on=due + dt.timedelta(days=3),
                every_days=every,
                special=hid in special,
                state="missed",
            )
            if rng.random() < 0.9:
                day = due + dt.timedelta(days=rng.randint(-1, 2))
                at = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
                visits.append(
                    Visit(
                        household_id=hid,
                        area_code=code,
                        visitor=worker_of[code],
                        client_id=f"b{hid}-{due:%Y%m%d}",
                        visited_at=at,
                        verified=True,
                    )
                )
                sv.state, sv.completed_on, sv.closed_at = "completed", day, at
                due = day + dt.timedelta(days=every)
            else:
                due = due + dt.timedelta(days=every)
            periods.append(sv)
        if len(periods) > 50_000:
            ScheduledVisit.objects.bulk_create(periods, batch_size=5000)
            Visit.objects.bulk_create(visits, batch_size=5000)
            n_periods, n_visits = n_periods + len(periods), n_visits + len(visits)
            periods, visits = [], []
    ScheduledVisit.objects.bulk_create(periods, batch_size=5000)
    Visit.objects.bulk_create(visits, batch_size=5000)
    n_periods, n_visits = n_periods + len(periods), n_visits + len(visits)
    from wangge.visits.services import schedule_tick

    # A missed period later made good by a visit is no longer a flag.
    ScheduledVisit.objects.filter(state="missed", due_on__lt=today - dt.timedelta(days=30)).update(
        resolved_at=timezone.now()
    )
    schedule_tick(timezone.now())  # every household's ready period
    from wangge.visits import rollup

    t0 = time.perf_counter()
    built = rollup.rebuild()  # the year was bulk-written: the figures rollup is rebuilt from it
    print(f"  figures rollup rebuilt from the records in {time.perf_counter() - t0:.1f} s ({built})")
    return users[0], district_user, len(rows), n_periods, n_visits


if __name__ == "__main__":
    main(sys.argv[1:])
