"""Browser (Chromium, a 360 px phone, the network really cut with ``context.set_offline``): the grid worker's
pages open from the phone's copy, and what is recorded offline is queued and lands once when the network
returns."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.conftest import browser_login
from wangge.registry.models import RegistryChange
from wangge.testing import PASSWORD, api_client, make_tree, make_user
from wangge.visits import tasks
from wangge.visits.models import Visit
from wangge.visits.tests.factories import make_household


def _phone(page: Any) -> Any:
    page.set_viewport_size({"width": 360, "height": 640})
    page.set_default_timeout(30_000)  # two cores shared by many: first requests can be slow
    return page


def _until(page: Any, expression: str, timeout_s: float = 30) -> None:
    """Poll ``expression`` with ``page.evaluate`` (not ``wait_for_function``: its polling evaluates a string with
    eval, which the pages' CSP forbids once the first check is false)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout_s} s: {expression}"
        page.wait_for_timeout(200)


def _ready(page: Any) -> None:
    """The service worker controls the page and the page's households are saved on the phone."""
    page.wait_for_selector("#offline-sync[data-ready='1']", state="attached")
    _until(page, "navigator.serviceWorker.controller !== null")


def _waiting(page: Any, n: int) -> None:
    page.wait_for_selector(f"#sync-count[data-count='{n}']", state="attached")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_today_and_a_household_card_open_with_no_network(browser_page: Any) -> None:
    tree = make_tree()
    make_user(Role.GRID_WORKER, tree.grid_a, username="wangge01")
    h = make_household(tree.grid_a, tags=("elderly_alone",))
    tasks.tick(timezone.now())
    page = _phone(browser_page)
    browser_login(page, "wangge01", PASSWORD)
    page.goto(page.base_url + "/visits/today/")
    _ready(page)

    page.context.set_offline(True)
    assert page.evaluate("navigator.onLine") is False
    later = make_household(tree.grid_a)  # due on the server now, but not on the phone's copy
    tasks.tick(timezone.now())
    page.goto(page.base_url + "/visits/today/?lat=1&lng=2")  # any query string: the same saved page
    assert page.locator("h1").first.inner_text().startswith("网格员今日")
    assert page.locator(f"a.vcard[href='/visits/household/{h.pk}/']").count() == 1
    # The copy, not the server (the service worker's own fetch is cut off too).
    assert page.locator(f"a.vcard[href='/visits/household/{later.pk}/']").count() == 0
    page.wait_for_selector("#sync-status:has-text('没有网络')")
    page.goto(page.base_url + f"/registry/households/{h.pk}/")
    assert h.number in page.locator("h1").inner_text()
    page.goto(page.base_url + f"/visits/household/{h.pk}/")
    page.wait_for_selector("#visit-form")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # A page never saved is not made up.
    from playwright.sync_api import Error as PlaywrightError

    with pytest.raises(PlaywrightError, match="ERR_INTERNET_DISCONNECTED"):
        page.goto(page.base_url + "/appeals/")

    page.context.set_offline(False)  # network first: the server's page again
    page.goto(page.base_url + "/visits/today/")
    assert page.locator(f"a.vcard[href='/visits/household/{later.pk}/']").count() == 1

    # Signing out drops the saved pages (they were made for this account).
    assert page.evaluate("caches.has('wangge-pages')") is True
    page.evaluate("document.querySelector(\"form[action='/accounts/logout/']\").requestSubmit()")
    page.wait_for_url("**/accounts/login/")
    _until(page, "caches.has('wangge-pages').then((has) => !has)")


def _record_visit_offline(page: Any, household_id: int, waiting: int, duration: str = "20") -> None:
    page.goto(page.base_url + f"/visits/household/{household_id}/")
    page.wait_for_selector("#visit-form")
    page.fill("input[name=duration_minutes]", duration)
    page.fill("textarea[name=notes]", f"离线走访 {household_id}")
    page.click("#visit-form button[type=submit]")
    page.wait_for_url("**/visits/today/")
    _waiting(page, waiting)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_three_visits_and_a_correction_made_offline_land_once_and_the_stale_one_is_a_conflict(
    browser_page: Any,
) -> None:
    tree = make_tree()
    worker = make_user(Role.GRID_WORKER, tree.grid_a, username="wangge01")
    colleague = make_user(Role.GRID_WORKER, tree.grid_a, username="wangge02")
    households = [make_household(tree.grid_a) for _ in range(3)]
    resident = households[0].residents.get()
    assert resident.version == 1
    tasks.tick(timezone.now())
    page = _phone(browser_page)
    browser_login(page, "wangge01", PASSWORD)
    page.goto(page.base_url + "/visits/today/")
    _ready(page)  # today saved its households' pages, the correction forms among them

    page.context.set_offline(True)
    for n, h in enumerate(households, start=1):
        _record_visit_offline(page, h.pk, n)
    assert page.locator("#sync-list li").count() == 3
    assert "待同步 3 条" in page.locator("#sync-count").inner_text()

    page.goto(page.base_url + f"/offline/households/{households[0].pk}/correct/")
    page.select_option("#id_resident", str(resident.pk))
    page.fill("#id_phone", "13912345678")
    page.click("#correct-form button[type=submit]")
    _waiting(page, 4)
    page.wait_for_selector("#sync-status:has-text('已保存在手机上')")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # Meanwhile a colleague, online, changes the same phone: the phone's correction is now based on version 1
    # of a resident at version 2.
    res = api_client(colleague).post(
        "/api/v1/registry/changes",
        {
            "client_id": "colleague-1",
            "target": "resident",
            "target_id": resident.pk,
            "kind": "phone",
            "base_version": 1,
            "data": {"phone": "13700001111"},
        },
        content_type="application/json",
    )
    assert (res.status_code, res.json()["status"]) == (201, "applied"), res.content
    assert Visit.objects.count() == 0 and not RegistryChange.objects.filter(author=worker).exists()
    queued = page.evaluate("WanggeQueue.list('wangge01')")
    assert [q["url"] for q in queued] == ["/api/v1/visits"] * 3 + ["/api/v1/registry/changes"]
    assert [q["body"].get("household_id") for q in queued[:3]] == [h.pk for h in households]
    assert queued[3]["body"]["base_version"] == 1 and queued[3]["body"]["data"] == {"phone": "13912345678"}
    client_ids = [q["body"]["client_id"] for q in queued]
    assert len(set(client_ids)) == 4

    page.context.set_offline(False)  # the "online" event replays the queue
    _waiting(page, 0)
    assert page.locator("#sync-failed-count").get_attribute("data-count") == "0"
    for h, client_id in zip(households, client_ids[:3], strict=False):
        v = Visit.objects.get(client_id=client_id)
        assert (v.household_id, v.visitor_id, v.duration_minutes, v.notes) == (
            h.pk,
            worker.pk,
            20,
            f"离线走访 {h.pk}",
        )
    assert Visit.objects.count() == 3
    change = RegistryChange.objects.get(author=worker)
    assert (change.client_id, change.status, change.base_version) == (client_ids[3], "conflict", 1)
    resident.refresh_from_db()
    assert (resident.phone, resident.version) == ("13700001111", 2)  # not overwritten
    listed = api_client(worker).get("/api/v1/registry/changes?status=conflict").json()
    rows = listed["items"] if isinstance(listed, dict) else listed
    assert [(r["client_id"], r["target_id"]) for r in rows] == [(client_ids[3], resident.pk)]

    # A re-send of the same items (a phone that never saw the answers): each answers 200, nothing new lands.
    statuses = page.evaluate(
        """async (items) => {
            for (const it of items) { await WanggeQueue.add({...it}); }
            const out = await WanggeQueue.flush('wangge01', '');
            return out.sent.map((s) => [s.status, s.body.client_id]);
        }""",
        queued,
    )
    assert statuses == [[200, c] for c in client_ids]
    assert Visit.objects.count() == 3 and RegistryChange.objects.filter(author=worker).count() == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_refused_items_go_to_the_failed_list_and_a_bad_phone_is_shown_at_its_field(browser_page: Any) -> None:
    tree = make_tree()
    make_user(Role.GRID_WORKER, tree.grid_a, username="wangge01")
    h = make_household(tree.grid_a)
    tasks.tick(timezone.now())
    page = _phone(browser_page)
    browser_login(page, "wangge01", PASSWORD)
    page.goto(page.base_url + "/visits/today/")
    _ready(page)

    # Online, the correction is answered at once: the message sits next to the phone field.
    page.goto(page.base_url + f"/offline/households/{h.pk}/correct/")
    page.click("#correct-form button[type=submit]")
    assert page.locator("#error-resident").inner_text() == "请选择要更正的居民"
    page.select_option("#id_resident", str(h.residents.get().pk))
    page.fill("#id_phone", "12")
    page.click("#correct-form button[type=submit]")
    error = page.locator("#error-phone")
    error.wait_for()
    assert error.inner_text() == "电话号码格式不正确（手机11位，或带区号的固定电话）"
    field_box, error_box = page.locator("#id_phone").bounding_box(), error.bounding_box()
    assert 0 <= error_box["y"] - (field_box["y"] + field_box["height"]) < 40
    assert not RegistryChange.objects.exists()
    assert page.locator("#sync-failed-count").get_attribute("data-count") == "0"

    # Offline, a visit the server will refuse: it waits, then lands in the failed list with the reason.
    page.context.set_offline(True)
    _record_visit_offline(page, h.pk, 1, duration="0")
    page.context.set_offline(False)
    _waiting(page, 0)
    page.wait_for_selector("#sync-failed-count[data-count='1']", state="attached")
    assert "时长须在1到1440分钟之间" in page.locator("#sync-failed li").inner_text()
    assert Visit.objects.count() == 0
    page.locator("#sync-failed li button").click()  # the worker deletes it
    page.wait_for_selector("#sync-failed-count[data-count='0']", state="attached")
