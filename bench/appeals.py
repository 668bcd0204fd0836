"""``wangge bench appeals``: the case loop under load.

(0) By default: **the ceiling run** (docs/performance.md). Wangge's ``POST /api/v1/appeals`` and a bare
    Django + django-ninja endpoint (``bench/bare/``: validate a small body, insert one row) are served at
    once on scratch PostgreSQL databases with the same gunicorn settings (``--workers`` sync workers by
    default: they spread requests evenly, gthread workers keep connections where they were accepted), and
    loaded in turn by wrk (Debian package; installed here when missing and root) over ``--rounds``
    interleaved rounds of ``--seconds``: both throughputs, p50/p99, the ratio, and CPU per request of the
    gunicorn processes and the PostgreSQL backends (from /proc, before/after each round).
(a) ``backends=pg,sqlite``: case submissions per second from ``--clients`` Python client threads against
    gunicorn on a scratch PostgreSQL database (``--pg-url``, dropped and created) and on SQLite.
(b) ``metrics=1``: ``GET /api/v1/metrics/appeals`` for a district with ``--cases`` (default 1,000,000)
    synthetic cases bulk-inserted with one ``INSERT … SELECT generate_series``, then the metrics rollup
    rebuilt (``wangge appeals_rollup --rebuild``): p50/p99 over ``--metrics-runs`` requests, for the whole
    year and for the last 30 days.

Only 127.0.0.1 traffic. Examples::

    wangge bench appeals                                   # the ceiling run, 5 rounds × 10 s
    wangge bench appeals seconds=6 rounds=5 connections=16
    wangge bench appeals skip_ceiling=1 backends=pg metrics=1 cases=100000
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from _harness import (
    BIN,
    CLK_TCK,
    ROOT,
    Server,
    children,
    cpu_ticks,
    pct,
    pg_backends,
    recreate_pg,
    scratch_env,
)

DISTRICT = "320621"


# --- helpers run inside a subprocess configured for the scratch database ---------------------------------


def _internal_setup(clients: int) -> None:
    """Area tree, users and tokens for the load (prints JSON)."""
    from wangge.accounts.roles import Role
    from wangge.accounts.services import token_create
    from wangge.areas.models import Area, Level
    from wangge.areas.services import area_create
    from wangge.testing import make_tree, make_user

    tree = make_tree()
    district = tree.district
    for s in range(2, 6):
        code = f"{DISTRICT}{s:03d}"
        if not Area.objects.filter(code=code).exists():
            area_create(code=code, name=f"街道{s}", level=Level.STREET, parent=district, by=None)
    tokens = [token_create(user=make_user(Role.RESIDENT, username=f"bench{i}")) for i in range(clients)]
    boss = make_user(Role.DISTRICT, district, username="bench-district")
    lat, lng = tree.point_in(tree.grid_a)
    print(json.dumps({"tokens": tokens, "district_token": token_create(user=boss), "lat": lat, "lng": lng}))


def _internal_seed(n: int) -> None:
    """Bulk-insert ``n`` synthetic cases of the district over the last 360 days (PostgreSQL)."""
    from django.db import connection

    from wangge.appeals.models import Appeal, Category

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
        "description": "'bench case'",
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
    cats = list(Category.objects.filter(parent__isnull=False).values_list("pk", flat=True))
    sql = f"""
    INSERT INTO {Appeal._meta.db_table} ({", ".join(cols)})
    SELECT {", ".join(exprs)} FROM (
      SELECT now() - s.r1 * interval '360 days' AS reported_at,
             '{DISTRICT}' || lpad((1 + floor(s.r2 * 5))::int::text, 3, '0')
                 || lpad((1 + floor(s.r3 * 6))::int::text, 3, '0')
                 || lpad((1 + floor(s.r4 * 8))::int::text, 3, '0') AS area_code,
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
    t0 = time.perf_counter()
    batch = 250_000
    with connection.cursor() as cur:
        done = 0
        while done < n:
            size = min(batch, n - done)
            cur.execute(sql, [*params, size])
            done += size
        cur.execute(f"ANALYZE {Appeal._meta.db_table}")
    print(json.dumps({"inserted": n, "seconds": round(time.perf_counter() - t0, 1)}))


# --- orchestration ----------------------------------------------------------------------------------------


def _wangge(env: dict[str, str], *args: str, capture: bool = False) -> str:
    out = subprocess.run(
        [str(BIN / "wangge"), *args], env=env, cwd=ROOT, check=True, text=True, capture_output=capture
    )
    return out.stdout if capture else ""


def _self(env: dict[str, str], *args: str) -> str:
    """Run this file's internal step in a child process configured (by ``env``) for the scratch database."""
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


def _load(
    port: int, tokens: list[str], lat: float, lng: float, seconds: float, warmup: float
) -> dict[str, Any]:
    body_tpl = {
        "category": "SJ0101",
        "description": "楼道灯不亮",
        "lat": lat,
        "lng": lng,
        "channel": "resident_web",
    }
    stop_at = time.perf_counter() + warmup + seconds
    measure_from = time.perf_counter() + warmup
    lat_ms: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()

    def client(token: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        while True:
            t0 = time.perf_counter()
            if t0 >= stop_at:
                break
            body = json.dumps(body_tpl).encode()
            headers = {
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": uuid.uuid4().hex,
            }
            try:
                conn.request("POST", "/api/v1/appeals", body=body, headers=headers)
                resp = conn.getresponse()
                resp.read()
                status = resp.status
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
            except OSError as exc:
                status = type(exc).__name__  # type: ignore[assignment]
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            t1 = time.perf_counter()
            if t0 >= measure_from:
                if status == 201:
                    mine.append((t1 - t0) * 1000)
                else:
                    with lock:
                        errors[str(status)] = errors.get(str(status), 0) + 1
        with lock:
            lat_ms.extend(mine)

    threads = [threading.Thread(target=client, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "ok": len(lat_ms),
        "per_second": round(len(lat_ms) / seconds, 1),
        "p50_ms": round(pct(lat_ms, 50), 1),
        "p99_ms": round(pct(lat_ms, 99), 1),
        "errors": errors,
    }


def bench_submissions(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"wangge-bench-{backend}-"))
    try:
        env = scratch_env(backend, args.pg_url, data_dir)
        if backend == "pg":
            recreate_pg(args.pg_url)
        _wangge(env, "migrate", "--noinput", "-v", "0")
        info = _last_json(_self(env, "_setup", str(args.clients)))
        server = Server(env, args.workers, args.threads)
        try:
            result = _load(server.port, info["tokens"], info["lat"], info["lng"], args.seconds, args.warmup)
        finally:
            server.stop()
        result.update(
            backend=backend,
            workers=args.workers,
            threads=args.threads,
            clients=args.clients,
            seconds=args.seconds,
            load=_loadavg(),
        )
        return result
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


WRK_LUA = r"""
-- POST one case per request: JSON body, bearer token and a fresh Idempotency-Key (from the environment).
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end
function init(args)
  n = 0
  run = os.getenv("WG_RUN") or "r"
  path = os.getenv("WG_PATH")
  body = os.getenv("WG_BODY")
  token = os.getenv("WG_TOKEN") or ""
end
function request()
  n = n + 1
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = string.format("%s-%d-%d", run, tid, n),
  }, body)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests": %d, "duration_us": %d, "non2xx": %d, "socket_errors": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def ensure_wrk() -> str:
    """wrk (a native load generator: the client must not eat the server's CPU), from Debian."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk (apt-get install -y wrk) …", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, capture_output=True)
        if shutil.which("wrk") is None:
            subprocess.run(["apt-get", "update", "-q"], check=False, capture_output=True)
            subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, capture_output=True)
        found = shutil.which("wrk")
        if found:
            return found
    raise SystemExit(
        "wrk is missing: install it with `sudo apt-get install -y wrk` (Debian/Ubuntu), then rerun"
    )


def _wrk(
    wrk: str, script: Path, port: int, path: str, body: str, token: str, run: str, args: argparse.Namespace
) -> dict[str, Any]:
    env = {**os.environ, "WG_PATH": path, "WG_BODY": body, "WG_TOKEN": token, "WG_RUN": run}
    cmd = [
        wrk,
        f"-t{args.wrk_threads}",
        f"-c{args.connections}",
        f"-d{args.seconds:g}s",
        "--timeout=10s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}",
    ]
    out = subprocess.run(cmd, env=env, text=True, capture_output=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith("WRK "):
            return dict(json.loads(line[4:]))
    raise RuntimeError(f"no summary from wrk: {out[-500:]}")


def _app_ticks(server: Server) -> dict[int, int]:
    pids = [server.proc.pid, *children(server.proc.pid)]
    return {pid: cpu_ticks(pid) for pid in pids}


def _db_ticks(pg_url: str) -> dict[int, int]:
    return {pid: cpu_ticks(pid) for pid in pg_backends(pg_url)}


def _spent(before: dict[int, int], after: dict[int, int]) -> int:
    """CPU ticks spent between two snapshots (a process born in between counts from zero)."""
    return sum(max(0, t - before.get(pid, 0)) for pid, t in after.items())


def bench_ceiling(args: argparse.Namespace) -> dict[str, Any]:
    """Wangge's submission beside the bare endpoint, both served at once on PostgreSQL with the same gunicorn
    settings, loaded in turn by wrk over interleaved rounds (bare first on even rounds, Wangge first on odd)."""
    wrk = ensure_wrk()
    bare_url = args.pg_url.rsplit("/", 1)[0] + "/" + args.pg_url.rsplit("/", 1)[1] + "_bare"
    data_dir = Path(tempfile.mkdtemp(prefix="wangge-bench-ceiling-"))
    servers: list[Server] = []
    try:
        env = scratch_env("pg", args.pg_url, data_dir)
        bare_env = scratch_env("pg", bare_url, data_dir)
        bare_env["DJANGO_SETTINGS_MODULE"] = "bare.settings"
        bare_env["PYTHONPATH"] = str(ROOT / "bench")
        recreate_pg(args.pg_url)
        recreate_pg(bare_url)
        _wangge(env, "migrate", "--noinput", "-v", "0")
        subprocess.run([sys.executable, "-m", "bare.make_table"], env=bare_env, cwd=ROOT, check=True)
        info = _last_json(_self(env, "_setup", "1"))
        body = json.dumps(
            {
                "category": "SJ0101",
                "description": "楼道灯不亮",
                "lat": info["lat"],
                "lng": info["lng"],
                "channel": "resident_web",
            },
            ensure_ascii=False,
        )
        wangge = Server(env, args.workers, args.threads)
        servers.append(wangge)
        bare = Server(
            bare_env, args.workers, args.threads, app="bare.wsgi:application", pythonpath=str(ROOT / "bench")
        )
        servers.append(bare)
        targets = {
            "wangge": (wangge, args.pg_url, info["tokens"][0]),
            "bare": (bare, bare_url, ""),
        }
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
            fh.write(WRK_LUA)
            script = Path(fh.name)
        warm = argparse.Namespace(**{**vars(args), "seconds": args.warmup})
        for name, (server, _url, token) in targets.items():  # warm-up: imports, connections, caches
            _wrk(wrk, script, server.port, "/api/v1/appeals", body, token, f"warm-{name}", warm)
        rounds: dict[str, list[dict[str, Any]]] = {"wangge": [], "bare": []}
        load_before = _loadavg()
        for r in range(args.rounds):
            order = ["bare", "wangge"] if r % 2 == 0 else ["wangge", "bare"]
            for name in order:
                server, url, token = targets[name]
                app0, db0 = _app_ticks(server), _db_ticks(url)
                res = _wrk(wrk, script, server.port, "/api/v1/appeals", body, token, f"{name}-{r}", args)
                app1, db1 = _app_ticks(server), _db_ticks(url)
                res["app_ticks"] = _spent(app0, app1)
                res["db_ticks"] = _spent(db0, db1)
                rounds[name].append(res)
                print(
                    f"  round {r + 1} {name:6}: {res['requests'] / (res['duration_us'] / 1e6):7.1f}/s"
                    f"  p50 {res['p50_us'] / 1000:6.1f} ms  p99 {res['p99_us'] / 1000:6.1f} ms"
                    f"  non-2xx {res['non2xx']}  socket errors {res['socket_errors']}",
                    flush=True,
                )
        out: dict[str, Any] = {"load_before": load_before, "load_after": _loadavg()}
        for name, runs in rounds.items():
            requests = sum(x["requests"] for x in runs)
            seconds = sum(x["duration_us"] for x in runs) / 1e6
            ok = requests - sum(x["non2xx"] for x in runs)
            ms_per_tick = 1000 / CLK_TCK
            out[name] = {
                "per_second": round(requests / seconds, 1),
                "p50_ms": round(statistics.median(x["p50_us"] for x in runs) / 1000, 1),
                "p99_ms": round(statistics.median(x["p99_us"] for x in runs) / 1000, 1),
                "p99_worst_ms": round(max(x["p99_us"] for x in runs) / 1000, 1),
                "app_cpu_ms": round(sum(x["app_ticks"] for x in runs) * ms_per_tick / max(ok, 1), 2),
                "db_cpu_ms": round(sum(x["db_ticks"] for x in runs) * ms_per_tick / max(ok, 1), 2),
                "requests": requests,
                "non2xx": sum(x["non2xx"] for x in runs),
                "socket_errors": sum(x["socket_errors"] for x in runs),
            }
        out["ratio"] = round(out["wangge"]["per_second"] / out["bare"]["per_second"], 2)
        return out
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def print_ceiling(out: dict[str, Any], args: argparse.Namespace) -> None:
    kind = (
        f"{args.workers} gthread workers × {args.threads} threads"
        if args.threads > 1
        else f"{args.workers} sync workers"
    )
    print(
        f"ceiling [pg, gunicorn {kind}, wrk {args.connections} connections, {args.rounds} interleaved rounds × "
        f"{args.seconds:g} s; load {out['load_before']} → {out['load_after']}]"
    )
    for name in ("bare", "wangge"):
        f = out[name]
        print(
            f"  {name:6}: {f['per_second']:7.1f}/s  p50 {f['p50_ms']} ms  p99 {f['p99_ms']} ms (worst round "
            f"{f['p99_worst_ms']} ms)  CPU/request app {f['app_cpu_ms']} ms + db {f['db_cpu_ms']} ms"
            f"  ({f['requests']} requests, non-2xx {f['non2xx']}, socket errors {f['socket_errors']})"
        )
    print(f"  Wangge/bare = {out['ratio']}  (target ≥ 0.4 with Wangge p99 < 100 ms at 16 connections)")


def _get_ms(port: int, path: str, token: str) -> tuple[float, int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    t0 = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return (time.perf_counter() - t0) * 1000, resp.status, body


def bench_metrics(args: argparse.Namespace) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="wangge-bench-metrics-"))
    try:
        env = scratch_env("pg", args.pg_url, data_dir)
        recreate_pg(args.pg_url)
        _wangge(env, "migrate", "--noinput", "-v", "0")
        info = _last_json(_self(env, "_setup", "1"))
        seeded = _last_json(_self(env, "_seed", str(args.cases)))
        # The metrics read the (grid, day) rollup that ``wangge tick`` keeps fresh: build it once after the
        # bulk insert (the seed bypasses the services).
        t0 = time.perf_counter()
        built = _last_json(_wangge(env, "appeals_rollup", "--rebuild", capture=True))
        out: dict[str, Any] = {
            "cases": args.cases,
            "insert_seconds": seeded["seconds"],
            "rollup_rows": built["rows"],
            "rollup_seconds": round(time.perf_counter() - t0, 1),
        }
        server = Server(env, args.workers)
        try:
            today = time.strftime("%Y-%m-%d")
            year_ago = time.strftime("%Y-%m-%d", time.localtime(time.time() - 366 * 86400))
            month_ago = time.strftime("%Y-%m-%d", time.localtime(time.time() - 30 * 86400))
            for label, start in (("year", year_ago), ("30_days", month_ago)):
                path = "/api/v1/metrics/appeals?" + urlencode({"area": DISTRICT, "from": start, "to": today})
                times = []
                for i in range(args.metrics_runs + 2):
                    ms, status, body = _get_ms(server.port, path, info["district_token"])
                    if status != 200:
                        raise RuntimeError(f"metrics returned {status}: {body[:300]!r}")
                    if i >= 2:  # warm-up: worker imports, connection, plan cache
                        times.append(ms)
                figures = json.loads(body)
                out[label] = {
                    "reported": figures["reported"],
                    "p50_ms": round(statistics.median(times), 1),
                    "p99_ms": round(pct(times, 99), 1),
                    "score": figures["score"],
                    "load": _loadavg(),
                }
        finally:
            server.stop()
        return out
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _loadavg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def _machine() -> str:
    cpu = platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def _flag(arg: str) -> str:
    """``seconds=5`` → ``--seconds=5``; ``skip_metrics=1`` → ``--skip-metrics``."""
    if arg.startswith("-") or "=" not in arg:
        return arg
    key, value = arg.split("=", 1)
    key = key.replace("_", "-")
    if key in ("skip-metrics", "skip-ceiling", "metrics"):
        return f"--{key}" if value.lower() in {"1", "true", "yes"} else "--no-op"
    return f"--{key}={value}"


def main(argv: list[str]) -> None:
    if argv and argv[0] == "_setup":
        _internal_setup(int(argv[1]))
        return
    if argv and argv[0] == "_seed":
        _internal_seed(int(argv[1]))
        return
    p = argparse.ArgumentParser(prog="wangge bench appeals", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--backends",
        default="",
        help="also the older per-backend Python-client run: comma list of pg, sqlite",
    )
    p.add_argument("--connections", type=int, default=16, help="wrk connections (the ceiling run)")
    p.add_argument("--wrk-threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds of the ceiling run")
    p.add_argument("--skip-ceiling", action="store_true")
    p.add_argument(
        "--pg-url",
        default=os.environ.get("WANGGE_BENCH_PG", "postgres://postgres@127.0.0.1:5432/wangge_bench"),
    )
    p.add_argument("--workers", type=int, default=4, help="gunicorn workers (sync by default)")
    p.add_argument("--threads", type=int, default=1, help="> 1: gunicorn gthread workers")
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--seconds", type=float, default=10, help="per round and target")
    p.add_argument("--warmup", type=float, default=3)
    p.add_argument("--cases", type=int, default=1_000_000)
    p.add_argument("--metrics-runs", type=int, default=20)
    p.add_argument("--skip-metrics", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--metrics", action="store_true", help="also the metrics read on --cases synthetic cases")
    p.add_argument("--no-op", action="store_true", help=argparse.SUPPRESS)
    # ``wangge bench appeals seconds=5 cases=100000``: Django's parser owns ``--options``, so key=value works too.
    argv = [_flag(a) for a in argv if a != "--"]
    args = p.parse_args(argv)
    print(f"machine: {_machine()}")
    if not args.skip_ceiling:
        print_ceiling(bench_ceiling(args), args)
    results: list[dict[str, Any]] = []
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        r = bench_submissions(backend, args)
        results.append(r)
        kind = (
            f"{args.workers} gthread workers × {args.threads} threads"
            if args.threads > 1
            else (f"{args.workers} sync workers")
        )
        print(
            f"submissions [{backend}, gunicorn {kind}, {args.clients} clients, {args.seconds:g} s]: "
            f"{r['per_second']}/s  p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms  ok {r['ok']}  errors {r['errors']}"
            f"  load {r['load']}",
            flush=True,
        )
    if args.metrics and not args.skip_metrics:
        m = bench_metrics(args)
        print(
            f"metrics [pg, district {DISTRICT}, {m['cases']:,} cases inserted in {m['insert_seconds']} s, "
            f"rollup {m['rollup_rows']:,} rows rebuilt in {m['rollup_seconds']} s]:"
        )
        for label in ("year", "30_days"):
            f = m[label]
            print(
                f"  {label}: {f['reported']:,} cases in period  p50 {f['p50_ms']} ms  p99 {f['p99_ms']} ms"
                f"  load {f['load']}"
            )
    print("targets: ≥ 300 submissions/s with p99 < 100 ms on PostgreSQL; metrics p50 < 200 ms")


if __name__ == "__main__":  # ``python bench/appeals.py …`` (also how the internal steps run)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings")
    import django

    django.setup()
    main(sys.argv[1:])
