"""The periodic job (``wangge tick``): every context's time-driven work — case deadlines and escalation,
the metrics rollup, volunteer offers, wish lapses, missed visits, the SMS/WeChat outbox — in one place.

Each step is ``module:function`` taking ``now``; it is imported when it runs, and one step failing never stops
the others. A step that returns ``None`` has nothing to report.

Each step runs at most once per period (``every`` seconds, 60 by default): before it runs, the scheduler
claims the lease of ``(step, period)`` in the database (``wangge.core.leases``). Two ``tick --loop`` on two
servers, or two Celery beats started by mistake, therefore never run a period twice. The same steps are the
Celery beat schedule when a broker is configured (``wangge.celery``)."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from . import leases

log = logging.getLogger("wangge.tick")

DEFAULT_EVERY = 60

# (key in the result, "module:function"[, every N seconds]), in order: the rollup runs after the case loop's
# own writes so the figures include this tick's escalations and closings (with several schedulers the steps
# of one tick may run on different ones; the rollup then catches the escalations up one period later).
STEPS: list[tuple[str, str] | tuple[str, str, int]] = [
    ("appeals", "wangge.appeals.services:appeals_tick"),
    ("appeals_rollup", "wangge.appeals.rollup:tick"),
    ("wangge.volunteers.tasks", "wangge.volunteers.tasks:tick"),
    ("wangge.wishes.tasks", "wangge.wishes.tasks:tick"),
    ("wangge.pairing.tasks", "wangge.pairing.tasks:tick"),
    ("wangge.voting.tasks", "wangge.voting.tasks:tick"),
    ("wangge.visits.tasks", "wangge.visits.tasks:tick"),
    ("wangge.projects.tasks", "wangge.projects.tasks:tick", 3600),
    ("wangge.patrols.tasks", "wangge.patrols.tasks:tick", 600),
    ("wangge.attendance.tasks", "wangge.attendance.tasks:tick", 3600),  # closes last week's attendance
    (
        "visits_rollup",
        "wangge.visits.rollup:tick",
        86400,
    ),  # daily repair: the figures rebuilt from the records
    ("map_cells", "wangge.command.cells:tick", 600),  # the one map's case cells and layer links
    # Last month's (and last year's) scores, once the period has ended: a no-op once computed.
    ("assessment", "wangge.assessment.tasks:tick", 3600),
    ("outbox", "wangge.notifications.tasks:tick"),
    ("leases_prune", "wangge.core.leases:prune", 3600),
    ("jobs_reap", "wangge.core.jobs:reap", 300),
    ("job_files", "wangge.core.jobs_files:cleanup", 3600),  # expired export files of background jobs
    ("partitions", "wangge.core.partitions:tick", 86400),  # months ahead of the event tables (PostgreSQL)
]


@dataclass(frozen=True)
class Step:
    key: str
    target: str
    every: int = DEFAULT_EVERY


def steps() -> list[Step]:
    return [Step(*entry) for entry in STEPS]


def step_by_key(key: str) -> Step:
    for step in steps():
        if step.key == key:
            return step
    raise KeyError(key)


def _jsonable(result: Any) -> Any:
    try:
        return json.loads(json.dumps(result, cls=DjangoJSONEncoder))
    except (TypeError, ValueError):
        return repr(result)


def _call(step: Step, now: dt.datetime) -> tuple[bool, Any]:
    module, _, name = step.target.partition(":")
    try:
        return True, getattr(importlib.import_module(module), name)(now)
    except Exception as exc:
        log.exception("periodic step %s failed", step.key)
        return False, exc


def run_step(
    step: Step, now: dt.datetime | None = None, *, holder: str | None = None, force: bool = False
) -> tuple[bool, Any]:
    """Run one step for the period ``now`` falls in. Returns ``(ran, result)``: ``ran`` is False when another
    scheduler has this period; ``result`` is ``"error"`` when the step raised. ``force`` skips the lease
    (a manual repair run)."""
    now = now or timezone.now()
    if force:
        ok, result = _call(step, now)
        return True, result if ok else "error"
    claim = leases.claim(step.key, leases.period_key(now, step.every), holder=holder or leases.make_holder())
    if claim is None:
        return False, None
    ok, result = _call(step, now)
    stored = _jsonable(result) if ok else {"error": repr(result)[:500]}
    if not leases.finish(claim, ok=ok, result=stored):
        log.warning("periodic step %s for %s finished after its lease was taken over", step.key, claim.period)
    return True, result if ok else "error"


def run_all(
    now: dt.datetime | None = None, *, holder: str | None = None, force: bool = False
) -> dict[str, Any]:
    """Every step whose period this scheduler claims; steps another scheduler has are left out."""
    now = now or timezone.now()
    holder = holder or leases.make_holder()
    out: dict[str, Any] = {}
    for step in steps():
        ran, result = run_step(step, now, holder=holder, force=force)
        if ran and result is not None:
            out[step.key] = result
    return out
