"""``wangge bench votes``: counting an owners' vote over a community of 20,000 houses with 15,000 ballots.

Builds the community on a throwaway database (a temporary SQLite, and/or a scratch PostgreSQL whose name
starts with ``wangge_bench``): 200 buildings × 4 entrances × 25 units, owners from the registry with 600
buyers of two or three units, couples co-owning units and the developer's unsold units; opens the vote
(freezing the electorate), inserts the ballots in bulk, then times ``voting.services.tally`` — the whole
count, database query included — several times and prints the median, with the machine and its load.

Arguments as ``key=value``::

    wangge bench votes                         # sqlite, 20,000 houses, 15,000 ballots, 7 runs
    wangge bench votes backends=sqlite,pg houses=20000 ballots=15000 runs=7
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _harness import BIN, ROOT, drop_pg, recreate_pg, scratch_env

DEFAULTS: dict[str, Any] = {
    "backends": "sqlite",
    "pg_url": "postgres://postgres@127.0.0.1:5432/wangge_bench_votes",
    "houses": 20000,
    "ballots": 15000,
    "runs": 7,
}


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
    return f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def _internal_run(houses: int, ballots: int, runs: int) -> None:
    """In the child process, on the scratch database: build, open, vote, count."""
    import datetime as dt
    import random
    from decimal import Decimal

    from django.utils import timezone

    from wangge.accounts.roles import Role
    from wangge.registry.models import Building, House, HouseOwner
    from wangge.testing import make_tree, make_user
    from wangge.voting import services
    from wangge.voting.models import Ballot, RuleSet, Voter

    rng = random.Random(278)
    tree = make_tree()
    staff = make_user(Role.COMMUNITY_STAFF, tree.community, username="bench-staff")
    per_building = 100  # 4 entrances × 25 units
    n_buildings = (houses + per_building - 1) // per_building
    Building.objects.bulk_create(
        [
            Building(area=tree.grid_a, name=f"{i + 1}号楼", address=f"东园{i + 1}号楼", entrances=4)
            for i in range(n_buildings)
        ]  # fmt: skip
    )
    buildings = list(Building.objects.order_by("id"))
    rows = []
    for i in range(houses):
        b = buildings[i // per_building]
        k = i % per_building
        area = Decimal(rng.choice([58, 72, 89, 96, 110, 128, 143])) + Decimal(rng.randint(0, 99)) / 100
        rows.append(House(building=b, entrance=k // 25 + 1, room=f"{k % 25 // 2 + 1}0{k % 2 + 1}",
                          exclusive_area=area))  # fmt: skip
    House.objects.bulk_create(rows, batch_size=5000)
    house_ids = list(House.objects.order_by("id").values_list("id", flat=True))
    owners = []
    person = 0
    i = 0
    unsold = set(house_ids[-300:])  # the developer's: no owner registered
    multi = 600  # buyers of 2–3 units
    while i < len(house_ids):
        hid = house_ids[i]
        if hid in unsold:
            i += 1
            continue
        person += 1
        span = rng.choice([2, 3]) if multi > 0 and rng.random() < 0.05 else 1
        multi -= span > 1
        for h in house_ids[i : i + span]:
            if h in unsold:
                continue
            owners.append(HouseOwner(house_id=h, name="业主", id_hash=f"{person:064x}"))
            if span == 1 and rng.random() < 0.2:  # a couple co-owning the unit
                owners.append(
                    HouseOwner(house_id=h, name="配偶", id_hash=f"c{person:063x}", share=Decimal("0.5"))
                )
        i += span
    HouseOwner.objects.bulk_create(owners, batch_size=5000)
    now = timezone.now()
    vote = services.vote_create(
        title="续筹专项维修资金", matter="raise_fund", area=tree.community,
        rule_set=RuleSet.objects.get(name="民法典（全国通用）"), opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(days=7), by=staff,
    )  # fmt: skip
    t0 = time.perf_counter()
    services.vote_open(vote=vote, by=staff)
    open_s = time.perf_counter() - t0
    voters = list(Voter.objects.filter(vote=vote).values_list("id", flat=True))
    chosen = rng.sample(voters, min(ballots, len(voters)))
    Ballot.objects.bulk_create(
        [
            Ballot(
                vote=vote,
                voter_id=v,
                choice=rng.choices(["approve", "reject", "abstain"], [70, 22, 8])[0],
                channel="online",
                cast_at=now,
            )
            for v in chosen
        ],  # fmt: skip
        batch_size=5000,
    )
    times = []
    result = None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = services.tally(vote)
        times.append(time.perf_counter() - t0)
    assert result is not None
    print(json.dumps({
        "houses": houses, "voters": len(voters), "ballots": len(chosen), "open_s": round(open_s, 3),
        "median_s": round(statistics.median(times), 4), "min_s": round(min(times), 4),
        "max_s": round(max(times), 4), "passed": result.passed, "failed": result.failed,
        "electorate": result.as_dict()["electorate"],
    }))  # fmt: skip


def _parse(argv: list[str]) -> dict[str, Any]:
    opts = dict(DEFAULTS)
    for arg in argv:
        key, _, value = arg.lstrip("-").partition("=")
        key = key.replace("-", "_")
        if key not in opts:
            raise SystemExit(f"unknown option {key!r}; known: {', '.join(opts)}")
        opts[key] = type(DEFAULTS[key])(value)
    return opts


def bench(backend: str, opts: dict[str, Any]) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="wangge-bench-votes-"))
    env = scratch_env(backend, opts["pg_url"], data_dir)
    try:
        if backend == "pg":
            recreate_pg(opts["pg_url"])
        subprocess.run(
            [str(BIN / "wangge"), "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True
        )
        out = subprocess.run(
            [str(BIN / "python"), str(Path(__file__).resolve()), "_run", str(opts["houses"]), str(opts["ballots"]),
             str(opts["runs"])],  # fmt: skip
            env=env, cwd=ROOT, check=True, capture_output=True, text=True,
        )  # fmt: skip
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if backend == "pg":
            drop_pg(opts["pg_url"])


def main(argv: list[str]) -> None:
    if argv and argv[0] == "_run":
        _internal_run(int(argv[1]), int(argv[2]), int(argv[3]))
        return
    opts = _parse(argv)
    print(f"machine: {_machine()}")
    for backend in [b.strip() for b in opts["backends"].split(",") if b.strip()]:
        before = _load()
        r = bench(backend, opts)
        print(
            f"votes [{backend}]: counting {r['houses']:,} houses ({r['voters']:,} counted owners), "
            f"{r['ballots']:,} ballots: median {r['median_s'] * 1000:.0f} ms over {opts['runs']} runs "
            f"(min {r['min_s'] * 1000:.0f}, max {r['max_s'] * 1000:.0f}); freezing the electorate "
            f"{r['open_s']:.2f} s; result passed={r['passed']} failed={r['failed']}",
            flush=True,
        )
        print(f"  {before} before; {_load()} after", flush=True)


if __name__ == "__main__":  # ``python bench/votes.py …`` (also how the child step runs)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings")
    import django

    django.setup()
    main(sys.argv[1:])
