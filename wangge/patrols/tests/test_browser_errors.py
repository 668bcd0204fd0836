"""Item 1 of issue 9: the patrol's stop form submits a bad value past the browser's own checks and the page says
what is wrong in Chinese next to the field, and the patrol keeps running (docs/ui.md §6). The discoveries form
is covered in ``test_browser.py``, the start form in ``core/tests/test_browser_errors.py``."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from wangge.accounts.roles import Role
from wangge.conftest import browser_login
from wangge.patrols import services
from wangge.patrols.models import Patrol
from wangge.testing import PASSWORD, Tree, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _running(page: Any, tree: Tree) -> Patrol:
    worker = make_user(Role.GRID_WORKER, tree.grid_a, username="stopgw")
    patrol, _ = services.patrol_start(by=worker, client_id="stop-1", area=tree.grid_a)
    page.set_default_timeout(30_000)  # the test machine is small and busy
    browser_login(page, worker.username, PASSWORD)
    res = page.goto(page.base_url + f"/patrols/{patrol.pk}/")
    assert res is not None and res.status == 200
    return patrol


def test_stopping_with_notes_too_long(browser_page: Any, tree: Tree) -> None:
    page = browser_page
    patrol = _running(page, tree)
    page.locator("#stop-form textarea[name=notes]").fill("路灯" * 1001)
    page.locator("#stop-patrol").click()
    expect(page.locator("#error-notes")).to_contain_text("巡查记录最多2000字")
    assert page.locator("#stop-form textarea[name=notes]").get_attribute("aria-invalid") == "true"
    patrol.refresh_from_db()
    assert patrol.state == Patrol.State.RUNNING and not patrol.notes


def test_stopping_with_an_answer_that_is_not_offered(browser_page: Any, tree: Tree) -> None:
    page = browser_page
    patrol = _running(page, tree)
    radio = page.locator("#stop-form .choices input[type=radio]").first
    radio.evaluate("r => { r.value = 'maybe'; r.checked = true; }")
    page.locator("#stop-patrol").click()
    expect(page.locator("#stop-form fieldset #error-checklist")).to_contain_text("检查项")
    patrol.refresh_from_db()
    assert patrol.state == Patrol.State.RUNNING and not patrol.checklist
