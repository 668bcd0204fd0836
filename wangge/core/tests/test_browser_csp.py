"""The Content-Security-Policy in a real browser: the pages with scripts (maps, charts, uploads, htmx, Swagger
UI) run without a single violation, and what used to be inline handlers still works."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from wangge.accounts.roles import Role
from wangge.conftest import browser_login
from wangge.testing import PASSWORD, Tree, api_client, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _watch(page: Any) -> list[str]:
    """Collect the browser's CSP reports (Chromium logs each refused script, eval or handler)."""
    violations: list[str] = []

    def on_console(msg: Any) -> None:
        if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text:
            violations.append(f"{page.url}: {msg.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: violations.append(f"{page.url}: page error {exc}"))
    return violations


def _case(tree: Tree, user: Any) -> int:
    from wangge.appeals.models import Category

    category = Category.objects.filter(parent__isnull=False).order_by("code").first()
    assert category is not None
    lat, lng = Tree.point_in(tree.grid_a)
    res = api_client(user).post(
        "/api/v1/appeals",
        {"category": category.code, "description": "路灯不亮", "lat": lat, "lng": lng},
        content_type="application/json",
    )
    assert res.status_code in (200, 201), res.content
    return int(res.json()["id"])


def test_pages_with_scripts_run_without_a_csp_violation(browser_page: Any, tree: Tree, settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    page = browser_page
    admin = make_user(Role.ADMIN, username="cspadmin")
    worker = make_user(Role.GRID_WORKER, tree.grid_a, username="cspworker")
    case_id = _case(tree, worker)
    violations = _watch(page)

    browser_login(page, admin.username, PASSWORD)
    for path in [
        "/",
        "/appeals/report/",  # Leaflet
        f"/appeals/{case_id}/",  # Leaflet, htmx step panels
        "/appeals/figures/",  # ECharts, htmx filters
        "/registry/import/",  # htmx upload progress
        "/registry/residents/",  # htmx live search
        f"/areas/{tree.community.code}/",  # the area map
        "/volunteers/checkin/",
    ]:
        res = page.goto(page.base_url + path)
        assert res is not None and res.status == 200, path
        assert "script-src 'self'" in res.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")

    # The map really drew under the policy (Leaflet's own script, not an inline one).
    page.goto(page.base_url + f"/appeals/{case_id}/")
    expect(page.locator("#appeal-map.leaflet-container")).to_be_visible()
    assert not violations, "\n".join(violations)


def test_the_menu_button_and_the_language_switch_work_without_inline_handlers(
    browser_page: Any, tree: Tree, settings: Any
) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    page = browser_page
    violations = _watch(page)
    user = make_user(Role.COMMUNITY_STAFF, tree.community, username="cspmenu")
    browser_login(page, user.username, PASSWORD)
    toggle = page.locator("[data-nav-toggle]")
    expect(toggle).to_be_visible()  # the phone viewport shows the menu button
    toggle.click()
    expect(page.locator("body")).to_have_class("nav-open")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    toggle.click()
    expect(page.locator("body")).not_to_have_class("nav-open")

    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert not violations, "\n".join(violations)


def test_swagger_ui_renders_from_our_static_files_under_the_policy(browser_page: Any) -> None:
    page = browser_page
    violations = _watch(page)
    outside: list[str] = []
    page.on("request", lambda req: outside.append(req.url) if not req.url.startswith(page.base_url) else None)
    page.goto(page.base_url + "/api/v1/docs")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=20_000)
    expect(page.locator(".swagger-ui")).to_contain_text("/api/v1/auth/token")
    assert not outside, outside
    assert not violations, "\n".join(violations)
