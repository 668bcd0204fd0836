"""Plumbing shared by the HTTP benchmarks: a scratch database, a gunicorn server on 127.0.0.1, percentiles.

Imported as ``_harness`` (the ``wangge bench`` dispatcher puts ``bench/`` on ``sys.path``, as does running a
benchmark file directly)."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def scratch_env(backend: str, pg_url: str, data_dir: Path) -> dict[str, str]:
    """The environment of a child process that uses the scratch database (``pg``) or a temporary SQLite."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["WANGGE_DATA_DIR"] = str(data_dir)
    env["WANGGE_DEBUG"] = "0"
    if backend == "pg":
        env["DATABASE_URL"] = pg_url
    return env


def _admin_url(pg_url: str) -> tuple[str, str]:
    u = urlparse(pg_url)
    name = u.path.lstrip("/")
    if not name.startswith("wangge_bench"):
        raise SystemExit("refusing to drop a database whose name does not start with wangge_bench")
    return pg_url.replace(u.path, "/postgres"), name


def recreate_pg(pg_url: str) -> None:
    import psycopg

    admin, name = _admin_url(pg_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_pg(pg_url: str) -> None:
    import psycopg

    admin, name = _admin_url(pg_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """gunicorn on 127.0.0.1 with the given environment; ``threads`` > 1 makes it use gthread workers."""

    def __init__(
        self,
        env: dict[str, str],
        workers: int,
        threads: int = 1,
        app: str = "wangge.wsgi:application",
        pythonpath: str | None = None,
    ) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                app,
                f"--workers={workers}",
                f"--threads={threads}",
                f"--bind=127.0.0.1:{self.port}",
                "--log-level=warning",
                "--backlog=2048",
                *([f"--pythonpath={pythonpath}"] if pythonpath else []),
            ],
            env=env,
            cwd=ROOT,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of ``values``."""
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid: int) -> int:
    """utime + stime of one process, in clock ticks (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5), after "pid (comm)"


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (gunicorn's workers)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                out.append(int(entry.name))
    return out


def pg_backends(pg_url: str) -> list[int]:
    """The server processes of the connections to the database of ``pg_url``."""
    import psycopg

    admin, name = _admin_url(pg_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [name]).fetchall()
    return [int(r[0]) for r in rows]
