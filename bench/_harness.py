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

    def __init__(self, env: dict[str, str], workers: int, threads: int = 1) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "wangge.wsgi:application",
                f"--workers={workers}",
                f"--threads={threads}",
                f"--bind=127.0.0.1:{self.port}",
                "--log-level=warning",
                "--backlog=2048",
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
