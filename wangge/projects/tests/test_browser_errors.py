"""Item 1 of issue 9: a project's stop and milestone-done forms submit a bad value past the browser's own checks
and the page says what is wrong in Chinese next to the field, and nothing is written (docs/ui.md §6). The
add-milestone form is covered in ``core/tests/test_browser_errors.py``."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from wangge.accounts.roles import Role
from wangge.conftest import browser_login
from wangge.projects import services
from wangge.projects.models import Milestone, Project
from wangge.testing import PASSWORD, Tree, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _project(tree: Tree, *, start: bool) -> tuple[Any, Project]:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community, username="projsec")
    street = make_user(Role.STREET_STAFF, tree.street, username="projstreet")
    p = services.project_declare(by=staff, area=tree.community, title="加装电梯", kind="livelihood")
    services.milestone_add(by=staff, project_id=p.pk, title="完成设计", due_on="2026-12-31")
    if start:
        services.project_approve(by=street, project_id=p.pk)
        services.project_start(by=staff, project_id=p.pk)
    return staff, p


def _open(page: Any, user: Any, path: str) -> None:
    page.set_default_timeout(30_000)  # the test machine is small and busy
    browser_login(page, user.username, PASSWORD)
    res = page.goto(page.base_url + path)
    assert res is not None and res.status == 200, path


def test_stopping_a_project_without_a_reason(browser_page: Any, tree: Tree) -> None:
    staff, p = _project(tree, start=False)
    page = browser_page
    _open(page, staff, f"/projects/{p.pk}/")
    page.locator("#stop-reason").fill("   ")
    page.locator("#stop button[type=submit]").click()
    expect(page.locator("#stop .field-error")).to_contain_text("请填写终止原因")
    assert page.locator("#stop-reason").get_attribute("aria-invalid") == "true"
    p.refresh_from_db()
    assert p.state == Project.State.DECLARED


def test_a_milestone_done_without_evidence(browser_page: Any, tree: Tree) -> None:
    staff, p = _project(tree, start=True)
    milestone = Milestone.objects.get(project=p)
    page = browser_page
    _open(page, staff, f"/projects/{p.pk}/")
    page.locator(f"#ev-{milestone.pk}").fill("")
    page.locator(f"form:has(#ev-{milestone.pk}) button[type=submit]").click()
    expect(page.locator(f"#ev-{milestone.pk}-err")).to_contain_text("请填写完成佐证")
    assert page.locator(f"#ev-{milestone.pk}").get_attribute("aria-invalid") == "true"
    milestone.refresh_from_db()
    assert milestone.done_on is None
    p.refresh_from_db()
    assert p.state == Project.State.IN_PROGRESS
