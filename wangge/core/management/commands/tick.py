"""``wangge tick [--loop] [--interval 60]``: the periodic job (see ``wangge.core.periodic``). Run it from
``make run``, cron, or a Celery beat."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from wangge.core.periodic import run_all

log = logging.getLogger("wangge.tick")


class Command(BaseCommand):
    help = "Run the periodic job once, or every --interval seconds with --loop."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--loop", action="store_true", help="keep running")
        parser.add_argument("--interval", type=float, default=60.0, help="seconds between runs (with --loop)")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            started = time.monotonic()
            try:
                result = run_all()
                if options["verbosity"] >= 1:
                    self.stdout.write(json.dumps(result, ensure_ascii=False, default=str))
                    self.stdout.flush()
            except Exception:  # the loop must survive a bad run (a database restart, a bug in one app)
                log.exception("tick failed")
                if not options["loop"]:
                    raise
            if not options["loop"]:
                return
            close_old_connections()  # a long-running loop must not keep a broken or stale connection
            time.sleep(max(1.0, options["interval"] - (time.monotonic() - started)))
