"""Fixtures shared by every app. Browser tests: see ``browser_page`` (Playwright + system Chromium)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from typing import Any

import pytest

from wangge.testing import Tree, make_tree

# Playwright's sync API runs an event loop in the test thread; the ORM calls in tests are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get(
    "WANGGE_CHROMIUM", shutil.which("chromium") or shutil.which("chromium-browser") or ""
)


def pytest_collection_modifyitems(items: list[Any]) -> None:
    """Transactional tests flush every table when they end, reference data seeded by data migrations
    (tag catalogue, case categories, earning rules, calendars) included. Give them Django's serialized
    rollback, which restores the migrated contents at the start of each such test."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is None or not marker.kwargs.get("transaction"):
            continue
        if marker.kwargs.get("serialized_rollback"):
            continue
        item.add_marker(
            pytest.mark.django_db(*marker.args, **{**marker.kwargs, "serialized_rollback": True}),
            append=False,
        )


_serialized_contents: dict[str, str] = {}


def _keep_serialized_contents() -> None:
    """Keep the serialized database contents for serialized rollback. Django keeps them on the connection
    object, and a test that runs an event loop (Playwright) or a live server can leave this thread with a new
    connection object that lacks them; without this the next transactional test starts empty."""
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        contents = getattr(conn, "_test_serialized_contents", None)
        if contents is not None:
            _serialized_contents[conn.alias] = contents
        elif conn.alias in _serialized_contents:
            setattr(conn, "_test_serialized_contents", _serialized_contents[conn.alias])  # noqa: B010


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: Any) -> None:
    _keep_serialized_contents()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: Any) -> None:
    # Before the flush: with the contents present Django skips post_migrate, so restoring them next time
    # does not collide with recreated content types.
    _keep_serialized_contents()


@pytest.fixture
def tree(db: Any) -> Tree:
    return make_tree()


@pytest.fixture(scope="session")
def _browser() -> Iterator[Any]:
    if not CHROMIUM:
        if os.environ.get("CI"):
            pytest.fail("Chromium is required for browser tests in CI (apt-get install chromium)")
        pytest.skip("no Chromium on this machine: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_page(_browser: Any, live_server: Any) -> Iterator[Any]:
    """A fresh browser context with a phone-sized viewport; ``page.base_url`` is the live server."""
    context = _browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.base_url = live_server.url
    yield page
    context.close()
    settle_live_server(live_server)


def settle_live_server(live_server: Any, timeout_s: float = 15) -> None:
    """Let the live server finish the requests still in flight (a page's last fetch, the service worker's
    precache) before the database is flushed. Call it after closing a browser context: on PostgreSQL such a
    request's locks and the flush's TRUNCATE can deadlock, the flush fails and the next test finds this
    one's rows."""
    httpd = getattr(live_server.thread, "httpd", None)
    deadline = time.monotonic() + timeout_s
    for thread in list(getattr(httpd, "_threads", None) or ()):
        thread.join(timeout=max(0.0, deadline - time.monotonic()))


def browser_login(page: Any, username: str, password: str) -> None:
    page.goto(page.base_url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
