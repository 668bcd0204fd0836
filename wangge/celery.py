"""Celery, used only when ``WANGGE_BROKER_URL`` is set (Redis, e.g. ``redis://127.0.0.1:6379/0``).

* ``celery -A wangge.celery worker`` (or ``wangge worker``) runs tasks: the periodic steps, and the jobs
  of ``wangge.core.jobs`` (rollup rebuilds, key rotation, the outbox) with progress in the ``Job`` row.
* ``celery -A wangge.celery beat`` (or ``wangge beat``) — ONE of it — schedules each periodic step of
  ``wangge.core.periodic.STEPS`` every ``every`` seconds. A second beat started by mistake only sends
  duplicates: the step's (job, period) lease lets one of them run. Stale step messages expire unsent.

All times are UTC (``CELERY_TIMEZONE``), the Django ``TIME_ZONE`` is for display only.
"""

from __future__ import annotations

import os
from typing import Any

import django
from celery import Celery
from django.apps import apps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings")
if not apps.ready:
    django.setup()

from wangge.core import jobs, periodic  # noqa: E402 - needs the app registry

app = Celery("wangge")
app.config_from_object("django.conf:settings", namespace="CELERY")


def beat_schedule() -> dict[str, dict[str, Any]]:
    return {
        f"step:{step.key}": {
            "task": "wangge.step",
            "schedule": float(step.every),
            "args": (step.key,),
            # A step message not picked up within its period is dropped: the next period catches up.
            "options": {"expires": float(step.every)},
        }
        for step in periodic.steps()
    }


app.conf.beat_schedule = beat_schedule()


@app.task(name="wangge.step", ignore_result=True)
def run_step(key: str) -> Any:
    """One periodic step for the current period (skipped when another worker's lease has it)."""
    ran, result = periodic.run_step(periodic.step_by_key(key), holder=f"celery:{run_step.request.hostname}")
    return {"ran": ran, "result": result if ran else None}


@app.task(name="wangge.job", ignore_result=True)
def run_job(job_id: int) -> bool:
    return jobs.execute(job_id)
