"""``wangge serve --port N``: gunicorn on 127.0.0.1 (static files via whitenoise), plus the ``tick`` loop
(escalations, reminders) as a background process when that command exists. Stops both on exit.

With ``WANGGE_BROKER_URL`` set the background work belongs to Celery (``wangge worker``, one of them with
``--beat``): no tick loop is started then, unless ``--worker`` asks for a worker beside gunicorn."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from typing import Any

from django.conf import settings
from django.core.management import get_commands
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve Wangge with gunicorn (and run the background tick loop) until interrupted."
    # `make run` has just migrated (which ran the checks); skipping them here keeps a restart fast.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("WANGGE_HOST", "127.0.0.1"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WANGGE_WORKERS", "2")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("WANGGE_THREADS", "4")))
        parser.add_argument("--no-tick", action="store_true", help="do not start `wangge tick --loop`")
        parser.add_argument(
            "--worker",
            action="store_true",
            help="with a broker: also start a Celery worker (`wangge worker`)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "wangge.wsgi:application",
                "--preload",
                "--bind",
                f"{host}:{port}",
                "--workers",
                str(options["workers"]),
                "--threads",
                str(options["threads"]),
                "--worker-class",
                "gthread",
                "--timeout",
                "120",
                "--graceful-timeout",
                "5",
                "--log-level",
                "warning",
            ]
        )
        procs = [server]
        if getattr(settings, "WANGGE_BROKER_URL", ""):
            if options["worker"]:
                procs.append(subprocess.Popen([sys.executable, "-m", "wangge.cli", "worker"]))
        elif not options["no_tick"] and "tick" in get_commands():
            procs.append(subprocess.Popen([sys.executable, "-m", "wangge.cli", "tick", "--loop"]))

        stopping = []

        def _stop(signum: int, frame: Any) -> None:
            # Remembered as well as raised: a KeyboardInterrupt raised inside an import (while printing the
            # banner, say) can come out as another exception and be swallowed; the loop below still stops.
            stopping.append(signum)
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, _stop)
        # The address first, before anything that can be interrupted: a supervisor reads it from the log.
        self.stdout.write(f"Wangge: {url}")
        try:
            self._wait_ready(url, server)
            self.stdout.write(self.style.SUCCESS(f"Wangge 已启动: {url}  （Ctrl-C 停止）"))
            self._print_accounts()
            while server.poll() is None and not stopping:
                time.sleep(1)
            if stopping:
                raise KeyboardInterrupt
            self.stderr.write(f"gunicorn exited with code {server.returncode}")
        except KeyboardInterrupt:
            self.stdout.write("正在停止…")
        finally:
            for p in procs:
                if p.poll() is None:
                    p.terminate()
            for p in procs:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        if server.returncode not in (0, None, -signal.SIGTERM):
            sys.exit(server.returncode)

    def _wait_ready(self, url: str, server: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(url + "healthz", timeout=2) as resp:  # noqa: S310 - our own URL
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.2)

    def _print_accounts(self) -> None:
        """Print what apps want shown when the server starts (the demo app: its accounts). An app offers it
        as ``serve_banner()`` on its AppConfig, so core needs to know no app."""
        from django.apps import apps

        for config in apps.get_app_configs():
            banner = getattr(config, "serve_banner", None)
            if banner is None:
                continue
            try:
                text = banner()
            except Exception as exc:  # the database may not be migrated; serving still works
                text = f"({config.verbose_name}: {exc})"
            if text:
                self.stdout.write(text)
