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


def test_a_survey_sent_with_a_question_unanswered(world: Any, browser_page: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from wangge.voting import services
    from wangge.voting.models import Response

    h = world.house("101", 92)
    owner = world.person(h, "吴桂兰")
    now = timezone.now()
    survey = services.survey_create(
        title="凉亭选址", area=world.tree.community, per="household", opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=3), by=world.staff,
        questions=[{"kind": "single", "text": "建在哪里", "options": ["东侧草坪", "北门广场"], "required": True},
                   {"kind": "rating", "text": "对选址过程的满意度", "rating_max": 5, "required": False}],
    )  # fmt: skip
    page = browser_page
    page.set_default_timeout(30_000)
    browser_login(page, owner.account.username, PASSWORD)
    page.goto(page.base_url + f"/voting/surveys/{survey.pk}/")
    form = page.locator("#survey-form")
    form.evaluate("f => f.noValidate = true")
    form.locator("button[type=submit]").click()
    # The message sits in the question's own fieldset (after its first option's label).
    error = page.locator("#survey-form fieldset").first.locator(".field-error")
    expect(error).to_contain_text("请回答：建在哪里")
    assert (
        page.locator("#survey-form fieldset")
        .first.locator("input[type=radio]")
        .first.get_attribute("aria-invalid")
        == "true"
    )
    # A rating out of range is told at its own question, and the page answers 422, not 200.
    page.locator("#survey-form input[type=radio]").first.check()
    page.locator("#survey-form select").evaluate("s => { s.options[0].value = '9'; s.selectedIndex = 0; }")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.locator("#survey-form button[type=submit]").click()
    assert posted.value.status == 422
    expect(page.locator("#survey-form fieldset:nth-of-type(2) + .field-error")).to_contain_text(
        "评分须在1到5之间"
    )
    assert not Response.objects.filter(survey=survey).exists()
