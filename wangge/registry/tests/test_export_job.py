"""The resident export as a background job (``registry_export``): the same masked workbook as the synchronous
export, the requester's scope only, progress, the starter-only download under its Chinese name."""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from wangge.accounts.roles import Role
from wangge.core.audit import AuditLog
from wangge.core.models import Job
from wangge.testing import PASSWORD, api_client, make_user

from .factories import make_resident

FULL_ID = re.compile(r"\d{17}[\dX]")


@pytest.fixture
def inline(settings: Any, tmp_path: Any) -> None:
    settings.WANGGE_JOBS_INLINE = True
    settings.MEDIA_ROOT = str(tmp_path)


def _cells(content: bytes) -> list[list[Any]]:
    ws = load_workbook(BytesIO(content), read_only=True).worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]


@pytest.mark.django_db(transaction=True)
def test_the_page_starts_the_export_job_and_the_starter_downloads_it(tree: Any, inline: None) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    mine = [make_resident(tree.grid_a, name=f"张{i}号") for i in range(3)] + [
        make_resident(tree.grid_b, name="王乙")
    ]
    other = make_resident(tree.grid_c, name="赵丁")  # another community: out of scope
    c = Client()
    assert c.login(username=staff.username, password=PASSWORD)
    listing = c.get(reverse("registry:residents"))
    assert 'id="export-job-form"' in listing.content.decode()
    resp = c.post(reverse("registry:export_job") + "?area=" + tree.community.code)
    job = Job.objects.get(kind="registry_export")
    assert resp.status_code == 302 and resp["Location"] == reverse("core:job", args=[job.pk])
    assert job.state == Job.State.DONE and job.created_by_id == staff.pk, job.error
    assert (job.done, job.total, job.percent) == (4, 4, 100)
    assert "张" not in str(job.params)  # the filters are stored encrypted
    progress = c.get(reverse("core:job", args=[job.pk])).content.decode()
    assert 'id="job-download"' in progress and "居民名单.xlsx" in progress
    got = c.get(dict(job.result or {})["url"])
    assert got.status_code == 200
    assert f"filename*=UTF-8''{quote('居民名单.xlsx')}" in got["Content-Disposition"]
    rows = _cells(b"".join(got.streaming_content))  # type: ignore[attr-defined]
    names = {r[rows[0].index("姓名")] for r in rows[1:]}
    assert names == {r.name for r in mine} and other.name not in names
    flat = [str(v) for r in rows for v in r if v is not None]
    assert not any(FULL_ID.search(v) for v in flat)
    assert not any(r.phone in flat for r in mine)
    assert AuditLog.objects.filter(action="export", actor=staff, object_type="registry.resident").exists()
    # Someone else (same scope, or an administrator) gets 404.
    for who in (make_user(Role.COMMUNITY_STAFF, tree.community, username="peer"), make_user(Role.ADMIN)):
        assert api_client(who).get(f"/api/v1/jobs/{job.pk}/download").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_api_starts_the_export_job(tree: Any, inline: None) -> None:
    staff = make_user(Role.GRID_WORKER, tree.grid_a)
    make_resident(tree.grid_a, name="张甲")
    make_resident(tree.grid_b, name="王乙")  # another grid: out of this worker's scope
    client = api_client(staff)
    resp = client.post("/api/v1/residents/export-jobs", {"q": "张"}, content_type="application/json")
    assert resp.status_code == 202, resp.content
    out = resp.json()
    assert client.get(out["status_url"]).json()["state"] == "done"
    rows = _cells(b"".join(client.get(out["download_url"]).streaming_content))  # type: ignore[attr-defined]
    assert [r[rows[0].index("姓名")] for r in rows[1:]] == ["张甲"]
    resident = make_user(Role.RESIDENT, tree.grid_a, username="res")
    assert (
        api_client(resident)
        .post("/api/v1/residents/export-jobs", {}, content_type="application/json")
        .status_code
        == 403
    )
    bad = client.post("/api/v1/residents/export-jobs", {"q": "x" * 65}, content_type="application/json")
    assert bad.status_code == 422
