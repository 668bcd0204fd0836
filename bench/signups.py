"""``wangge bench signups``: volunteer sign-ups under contention.

Many clients rush ONE task at once (the "recruit 6 volunteers for tomorrow 7–10 am" case, scaled up):
``--users`` distinct volunteers per task sign up through HTTP (``POST /api/v1/activities/{id}/signups``)
from ``--clients`` concurrent client threads against gunicorn (``--workers`` sync workers) on a throwaway
database — SQLite in a temporary data folder and/or a scratch PostgreSQL database (``pg_url``, dropped and
created; its name must start with ``wangge_bench``). Repeated for ``--tasks`` fresh tasks. Prints sign-ups
per second, p50/p99 latency, and checks the invariant: exactly ``capacity`` confirmed, the rest waitlisted,
no errors. Only 127.0.0.1 traffic.

Arguments as ``key=value`` (the ``wangge bench`` dispatcher passes them through)::

    wangge bench signups                                   # sqlite and pg, defaults below
    wangge bench signups backends=sqlite users=300 clients=16 tasks=2
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _harness import BIN, ROOT, Server, drop_pg, pct, recreate_pg, scratch_env

DEFAULTS: dict[str, Any] = {
    "backends": "sqlite,pg",
    "pg_url": "postgres://postgres@127.0.0.1:5432/wangge_bench_signups",
    "users": 400,
    "clients": 32,
    "capacity": 40,
    "tasks": 3,
    "workers": 4,
}


# --- the setup step, run in a child process configured for the scratch database ---------------------------


def _internal_setup(users: int, capacity: int, tasks: int) -> None:
    import datetime as dt

    from django.utils import timezone

    from wangge.accounts.models import ApiToken
    from wangge.accounts.roles import Role
    from wangge.accounts.services import token_create, user_create
    from wangge.testing import make_tree, make_user
    from wangge.volunteers.services import activity_create, member_for

    tree = make_tree()
    staff = make_user(Role.COMMUNITY_STAFF, tree.community, username="bench-staff")
    start = timezone.now() + dt.timedelta(days=1)
    ids = [
        activity_create(
            title=f"压测任务{i + 1}",
            area=tree.grid_a,
            starts_at=start,
            ends_at=start + dt.timedelta(hours=3),
            capacity=capacity,
            by=staff,
        ).pk
        for i in range(tasks)
    ]
    tokens = []
    for i in range(users):
        user = user_create(username=f"bench-vol{i}", password=None, role=Role.VOLUNTEER)
        member_for(user)  # volunteers who already have a profile
        tokens.append(token_create(user=user))
    # Signed-in apps: tokens used a moment ago, so the rush measures the sign-up, not the first token touch.
    ApiToken.objects.update(last_used_at=timezone.now())
    print(json.dumps({"tokens": tokens, "activities": ids}))


# --- driver ----------------------------------------------------------------------------------------------


def _parse(argv: list[str]) -> dict[str, Any]:
    opts = dict(DEFAULTS)
    for arg in argv:
        key, _, value = arg.lstrip("-").partition("=")
        key = key.replace("-", "_")
        if key not in opts:
            raise SystemExit(f"unknown option {key!r}; known: {', '.join(opts)}")
        opts[key] = type(DEFAULTS[key])(value)
    return opts


def _rush(port: int, activity_id: int, tokens: list[str], clients: int) -> tuple[float, list[float], Counter]:
    """All ``tokens`` sign up for one task, ``clients`` at a time, released together by a barrier."""
    queue = list(tokens)
    lock = threading.Lock()
    latencies: list[float] = []
    outcomes: Counter = Counter()
    barrier = threading.Barrier(clients + 1)
    path = f"/api/v1/activities/{activity_id}/signups"

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        seen: Counter = Counter()
        barrier.wait()
        while True:
            with lock:
                if not queue:
                    break
                token = queue.pop()
            t0 = time.perf_counter()
            try:
                conn.request("POST", path, body=b"", headers={"Authorization": f"Bearer {token}"})
                resp = conn.getresponse()
                body = resp.read()
                detail = (
                    json.loads(body).get("status", "?")
                    if resp.status < 300
                    else body[:60].decode(errors="replace")
                )
                outcome = f"{resp.status}:{detail}"
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
            except OSError as exc:
                outcome = type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            mine.append((time.perf_counter() - t0) * 1000)
            seen[outcome] += 1
        with lock:
            latencies.extend(mine)
            outcomes.update(seen)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, latencies, outcomes


def bench(backend: str, opts: dict[str, Any]) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"wangge-bench-signups-{backend}-"))
    try:
        env = scratch_env(backend, opts["pg_url"], data_dir)
        if backend == "pg":
            recreate_pg(opts["pg_url"])
        subprocess.run(
            [str(BIN / "wangge"), "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True
        )
        out = subprocess.run(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "_setup",
                str(opts["users"]),
                str(opts["capacity"]),
                str(opts["tasks"]),
            ],
            env=env,
            cwd=ROOT,
            check=True,
            text=True,
            capture_output=True,
        ).stdout
        info = json.loads(out.strip().splitlines()[-1])
        server = Server(env, opts["workers"])
        seconds = 0.0
        latencies: list[float] = []
        outcomes: Counter = Counter()
        try:
            for activity_id in info["activities"]:
                s, lat, oc = _rush(server.port, activity_id, info["tokens"], opts["clients"])
                seconds += s
                latencies += lat
                outcomes += oc
                expected = Counter(
                    {"201:confirmed": opts["capacity"], "201:waitlisted": opts["users"] - opts["capacity"]}
                )
                if oc != expected:
                    print(f"  INVARIANT BROKEN on task {activity_id}: {dict(oc)} (expected {dict(expected)})")
        finally:
            server.stop()
        return {
            "backend": backend,
            "signups": len(latencies),
            "per_second": round(len(latencies) / seconds, 1) if seconds else 0.0,
            "p50_ms": round(pct(latencies, 50), 1),
            "p99_ms": round(pct(latencies, 99), 1),
            "max_ms": round(max(latencies), 1) if latencies else 0.0,
            "outcomes": dict(outcomes),
        }
    finally:
        if backend == "pg":
            with contextlib.suppress(Exception):  # best-effort clean-up
                drop_pg(opts["pg_url"])
        shutil.rmtree(data_dir, ignore_errors=True)


def _machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def main(argv: list[str]) -> None:
    if argv and argv[0] == "_setup":
        _internal_setup(int(argv[1]), int(argv[2]), int(argv[3]))
        return
    opts = _parse(argv)
    print(f"machine: {_machine()}")
    print(
        f"{opts['tasks']} tasks × {opts['users']} volunteers rushing one task each (capacity {opts['capacity']}), "
        f"{opts['clients']} concurrent clients, gunicorn {opts['workers']} workers",
        flush=True,
    )
    for backend in [b.strip() for b in opts["backends"].split(",") if b.strip()]:
        r = bench(backend, opts)
        print(
            f"signups [{backend}]: {r['per_second']}/s  p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms  "
            f"max {r['max_ms']} ms  ({r['signups']} requests; {r['outcomes']})",
            flush=True,
        )


if __name__ == "__main__":  # ``python bench/signups.py …`` (also how the setup step runs)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings")
    import django

    django.setup()
    main(sys.argv[1:])
