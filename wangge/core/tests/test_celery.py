"""Background work on Celery with Redis: a real worker (in this process) runs the jobs and the periodic steps.

Skipped only when Redis is unreachable on a developer's machine; in CI (``CI=true``) Redis must be there."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from wangge.accounts.roles import Role
from wangge.core import periodic
from wangge.core.models import AuditLog, Job, Lease
from wangge.testing import api_client, make_user

REDIS = os.environ.get("WANGGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def _redis_up() -> bool:
    host, _, rest = REDIS.removeprefix("redis://").partition(":")
    try:
        with socket.create_connection((host, int(rest.split("/")[0] or 6379)), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def worker(settings: Any) -> Iterator[Any]:
    if not _redis_up():
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required in CI ({REDIS})")
        pytest.skip(f"Redis is not reachable at {REDIS}")
    from celery.contrib.testing.worker import start_worker

    from wangge.celery import app

    queue = f"wangge-test-{os.getpid()}-{time.monotonic_ns()}"  # nobody else's worker takes our tasks
    settings.WANGGE_BROKER_URL = REDIS
    app.conf.update(broker_url=REDIS, task_default_queue=queue)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=20):
            yield app
    finally:
        import redis

        client = redis.Redis.from_url(REDIS)
        stale = [key for key in client.scan_iter(match=f"*{queue}*")]
        if stale:  # the queue and its bindings: leave the shared Redis as we found it
            client.delete(*stale)


def _wait(predicate: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting for the worker")


@pytest.mark.django_db(transaction=True)
def test_a_job_started_from_the_api_runs_on_the_celery_worker(worker: Any) -> None:
    client: Client = api_client(make_user(Role.ADMIN))
    res = client.post("/api/v1/jobs", {"kind": "rollup_rebuild"}, content_type="application/json")
    assert res.status_code == 202, res.content
    job_id = res.json()["id"]

    def finished() -> bool:
        return client.get(f"/api/v1/jobs/{job_id}").json()["state"] in ("done", "failed")

    _wait(finished)
    body = client.get(f"/api/v1/jobs/{job_id}").json()
    assert body["state"] == "done", body
    assert body["percent"] == 100 and "rows" in body["result"]
    assert Job.objects.get(pk=job_id).attempts == 1


@pytest.mark.django_db(transaction=True)
def test_a_step_sent_by_two_beats_runs_once_per_period(worker: Any, monkeypatch: Any) -> None:
    from wangge.celery import run_step

    monkeypatch.setattr(periodic, "STEPS", [("probe", "wangge.core.tests.test_leases:probe", 3600)])
    # Two beats each send the hourly step (the worker runs them one after the other on its solo pool).
    run_step.delay("probe")
    run_step.delay("probe")
    _wait(lambda: Lease.objects.filter(job="probe", state=Lease.State.DONE).exists())
    time.sleep(1.0)  # give the duplicate time to be consumed (and skipped)
    assert AuditLog.objects.filter(object_type="probe").count() == 1
    assert Lease.objects.filter(job="probe").count() == 1
    assert Lease.objects.get(job="probe").holder.startswith("celery:")


def test_the_beat_schedule_has_every_periodic_step_with_its_period() -> None:
    from wangge.celery import app, beat_schedule

    schedule = beat_schedule()
    assert set(schedule) == {f"step:{s.key}" for s in periodic.steps()}
    assert schedule["step:appeals"]["schedule"] == 60.0
    assert schedule["step:leases_prune"]["options"]["expires"] == 3600.0
    assert app.conf.beat_schedule == schedule
    assert app.conf.timezone == "UTC"


def test_the_worker_command_needs_a_broker(settings: Any) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.WANGGE_BROKER_URL = ""
    with pytest.raises(CommandError, match="WANGGE_BROKER_URL"):
        call_command("worker")
