"""The registry pages in a real browser on a phone-sized screen."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from wangge.accounts.roles import Role
from wangge.conftest import browser_login
from wangge.core.models import AuditLog
from wangge.testing import PASSWORD, make_user

from .factories import admin_user, make_resident


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_grid_worker_searches_opens_and_reveals(tree: Any, browser_page: Any) -> None:
    admin = admin_user()
    target = make_resident(tree.grid_a, admin, name="欧阳明", phone="13911112222")
    make_resident(tree.grid_a, admin, name="上官云")
    hidden = make_resident(tree.grid_b, admin, name="别处人")
    worker = make_user(Role.GRID_WORKER, tree.grid_a)
    page = browser_page
    page.set_default_timeout(30_000)  # CI machines are small and busy
    browser_login(page, worker.username, PASSWORD)
    page.goto(page.base_url + "/registry/residents/")
    table = page.locator("#resident-table")
    assert "上官云" in table.inner_text() and hidden.name not in table.inner_text()
    page.fill("input[name=q]", "欧阳")
    expect(table).not_to_contain_text("上官云")  # not wait_for_function: the CSP forbids eval
    assert "139****2222" in table.inner_text()
    page.click("text=欧阳明")
    page.wait_for_url(f"**/registry/residents/{target.pk}/")
    page.on("dialog", lambda d: d.accept())
    page.locator("#reveal-phone button").click()
    page.wait_for_selector("#reveal-phone .revealed")
    assert page.inner_text("#reveal-phone") == "13911112222"
    assert AuditLog.objects.filter(action="reveal", actor=worker, object_id=str(target.pk)).count() == 1
