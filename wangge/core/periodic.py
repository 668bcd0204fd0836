"""The periodic job (``wangge tick``): every context's time-driven work — case deadlines and escalation,
the metrics rollup, volunteer offers, wish lapses, missed visits, the SMS/WeChat outbox — in one place.

Each step is ``module:function`` taking ``now``; it is imported when it runs, and one step failing never stops
the others. A step that returns ``None`` has nothing to report."""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from typing import Any

from django.utils import timezone

log = logging.getLogger("wangge.tick")

# (key in the result, "module:function"), in order: the rollup runs after the case loop's own writes so the
# figures include this tick's escalations and closings.
STEPS: list[tuple[str, str]] = [
    ("appeals", "wangge.appeals.services:appeals_tick"),
    ("appeals_rollup", "wangge.appeals.rollup:tick"),
    ("wangge.volunteers.tasks", "wangge.volunteers.tasks:tick"),
    ("wangge.wishes.tasks", "wangge.wishes.tasks:tick"),
    ("wangge.pairing.tasks", "wangge.pairing.tasks:tick"),
    ("wangge.visits.tasks", "wangge.visits.tasks:tick"),
    ("outbox", "wangge.notifications.tasks:tick"),
]


def run_all(now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    out: dict[str, Any] = {}
    for key, target in STEPS:
        module, _, name = target.partition(":")
        try:
            result = getattr(importlib.import_module(module), name)(now)
        except Exception:
            log.exception("periodic step %s failed", key)
            result = "error"
        if result is not None:
            out[key] = result
    return out
