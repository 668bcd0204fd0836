"""Background jobs: started from the API, polled for progress, claimed once, resumable after a failure."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.core import jobs
from wangge.core.models import AuditLog, Job
from wangge.testing import api_client, make_user

pytestmark = pytest.mark.django_db


def counting(ctx: jobs.JobContext) -> dict[str, int]:
    """A resumable job: counts to ``params.n`` one audit row at a time, failing once at ``params.fail_at``."""
    n, fail_at = ctx.params["n"], ctx.params.get("fail_at")
    start = ctx.cursor.get("next", 0)
    for i in range(start, n):
        if i == fail_at and not AuditLog.objects.filter(object_type="failed-once").exists():
            AuditLog.objects.create(action="other", object_type="failed-once")
            raise RuntimeError(f"stopped at {i}")
        AuditLog.objects.create(action="other", object_type="count", object_id=str(i))
        ctx.save_cursor(next=i + 1)
        ctx.progress(i + 1, n, f"{i + 1}/{n}")
    return {"counted": n - start}


@pytest.fixture
def counting_kind(monkeypatch: Any, settings: Any) -> None:
    settings.WANGGE_JOBS_INLINE = True
    monkeypatch.setitem(jobs.KINDS, "count", jobs.JobKind("wangge.core.tests.test_jobs:counting", "数数"))


def test_admin_starts_a_rollup_rebuild_and_polls_it_to_done(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.WANGGE_JOBS_INLINE = True
    admin = api_client(make_user(Role.ADMIN))
    with django_capture_on_commit_callbacks(execute=True):
        res = admin.post("/api/v1/jobs", {"kind": "rollup_rebuild"}, content_type="application/json")
    assert res.status_code == 202, res.content
    assert res.json()["state"] == "queued"
    body = admin.get(f"/api/v1/jobs/{res.json()['id']}").json()
    assert body["state"] == "done" and body["percent"] == 100 and "rows" in body["result"]
    assert body["started_at"] and body["finished_at"]


def test_job_api_errors(settings: Any) -> None:
    settings.WANGGE_JOBS_INLINE = True
    admin_user = make_user(Role.ADMIN)
    admin = api_client(admin_user)
    res = admin.post("/api/v1/jobs", {"kind": "nope"}, content_type="application/json")
    assert res.status_code == 422 and res.json()["errors"][0]["field"] == "kind"
    worker = api_client(make_user(Role.GRID_WORKER))
    res = worker.post("/api/v1/jobs", {"kind": "rollup_rebuild"}, content_type="application/json")
    assert res.status_code == 403
    job = Job.objects.create(kind="rollup_rebuild", created_by=admin_user)
    # Someone else's job is as missing as a job that does not exist.
    assert worker.get(f"/api/v1/jobs/{job.pk}").status_code == 404
    assert admin.get("/api/v1/jobs/999999").status_code == 404
    assert admin.post(f"/api/v1/jobs/{job.pk}/retry").status_code == 422  # only failed jobs are retried


def test_a_failed_job_keeps_its_cursor_and_a_retry_resumes_there(
    counting_kind: None, django_capture_on_commit_callbacks: Any
) -> None:
    admin_user = make_user(Role.ADMIN)
    admin = api_client(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.job_start(kind="count", params={"n": 5, "fail_at": 3}, by=admin_user)
    body = admin.get(f"/api/v1/jobs/{job.pk}").json()
    assert body["state"] == "failed" and body["error"] == "RuntimeError: stopped at 3"
    assert (body["done"], body["total"], body["percent"]) == (3, 5, 60)
    with django_capture_on_commit_callbacks(execute=True):
        res = admin.post(f"/api/v1/jobs/{job.pk}/retry")
    assert res.status_code == 202
    body = admin.get(f"/api/v1/jobs/{job.pk}").json()
    assert body["state"] == "done" and body["result"] == {"counted": 2} and body["percent"] == 100
    # Every number counted exactly once across the two runs.
    counted = sorted(AuditLog.objects.filter(object_type="count").values_list("object_id", flat=True))
    assert counted == ["0", "1", "2", "3", "4"]
    assert Job.objects.get(pk=job.pk).attempts == 2


def test_a_job_runs_once_and_a_stale_one_is_taken_over_fencing_the_old_run(counting_kind: None) -> None:
    job = Job.objects.create(kind="count", params={"n": 2})
    assert jobs.execute(job.pk) is True
    assert jobs.execute(job.pk) is False  # delivered twice: runs once
    assert AuditLog.objects.filter(object_type="count").count() == 2

    stale = Job.objects.create(kind="count", params={"n": 1})
    token = jobs._claim(stale.pk)
    assert token == 1
    old = jobs.JobContext(Job.objects.get(pk=stale.pk), token)
    assert jobs.execute(stale.pk) is False  # its heartbeat is fresh: nobody takes it
    Job.objects.filter(pk=stale.pk).update(heartbeat_at=timezone.now() - jobs.STALE - dt.timedelta(seconds=1))
    assert jobs.execute(stale.pk) is True  # presumed dead: taken over and finished
    with pytest.raises(jobs.JobFenced):
        old.progress(1, 1)
    row = Job.objects.get(pk=stale.pk)
    assert (row.state, row.attempts, row.done) == (Job.State.DONE, 2, 1)


def test_the_progress_page_polls_until_the_job_ends(client: Any) -> None:
    admin_user = make_user(Role.ADMIN)
    other = make_user(Role.ADMIN)
    job = Job.objects.create(
        kind="rollup_rebuild", created_by=admin_user, state=Job.State.RUNNING, done=3, total=4
    )
    client.force_login(admin_user)
    page = client.get(f"/core/jobs/{job.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "重建案件统计汇总" in html and "3 / 4" in html and 'hx-trigger="every 1s"' in html
    Job.objects.filter(pk=job.pk).update(state=Job.State.FAILED, error="RuntimeError: boom\nTraceback …")
    part = client.get(f"/core/jobs/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "every 1s" not in part and "RuntimeError: boom" in part and "Traceback" not in part
    assert "<html" not in part  # the htmx partial only
    # A grid worker may not see an administrator's job: 404 as for a missing one.
    client.force_login(make_user(Role.GRID_WORKER))
    assert client.get(f"/core/jobs/{job.pk}/").status_code == 404
    client.force_login(other)  # another administrator may look
    assert client.get(f"/core/jobs/{job.pk}/").status_code == 200


def test_a_job_whose_process_vanished_is_marked_failed_and_resumes_on_retry(
    counting_kind: None, django_capture_on_commit_callbacks: Any
) -> None:
    admin_user = make_user(Role.ADMIN)
    lost = Job.objects.create(kind="count", params={"n": 3}, created_by=admin_user, cursor={"next": 2})
    jobs._claim(lost.pk)
    fresh = Job.objects.create(kind="count", params={"n": 1})
    jobs._claim(fresh.pk)
    Job.objects.filter(pk=lost.pk).update(heartbeat_at=timezone.now() - jobs.STALE - dt.timedelta(seconds=1))
    assert jobs.reap(timezone.now()) == {"lost": 1}
    assert Job.objects.get(pk=fresh.pk).state == Job.State.RUNNING  # still beating: left alone
    assert Job.objects.get(pk=lost.pk).state == Job.State.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        jobs.job_retry(job_id=lost.pk, by=admin_user)
    row = Job.objects.get(pk=lost.pk)
    assert (row.state, row.result) == (Job.State.DONE, {"counted": 1})  # only number 2 was left to count
    assert jobs.reap(timezone.now()) is None
