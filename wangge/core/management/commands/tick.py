"""``wangge tick [--loop] [--interval 60] [--force]``: the periodic job (see ``wangge.core.periodic``). Run it
from ``make run`` or cron; with a broker, Celery beat schedules the same steps instead (``wangge.celery``).
Each step claims its period's lease first, so a second scheduler running by mistake does no harm."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from wangge.core.leases import make_holder
from wangge.core.periodic import run_all

log = logging.getLogger("wangge.tick")


class Command(BaseCommand):
    help = "Run the periodic job once, or every --interval seconds with --loop."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--loop", action="store_true", help="keep running")
        parser.add_argument("--interval", type=float, default=60.0, help="seconds between runs (with --loop)")
        parser.add_argument(
            "--force", action="store_true", help="run every step now even if its period already ran (repairs)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        holder = make_holder("tick")
        while True:
            started = time.monotonic()
            try:
                result = run_all(holder=holder, force=options["force"])
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
