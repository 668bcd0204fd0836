"""The cases export page in Chromium: start the job, watch its progress, download the file under its Chinese
name; a bad date range shows its message next to the field."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from wangge.accounts.roles import Role
from wangge.conftest import browser_login
from wangge.core.models import Job
from wangge.testing import PASSWORD, Tree, horizontal_overflow, make_user

from .test_exports import _cases

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_export_page_starts_the_job_shows_progress_and_downloads(
    browser_page: Any, tree: Tree, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    cases = _cases(tree)
    page = browser_page
    page.set_default_timeout(30_000)  # a shared, loaded machine
    browser_login(page, staff.username, PASSWORD)
    page.goto(page.base_url + "/appeals/export/")
    assert horizontal_overflow(page) == 0
    page.select_option("#id_state", "closed")
    page.check("input[name=fmt][value=csv]")
    page.click("#export-form button[type=submit]")
    progress = page.locator("#export-job .job-progress")
    expect(progress).to_be_visible()
    expect(progress.locator("progress")).to_have_count(1)
    link = page.locator("#job-download")
    expect(link).to_be_visible(timeout=30_000)  # the job runs in a thread of the server; the page polls
    expect(progress).to_contain_text("1 / 1")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.startswith("诉求导出_") and download.suggested_filename.endswith(
        ".csv"
    )
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert rows[0][0] == "编号" and [int(r[0]) for r in rows[1:]] == [cases["closed_phone"].pk]
    assert rows[1][9:11] == ["王*", "137****2222"]
    job = Job.objects.get(kind="appeals_export")
    assert job.created_by_id == staff.pk and job.state == Job.State.DONE


def test_export_page_shows_a_bad_date_range_next_to_the_field(browser_page: Any, tree: Tree) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    page = browser_page
    page.set_default_timeout(30_000)
    browser_login(page, staff.username, PASSWORD)
    page.goto(page.base_url + "/appeals/export/")
    page.fill("#id_date_from", "2026-03-01")
    page.fill("#id_date_to", "2026-02-01")
    page.click("#export-form button[type=submit]")
    expect(page.locator("#export-form .field-error, #export-form .errorlist")).to_contain_text(
        "结束日期不能早于开始日期"
    )
    expect(page.locator("#id_date_to")).to_have_attribute("aria-invalid", "true")
    assert not Job.objects.exists()
