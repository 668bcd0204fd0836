"""``wangge appeals_rollup [--rebuild]``: refresh (or rebuild) the metrics rollup (``AppealDailyStat``)."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from wangge.appeals import rollup


class Command(BaseCommand):
    help = "Refresh the case-loop metrics rollup (the days whose cases changed); --rebuild recomputes all."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="recompute every (grid, day) row")

    def handle(self, *args: Any, **options: Any) -> None:
        t0 = time.perf_counter()
        out = rollup.rebuild() if options["rebuild"] else rollup.refresh()
        out["seconds"] = round(time.perf_counter() - t0, 2)
        self.stdout.write(json.dumps(out))
