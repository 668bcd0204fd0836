"""``wangge worker [--beat]``: a Celery worker for the periodic steps and background jobs (needs
``WANGGE_BROKER_URL``). ``--beat`` also runs THE beat inside it: do that on one machine only."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Run a Celery worker (and, with --beat, the one scheduler) for Wangge's background work."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--beat", action="store_true", help="also schedule the periodic steps (ONE only)")
        parser.add_argument(
            "--concurrency", type=int, default=int(os.environ.get("WANGGE_WORKER_CONCURRENCY", "2"))
        )
        parser.add_argument("--loglevel", default="INFO")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.WANGGE_BROKER_URL:
            raise CommandError(
                "WANGGE_BROKER_URL is not set: without a broker `wangge tick --loop` does the work"
            )
        argv = [sys.executable, "-m", "celery", "-A", "wangge.celery", "worker"]
        argv += ["--loglevel", options["loglevel"], "--concurrency", str(options["concurrency"])]
        argv += ["--queues", settings.CELERY_TASK_DEFAULT_QUEUE]
        if options["beat"]:
            argv += ["--beat", "--schedule", settings.CELERY_BEAT_SCHEDULE_FILENAME]
        os.execv(sys.executable, argv)
