"""The registry in the browser: a workbook with bad rows shows every error and the annotated workbook, the
downloads keep their Chinese names, and the lists pass axe-core (no serious or critical problem)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from wangge.accounts.roles import Role
from wangge.conftest import browser_login
from wangge.registry.models import Resident
from wangge.testing import PASSWORD, axe_violations, horizontal_overflow, make_user

from .factories import admin_user, make_resident
from .test_import import row, xlsx

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_workbook_with_two_bad_rows_shows_both_errors_and_the_annotated_workbook(
    browser_page: Any, tree: Any, tmp_path: Path
) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    grid = tree.grid_a.code
    content = xlsx(
        [
            row(grid, 1),
            row(grid, 2, 身份证号="123"),  # workbook row 3
            row(grid, 3),
            row(grid, 4, 网格编码="999999999999999"),  # workbook row 5
        ]
    )
    workbook = tmp_path / "居民.xlsx"
    workbook.write_bytes(content)
    page = browser_page
    browser_login(page, staff.username, PASSWORD)
    page.goto(page.base_url + "/registry/import/")
    page.set_input_files("#import-file", str(workbook))
    with page.expect_response(lambda r: "/registry/import/" in r.url and r.request.method == "POST") as info:
        page.click("#import-form button[type=submit]")
    assert info.value.status == 422
    errors = page.locator("#import-errors")
    expect(errors).to_be_visible()
    rows = errors.locator("tbody tr")
    expect(rows).to_have_count(2)
    assert rows.nth(0).locator("td").first.inner_text().strip() == "3"
    assert rows.nth(1).locator("td").first.inner_text().strip() == "5"
    assert "身份证号" in rows.nth(0).inner_text() and "网格编码" in rows.nth(1).inner_text()
    assert Resident.objects.count() == 0  # all or nothing
    # The annotated workbook downloads under its Chinese name.
    with page.expect_download() as download:
        errors.get_by_role("link", name="下载错误标注文件").click()
    assert download.value.suggested_filename == "导入错误标注.xlsx"


def test_the_template_download_keeps_its_chinese_name(browser_page: Any, tree: Any) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    page = browser_page
    browser_login(page, staff.username, PASSWORD)
    page.goto(page.base_url + "/registry/import/")
    with page.expect_download() as download:
        page.click("a[href$='/registry/import/template/'], a:has-text('下载模板')")
    assert download.value.suggested_filename == "居民信息导入模板.xlsx"


def test_an_empty_upload_says_choose_a_file(browser_page: Any, tree: Any) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    page = browser_page
    browser_login(page, staff.username, PASSWORD)
    page.goto(page.base_url + "/registry/import/")
    page.locator("#import-form").evaluate("f => f.noValidate = true")
    page.click("#import-form button[type=submit]")
    expect(page.locator("#import-file-error")).to_contain_text("请选择要导入的文件")


@pytest.mark.parametrize("width", [390, 1440])
def test_registry_lists_have_no_serious_accessibility_problem(
    browser_page: Any, tree: Any, width: int
) -> None:
    admin = admin_user()
    make_resident(tree.grid_a, admin, name="欧阳明", phone="13911112222")
    worker = make_user(Role.GRID_WORKER, tree.grid_a)
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, worker.username, PASSWORD)
    problems: list[str] = []
    for path in ["/registry/residents/", "/registry/households/", "/registry/buildings/"]:
        page.goto(page.base_url + path)
        page.wait_for_load_state("networkidle")
        problems += axe_violations(page)
        if width == 390:
            assert horizontal_overflow(page) == 0, path
    assert problems == [], "\n".join(problems)
