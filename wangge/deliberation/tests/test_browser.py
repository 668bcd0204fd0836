"""In a real browser on a phone-sized screen: a resident's proposal form and a member's sign-in form show
their errors next to the field, then succeed."""

from __future__ import annotations

import pytest
from django.utils import timezone

from wangge.conftest import browser_login
from wangge.testing import PASSWORD

from .. import services
from ..models import Proposal
from .helpers import make_world


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_proposal_form_shows_errors_next_to_fields_then_publishes(browser_page) -> None:
    page = browser_page
    world = make_world()
    author = world.residents_a[1]
    browser_login(page, author.username, PASSWORD)
    page.goto(page.base_url + "/deliberation/proposals/new/")
    page.fill("#id_title", "")
    page.fill("#id_body", "太短")
    page.click("#proposal-form button[type=submit]")
    # Each message sits in its field's block, right by the input it is about (and described by it).
    assert page.inner_text("#id_title_error") == "请填写标题"
    assert "请填写标题" in page.locator("#id_title").locator("xpath=..").inner_text()
    assert "id_title_error" in (page.get_attribute("#id_title", "aria-describedby") or "")
    page.fill("#id_title", "小区增设晾晒区")
    page.click("#proposal-form button[type=submit]")
    assert "至少10个字" in page.inner_text("#id_body_error")
    assert page.locator("#id_title_error").count() == 0
    assert page.input_value("#id_title") == "小区增设晾晒区"  # what was typed is kept
    page.fill("#id_body", "希望在空地增设公共晾晒架，方便老人晾晒被子")
    page.click("#proposal-form button[type=submit]")
    page.wait_for_selector("#support-btn")
    p = Proposal.objects.get()
    assert page.url.endswith(f"/deliberation/proposals/{p.pk}/")
    assert p.council == world.grid_council
    # The page fits a 390 px phone: no horizontal scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_sign_in_code_form_shows_the_error_next_to_the_code(browser_page) -> None:
    page = browser_page
    world = make_world()
    meeting = services.meeting_create(
        council=world.grid_council,
        title="文明养犬议事会",
        starts_at=timezone.now(),
        place="网格站",
        by=world.grid_worker,
    )
    member = world.residents_a[0]
    browser_login(page, member.username, PASSWORD)
    page.goto(page.base_url + f"/deliberation/meetings/{meeting.pk}/")
    page.click("#signin-link")
    page.wait_for_selector("#signin-form")
    wrong = "000000" if meeting.signin_code != "000000" else "111111"
    page.fill("#id_code", wrong)
    page.click("#signin-form button[type=submit]")
    assert page.inner_text("#id_code_error") == "签到码不正确"
    assert "签到码不正确" in page.locator("#id_code").locator("xpath=..").inner_text()
    assert "id_code_error" in (page.get_attribute("#id_code", "aria-describedby") or "")
    page.fill("#id_code", meeting.signin_code)
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("text=签到成功")
    assert page.inner_text("#attendance-count") == "1"
    assert meeting.attendance.filter(user=member).exists()
