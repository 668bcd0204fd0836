"""Cases export (.xlsx/.csv) as a background job: the requester's scope only, the reporter masked as the case
pages mask it, Chinese headers and file name, progress, the starter-only download, expiry and clean-up."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import time
from typing import Any
from urllib.parse import quote

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.appeals import exports
from wangge.appeals.models import Appeal, Category, State
from wangge.core import jobs_files
from wangge.core.models import Job
from wangge.core.periodic import run_all
from wangge.testing import PASSWORD, Tree, api_client, make_user

from .conftest import ensure_categories

SH = dt.timezone(dt.timedelta(hours=8))


def _cases(tree: Tree, reporter: Any = None) -> dict[str, Appeal]:
    ensure_categories()  # a transactional test before this one flushed the seeded categories
    cat = Category.objects.filter(parent__isnull=False).order_by("code").first()
    assert cat is not None
    day = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0) - dt.timedelta(days=3)
    made = {
        "plain": dict(grid=tree.grid_a, reporter_name="张三丰", reporter_phone="13812345678"),
        "anonymous": dict(
            grid=tree.grid_a, reporter_name="李四", reporter_phone="13900001111", anonymous=True
        ),
        "closed_phone": dict(
            grid=tree.grid_b,
            reporter_name="王五",
            reporter_phone="13700002222",
            state=State.CLOSED,
            channel=Appeal.Channel.PHONE,
        ),
        "formula": dict(
            grid=tree.grid_a, reporter_name="赵六", reporter_phone="", description="=HYPERLINK(1)"
        ),
        "own": dict(grid=tree.grid_a, reporter_name="本人", reporter_phone="13600003333", reporter=reporter),
        "elsewhere": dict(grid=tree.grid_c, reporter_name="钱七", reporter_phone="13500004444"),
        "old": dict(grid=tree.grid_a, reporter_name="孙八", reporter_phone="13400005555", days_back=40),
    }
    out = {}
    for i, (key, f) in enumerate(made.items()):
        grid = f.pop("grid")
        back = f.pop("days_back", 0)
        f.setdefault("description", f"诉求{key}")
        f.setdefault("channel", Appeal.Channel.RESIDENT_WEB)
        out[key] = Appeal.objects.create(
            category=cat,
            grid=grid,
            area_code=grid.code,
            reported_at=day - dt.timedelta(days=back, minutes=i),
            **f,
        )
    return out


def _start(client: Any, **body: Any) -> Any:
    return client.post("/api/v1/exports/appeals", body, content_type="application/json")


@pytest.fixture
def inline(settings: Any, tmp_path: Any) -> None:
    settings.WANGGE_JOBS_INLINE = True  # the job runs when the request's transaction commits
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.mark.django_db(transaction=True)
def test_csv_export_is_scoped_masked_and_only_for_its_starter(tree: Tree, inline: None) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    cases = _cases(tree, reporter=staff)
    client = api_client(staff)
    resp = _start(client, fmt="csv")
    assert resp.status_code == 202, resp.content
    out = resp.json()
    job = Job.objects.get(pk=out["id"])
    assert job.kind == "appeals_export" and job.state == Job.State.DONE, job.error
    assert out["download_url"] == f"/api/v1/jobs/{job.pk}/download"
    status = client.get(out["status_url"]).json()
    assert status["state"] == "done" and status["percent"] == 100
    assert status["result"]["rows"] == 6 and status["result"]["url"] == reverse(
        "core:job_download", args=[job.pk]
    )

    got = client.get(out["download_url"])
    assert got.status_code == 200
    name = "诉求导出_"
    assert f"filename*=UTF-8''{quote(name)}" in got["Content-Disposition"]
    assert got["Content-Disposition"].endswith(".csv")
    body = b"".join(got.streaming_content)  # type: ignore[attr-defined]
    assert body.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens the UTF-8 as UTF-8
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == exports.HEADERS and rows[0][:3] == ["编号", "大类", "小类"]
    by_id = {int(r[0]): dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    # The other community's case is out of this user's scope; everything of theirs is in, the old one too.
    assert set(by_id) == {c.pk for k, c in cases.items() if k != "elsewhere"}
    assert (by_id[cases["plain"].pk]["反映人"], by_id[cases["plain"].pk]["反映人电话"]) == (
        "张**",
        "138****5678",
    )
    assert (by_id[cases["anonymous"].pk]["反映人"], by_id[cases["anonymous"].pk]["反映人电话"]) == (
        "匿名",
        "",
    )
    assert (by_id[cases["own"].pk]["反映人"], by_id[cases["own"].pk]["反映人电话"]) == ("本人", "13600003333")
    assert by_id[cases["formula"].pk]["描述"] == "'=HYPERLINK(1)"  # never a live formula
    assert by_id[cases["closed_phone"].pk]["状态"] == str(State.CLOSED.label)
    assert by_id[cases["closed_phone"].pk]["渠道"] == str(Appeal.Channel.PHONE.label)
    assert "13812345678" not in body.decode("utf-8-sig") and "张三丰" not in body.decode("utf-8-sig")

    # Anyone else — a colleague with the same scope, an administrator — gets 404, as for a missing file.
    colleague = make_user(Role.COMMUNITY_STAFF, tree.community, username="colleague")
    admin = make_user(Role.ADMIN, username="boss")
    for other in (colleague, admin):
        assert api_client(other).get(out["download_url"]).status_code == 404
        c = Client()
        assert c.login(username=other.username, password=PASSWORD)
        assert c.get(reverse("core:job_download", args=[job.pk])).status_code == 404
    # The page link works for the starter.
    page = Client()
    assert page.login(username=staff.username, password=PASSWORD)
    assert page.get(reverse("core:job_download", args=[job.pk])).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_xlsx_export_applies_the_filters(tree: Tree, inline: None) -> None:
    staff = make_user(Role.STREET_STAFF, tree.street)
    cases = _cases(tree)
    client = api_client(staff)
    today = timezone.localdate()
    out = _start(
        client, fmt="xlsx", area=tree.community.code, date_from=(today - dt.timedelta(days=10)).isoformat()
    ).json()
    job = Job.objects.get(pk=out["id"])
    got = client.get(out["download_url"])
    assert got.status_code == 200 and got["Content-Disposition"].endswith(".xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(got.streaming_content)))  # type: ignore[attr-defined]
    rows = list(wb.active.iter_rows(values_only=True))
    assert list(rows[0]) == exports.HEADERS
    ids = {r[0] for r in rows[1:]}
    # The community only (not grid_c's), reported in the last 10 days (not the old one).
    assert ids == {c.pk for k, c in cases.items() if k not in ("elsewhere", "old")}
    assert dict(job.result or {})["rows"] == len(ids) == job.done == job.total
    # State and channel.
    out = _start(client, fmt="xlsx", state="closed", channel="phone").json()
    got = client.get(out["download_url"])
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(got.streaming_content)))  # type: ignore[attr-defined]
    rows = list(wb.active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [cases["closed_phone"].pk]
    assert rows[1][9:11] == ("王*", "137****2222")


@pytest.mark.django_db
def test_bad_filters_name_the_field_and_start_nothing(tree: Tree) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    client = api_client(staff)
    for body, field in [
        ({"date_from": "2026-03-01", "date_to": "2026-02-01"}, "date_to"),
        ({"date_from": "2020-01-01", "date_to": "2025-01-01"}, "date_to"),
        ({"date_from": "1900-01-01"}, "date_from"),
        ({"channel": "carrier-pigeon"}, "channel"),
        ({"state": "nope"}, "state"),
        ({"fmt": "pdf"}, "fmt"),
        ({"area": "abc"}, "area"),
    ]:
        resp = _start(client, **body)
        assert resp.status_code == 422, (body, resp.content)
        assert field in resp.content.decode(), (body, resp.content)
    assert not Job.objects.exists()
    # A resident (no appeals.read) may not export.
    resident = make_user(Role.RESIDENT, tree.grid_a, username="resident")
    assert _start(api_client(resident)).status_code == 403


@pytest.mark.django_db
def test_the_page_shows_a_bad_date_range_next_to_the_field(tree: Tree) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    c = Client()
    assert c.login(username=staff.username, password=PASSWORD)
    page = c.get(reverse("appeals:export"))
    assert page.status_code == 200 and 'id="export-form"' in page.content.decode()
    resp = c.post(
        reverse("appeals:export"),
        {"date_from": "2026-03-01", "date_to": "2026-02-01", "fmt": "csv"},
        HTTP_HX_REQUEST="true",
    )
    assert resp.status_code == 422 and resp["X-Wangge-Error"] == "1"
    assert 'data-field="date_to"' in resp.content.decode()
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_progress_is_reported_per_chunk(tree: Tree, monkeypatch: Any) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    _cases(tree)
    monkeypatch.setattr(exports, "CHUNK", 2)
    seen: list[int] = []
    rows = list(exports.export_rows(staff, exports.clean_filters({}), seen.append))
    assert len(rows) == 1 + 6 and seen == [2, 4, 6]
    # Keyset chunks keep the report order and lose no row.
    assert [r[0] for r in rows[1:]] == list(
        Appeal.objects.filter(area_code__startswith=tree.community.code)
        .order_by("reported_at", "id")
        .values_list("pk", flat=True)
    )


@pytest.mark.django_db(transaction=True)
def test_results_expire_and_the_periodic_step_removes_them(tree: Tree, inline: None, settings: Any) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    _cases(tree)
    client = api_client(staff)
    out = _start(client, fmt="csv").json()
    job = Job.objects.get(pk=out["id"])
    path = jobs_files.result_dir() / dict(job.result or {})["file"]
    assert path.is_file()
    Job.objects.filter(pk=job.pk).update(finished_at=timezone.now() - dt.timedelta(hours=25))
    assert client.get(out["download_url"]).status_code == 404  # expired: refused even before the clean-up
    old = time.time() - 25 * 3600
    os.utime(path, (old, old))
    result = run_all(timezone.now())
    assert result["job_files"] == {"removed": 1}
    assert not path.exists()
