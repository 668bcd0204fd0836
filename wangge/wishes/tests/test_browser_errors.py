"""Item 1 of issue 9: the wish review and detail forms submit a bad value past the browser's own checks and the
page says what is wrong in Chinese next to the field, and nothing is written (docs/ui.md §6)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from wangge.conftest import browser_login
from wangge.testing import PASSWORD
from wangge.wishes import services
from wangge.wishes.models import Wish

from .conftest import World, open_wish
from .factories import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _open(page: Any, user: Any, path: str) -> None:
    page.set_default_timeout(30_000)  # the test machine is small and busy
    browser_login(page, user.username, PASSWORD)
    res = page.goto(page.base_url + path)
    assert res is not None and res.status == 200, path


def _pending(world: World) -> Wish:
    return services.wish_create(
        by=world.grid_worker, beneficiary=world.resident, title="一台收音机",
        reason="独居在家，腿脚不便，想听戏曲", estimated_value=120,
    )  # fmt: skip


def test_a_rejection_without_a_reason(browser_page: Any, world: World) -> None:
    wish = _pending(world)
    page = browser_page
    _open(page, world.staff, "/wishes/review/")
    form = page.locator(f"[data-review='{wish.pk}'] form")
    form.evaluate("f => f.noValidate = true")
    form.locator("button[value=reject]").click()
    expect(page.locator(f"[data-review='{wish.pk}'] form .field-error")).to_contain_text("请填写不通过的原因")
    assert page.locator(f"[data-review='{wish.pk}'] input[name=note]").get_attribute("aria-invalid") == "true"
    wish.refresh_from_db()
    assert wish.status == Wish.Status.PENDING_REVIEW


def test_an_approval_with_a_sensitive_category(browser_page: Any, world: World) -> None:
    wish = _pending(world)
    page = browser_page
    _open(page, world.staff, "/wishes/review/")
    select = page.locator(f"[data-review='{wish.pk}'] select[name=public_category]")
    select.evaluate("s => { s.options[0].value = '大病患者'; s.selectedIndex = 0; }")
    page.locator(f"[data-review='{wish.pk}'] button[value=approve]").click()
    expect(page.locator(f"[data-review='{wish.pk}'] form .field-error")).to_contain_text("非敏感")
    assert select.get_attribute("aria-invalid") == "true"
    wish.refresh_from_db()
    assert wish.status == Wish.Status.PENDING_REVIEW


def test_a_delivery_without_its_photo(browser_page: Any, world: World) -> None:
    wish = open_wish(world)
    services.wish_claim(wish_id=wish.pk, by=world.volunteer)
    page = browser_page
    _open(page, world.volunteer, f"/wishes/{wish.pk}/")
    form = page.locator("form", has=page.locator("input[name=photo]"))
    form.evaluate("f => f.noValidate = true")
    form.locator("input[name=note]").fill("已送到")
    form.locator("button[type=submit]").click()
    expect(page.locator("form .field-error")).to_contain_text("请上传送达照片")
    assert page.locator("input[name=photo]").get_attribute("aria-invalid") == "true"
    wish.refresh_from_db()
    assert wish.status == Wish.Status.CLAIMED


def test_a_dispute_without_a_note(browser_page: Any, world: World) -> None:
    wish = open_wish(world)
    services.wish_claim(wish_id=wish.pk, by=world.volunteer)
    photo = SimpleUploadedFile("p.png", png_bytes(), content_type="image/png")
    services.wish_deliver(wish_id=wish.pk, by=world.volunteer, note="已送到", photo=photo)
    page = browser_page
    _open(page, world.resident_user, f"/wishes/{wish.pk}/")
    form = page.locator("form", has=page.locator("input[name=note]"))
    form.evaluate("f => f.noValidate = true")
    form.locator("button[type=submit]").click()
    expect(page.locator("form .field-error")).to_contain_text("请说明异议")
    assert page.locator("input[name=note]").get_attribute("aria-invalid") == "true"
    wish.refresh_from_db()
    assert wish.status == Wish.Status.DELIVERING
