"""Browser at 360 px: an owner votes on the phone, then answers the household survey; no sideways scroll."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from wangge.conftest import browser_login
from wangge.testing import PASSWORD
from wangge.voting import services
from wangge.voting.models import Ballot, Response


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_owner_votes_and_answers_on_a_phone(world, browser_page):
    h = world.house("101", 92)
    owner = world.person(h, "吴桂兰")
    world.own(h, owner.name, resident=owner)
    world.own(world.house("102", 88), "邻居", "")
    vote = world.vote("manager", title="续聘物业")
    now = timezone.now()
    survey = services.survey_create(
        title="凉亭选址", area=world.tree.community, per="household", opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=3), by=world.staff,
        questions=[{"kind": "single", "text": "建在哪里", "options": ["东侧草坪", "北门广场"]}],
    )  # fmt: skip
    page = browser_page
    page.set_viewport_size({"width": 360, "height": 740})
    browser_login(page, owner.account.username, PASSWORD)
    page.goto(page.base_url + f"/voting/votes/{vote.pk}/")
    page.locator("button[value=approve]").click()
    page.wait_for_selector("#my-ballot")
    assert Ballot.objects.get(vote=vote).choice == "approve"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.goto(page.base_url + f"/voting/surveys/{survey.pk}/")
    page.locator("input[type=radio][value='0']").check()
    page.locator("#survey-form button[type=submit]").click()
    page.wait_for_selector("#responses")
    assert Response.objects.filter(survey=survey).count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
