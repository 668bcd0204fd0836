"""``wangge visits_rollup``: rebuild the visit figures rollup (``VisitStat``, ``VisitorStat``) from the records."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand

from wangge.visits import rollup


class Command(BaseCommand):
    help = "Rebuild the visit figures rollup from the schedule's periods and the recorded visits."

    def handle(self, *args: Any, **options: Any) -> None:
        t0 = time.perf_counter()
        out: dict[str, Any] = dict(rollup.rebuild())
        out["seconds"] = round(time.perf_counter() - t0, 2)
        self.stdout.write(json.dumps(out))
