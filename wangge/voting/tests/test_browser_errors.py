"""Item 1 of issue 9: the vote's forms submit a bad value past the browser's own checks and the page says what
is wrong in Chinese next to the field, and nothing is written (docs/ui.md §6)."""

from __future__ import annotations

from importlib import import_module
from typing import Any

import pytest
from playwright.sync_api import expect

from wangge.conftest import browser_login
from wangge.testing import PASSWORD
from wangge.voting.models import Ballot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _rule_sets(transactional_db: Any) -> None:
    """The rule sets the migration seeds: a transactional test before this one flushed them."""
    from django.apps import apps

    import_module("wangge.voting.migrations.0002_rule_sets").seed(apps, None)


def test_a_cast_with_a_choice_that_is_not_offered(world: Any, browser_page: Any) -> None:
    h = world.house("101", 92)
    owner = world.person(h, "吴桂兰")
    world.own(h, owner.name, resident=owner)
    vote = world.vote("manager", title="续聘物业")
    page = browser_page
    page.set_default_timeout(30_000)
    browser_login(page, owner.account.username, PASSWORD)
    page.goto(page.base_url + f"/voting/votes/{vote.pk}/")
    page.locator("button[name=choice][value=approve]").evaluate("b => { b.value = 'maybe'; }")
    page.locator("button[name=choice][value=maybe]").click()
    # After the redirect the message is at the top and also right after the choice buttons' first one.
    error = page.locator("form.vote-buttons .field-error")
    expect(error).to_contain_text("请选择同意、反对或弃权")
    assert page.locator("form.vote-buttons [name=choice]").first.get_attribute("aria-invalid") == "true"
    assert not Ballot.objects.filter(vote=vote).exists()


def test_a_paper_ballot_without_its_photo(world: Any, browser_page: Any) -> None:
    h = world.house("301", 90)
    world.own(h, "张建国")
    vote = world.vote("manager", title="续聘物业")
    page = browser_page
    page.set_default_timeout(30_000)
    browser_login(page, world.staff.username, PASSWORD)
    page.goto(page.base_url + f"/voting/votes/{vote.pk}/?q=301")
    form = page.locator("form.card", has=page.locator("input[name=photo]")).first
    form.evaluate("f => f.noValidate = true")
    form.locator("input[name=signer]").fill("张建国")
    form.locator("button.primary").click()
    # The same search comes back, so the message sits next to the photo field of the owner's form.
    expect(page.locator("form.card .field-error").first).to_contain_text("请上传纸质表决票照片")
    assert page.locator("form.card input[name=photo]").first.get_attribute("aria-invalid") == "true"
    assert not Ballot.objects.filter(vote=vote).exists()
