"""Nothing fails silently on the case pages, they fit a phone, and axe-core finds no serious or critical
problem on the resident's report page, my cases, the inbox, the board and the figures (390 px and 1440 px)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from wangge.appeals import services
from wangge.appeals.models import Appeal
from wangge.conftest import browser_login
from wangge.testing import PASSWORD, axe_violations, horizontal_overflow

from .conftest import World, submit_kwargs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _as(page: Any, user: Any) -> None:
    page.context.clear_cookies()
    browser_login(page, user.username, PASSWORD)


def _opened(world: World) -> Appeal:
    appeal, _ = services.appeal_submit(by=world.resident, **submit_kwargs(world))
    services.appeal_accept(appeal_id=appeal.pk, by=world.community)
    return Appeal.objects.get(pk=appeal.pk)


def test_merge_into_a_missing_case_number_shows_the_message_next_to_the_field(
    browser_page: Any, world: World
) -> None:
    case = _opened(world)
    page = browser_page
    _as(page, world.community)
    page.goto(page.base_url + f"/appeals/{case.pk}/")
    panel = page.locator("#action-merge")
    panel.locator("summary").click()
    panel.locator("input[name=into]").fill("987654")
    with page.expect_response(lambda r: "/merge/" in r.url and r.request.method == "POST") as info:
        panel.locator("button[type=submit]").click()
    assert info.value.status == 422
    field = page.locator("#action-merge .field-into")
    expect(field).to_contain_text("目标诉求不存在")
    assert Appeal.objects.get(pk=case.pk).state == case.state  # nothing written


def _step_forms_refuse_empty_required_fields(page: Any, url: str) -> list[str]:
    """Every step panel on the case page with a required field: submitted empty, it answers 4xx and the
    message appears next to the field, inside that panel. Returns the steps checked."""
    page.goto(url)
    steps = [
        s.replace("action-", "")
        for s in page.locator("details.action").evaluate_all("els => els.map(e => e.id)")
    ]
    checked = []
    for step in steps:
        page.goto(url)
        panel = page.locator(f"#action-{step}")
        required = panel.locator("textarea[required], input[required]:not([type=hidden]):not([type=file])")
        if not required.count():
            continue
        panel.locator("summary").click()
        name = required.first.get_attribute("name")
        panel.locator("form").evaluate("f => f.noValidate = true")
        required.first.fill("")
        with page.expect_response(lambda r, s=step: f"/{s}/" in r.url and r.request.method == "POST") as info:
            panel.locator("button[type=submit]").click()
        assert 400 <= info.value.status < 500, (step, info.value.status)
        expect(page.locator(f"#action-{step} .field-{name} .errorlist")).to_be_visible()
        checked.append(step)
    return checked


def test_every_step_form_shows_a_missing_required_value_next_to_the_field(
    browser_page: Any, world: World
) -> None:
    case = _opened(world)
    page = browser_page
    _as(page, world.community)
    checked = _step_forms_refuse_empty_required_fields(page, page.base_url + f"/appeals/{case.pk}/")
    services.appeal_dispatch(appeal_id=case.pk, by=world.community)
    _as(page, world.department_staff)
    checked += _step_forms_refuse_empty_required_fields(page, page.base_url + f"/appeals/{case.pk}/")
    assert len(checked) >= 3, checked  # e.g. cancel/return as the dispatcher, resolve/return as the handler


def test_the_report_form_shows_a_missing_description_next_to_it(browser_page: Any, world: World) -> None:
    page = browser_page
    _as(page, world.resident)
    page.goto(page.base_url + "/appeals/report/")
    page.locator("#report-form").evaluate("f => f.noValidate = true")
    page.click("#report-form button[type=submit]")
    expect(page.locator("#error-description")).to_be_visible()
    assert "description" not in page.locator("main").inner_text()


@pytest.mark.parametrize("width", [390, 1440])
def test_case_pages_have_no_serious_accessibility_problem(
    browser_page: Any, world: World, width: int
) -> None:
    case = _opened(world)
    services.appeal_dispatch(appeal_id=case.pk, by=world.community)
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    problems: list[str] = []
    for user, paths in [
        (world.resident, ["/appeals/report/", "/appeals/mine/"]),
        (world.department_staff, ["/appeals/inbox/"]),
        (world.community, ["/appeals/board/", "/appeals/figures/", f"/appeals/{case.pk}/"]),
    ]:
        _as(page, user)
        for path in paths:
            res = page.goto(page.base_url + path)
            assert res is not None and res.status == 200, path
            page.wait_for_load_state("networkidle")
            problems += axe_violations(page)
    assert problems == [], "\n".join(problems)


def test_case_pages_fit_a_360_px_phone(browser_page: Any, world: World) -> None:
    case = _opened(world)
    page = browser_page
    page.set_viewport_size({"width": 360, "height": 780})
    wide: list[str] = []
    for user, paths in [
        (world.resident, ["/appeals/", "/appeals/report/", "/appeals/mine/"]),
        (world.department_staff, ["/appeals/inbox/"]),
        (world.community, ["/appeals/board/", "/appeals/figures/", f"/appeals/{case.pk}/"]),
    ]:
        _as(page, user)
        for path in paths:
            page.goto(page.base_url + path)
            page.wait_for_load_state("networkidle")
            if horizontal_overflow(page):
                wide.append(f"{path}: {page.evaluate('() => document.scrollingElement.scrollWidth')} px")
    assert wide == []


@pytest.mark.parametrize("failure", ["server", "network"])
def test_a_server_error_or_a_lost_connection_shows_the_banner(
    browser_page: Any, world: World, failure: str
) -> None:
    case = _opened(world)
    page = browser_page
    page.set_default_timeout(30_000)
    _as(page, world.community)
    page.goto(page.base_url + f"/appeals/{case.pk}/")

    def fail(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
        elif failure == "server":
            route.fulfill(status=500, body="<h1>Server Error</h1>", content_type="text/html")
        else:
            route.abort("internetdisconnected")

    page.route(f"**/appeals/{case.pk}/*/", fail)
    panel = page.locator("details.action:has(textarea)").first
    panel.locator("summary").click()
    panel.locator("textarea").first.fill("重复")
    panel.locator("button[type=submit]").click()
    banner = page.locator("#error-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("服务器出错了" if failure == "server" else "网络连接失败")
    expect(panel).to_be_visible()  # the form and what was typed stay
    assert panel.locator("textarea").first.input_value() == "重复"
