"""A large registry import runs as a background job (core.jobs kind ``registry_import``) with a progress page;
a small one keeps the synchronous page (test_import.py). Same all-or-nothing import, same result shown."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from wangge.accounts.roles import Role
from wangge.core.models import Job
from wangge.registry import jobs as import_jobs
from wangge.registry.models import Resident
from wangge.testing import PASSWORD, make_user

from .test_import import row, xlsx


@pytest.fixture
def as_job(settings: Any) -> None:
    settings.WANGGE_REGISTRY_IMPORT_JOB_BYTES = 1000  # every workbook here is larger
    settings.WANGGE_JOBS_INLINE = True  # the job runs when the upload's transaction commits


def _client(user: Any) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


@pytest.mark.django_db(transaction=True)
def test_a_large_import_is_a_job_with_progress_and_the_same_result(tree: Any, as_job: None) -> None:
    user = make_user(Role.GRID_WORKER, tree.grid_a)
    c = _client(user)
    good = [row(tree.grid_a.code, n) for n in range(12)]
    data = xlsx(good)
    assert len(data) > import_jobs.job_bytes()
    resp = c.post("/registry/import/", {"file": SimpleUploadedFile("a.xlsx", data)}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 202
    job = Job.objects.get(kind="registry_import")
    assert resp["HX-Redirect"] == reverse("core:job", args=[job.pk])
    assert job.state == Job.State.DONE and job.created_by_id == user.pk
    assert job.result["ok"] is True and job.result["rows"] == 12
    assert (job.done, job.total, job.percent) == (12, 12, 100)
    assert Resident.objects.count() == 12
    # The stored upload (it holds ID numbers) is gone once imported.
    assert not list(import_jobs.excel.annotated_dir().glob(f"upload-{user.pk}-*"))
    page = c.get(reverse("core:job", args=[job.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and 'id="import-ok"' in html and "12" in html
    # Without htmx: a redirect to the same page.
    resp = c.post("/registry/import/", {"file": SimpleUploadedFile("a.xlsx", data)})
    assert resp.status_code == 303 and resp["Location"].startswith("/core/jobs/")
    # Someone else's job is 404, like a missing one.
    other = make_user(Role.GRID_WORKER, tree.grid_a, username="other-worker")
    assert _client(other).get(reverse("core:job", args=[job.pk])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_large_import_with_errors_imports_nothing_and_shows_every_error(tree: Any, as_job: None) -> None:
    user = make_user(Role.GRID_WORKER, tree.grid_a)
    c = _client(user)
    rows = [row(tree.grid_a.code, n) for n in range(12)]
    rows[3] = row(tree.grid_a.code, 3, 房号="")
    rows[7] = row(tree.grid_c.code, 7)  # outside the worker's grid
    resp = c.post("/registry/import/", {"file": SimpleUploadedFile("a.xlsx", xlsx(rows))})
    assert resp.status_code == 303
    job = Job.objects.get(kind="registry_import")
    assert job.state == Job.State.DONE and job.result["ok"] is False
    assert sorted(e["row"] for e in job.result["errors"]) == [5, 9]  # sheet rows: the header is row 1
    assert Resident.objects.count() == 0
    html = c.get(resp["Location"]).content.decode()
    assert "必填" in html and "该网格不在您的管辖范围内" in html and "/registry/import/annotated/" in html
    annotated = job.result["annotated"]
    assert c.get(f"/registry/import/annotated/{annotated}/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_an_unreadable_large_file_fails_the_job_with_the_reason(tree: Any, as_job: None) -> None:
    user = make_user(Role.GRID_WORKER, tree.grid_a)
    c = _client(user)
    resp = c.post("/registry/import/", {"file": SimpleUploadedFile("a.xlsx", b"not a workbook" * 200)})
    assert resp.status_code == 303
    job = Job.objects.get(kind="registry_import")
    assert job.state == Job.State.DONE and job.result["ok"] is False and job.result["file_error"]
    html = c.get(resp["Location"]).content.decode()
    assert 'id="import-file-error"' in html
