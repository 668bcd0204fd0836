"""Item 1 of issue 9: the council, meeting, mediation and convention step forms (Django forms rendered with
``as_div``) submitted empty past the browser's own checks show each message in Chinese in the field's own
block, and nothing is written (docs/ui.md §6)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from wangge.conftest import browser_login
from wangge.testing import PASSWORD

from .. import services
from ..models import (
    AgendaItem,
    ConventionVersion,
    CouncilMember,
    MediationSession,
    Meeting,
    Resolution,
)
from .helpers import make_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CHINESE = re.compile("[\u4e00-\u9fff]")


def _open(page: Any, user: Any, path: str) -> None:
    page.set_default_timeout(30_000)  # the test machine is small and busy
    browser_login(page, user.username, PASSWORD)
    res = page.goto(page.base_url + path)
    assert res is not None and res.status == 200, path


def _submit_empty(page: Any, action: str) -> Any:
    """Clear the form of that action, submit it and return it (re-rendered with its errors)."""
    form = page.locator(f"form:has(input[name=action][value={action}])").first
    form.evaluate(
        "f => { f.noValidate = true; f.querySelectorAll('input:not([type=hidden]):not([type=checkbox]),"
        " textarea').forEach(i => { i.value = ''; }); f.querySelectorAll('select').forEach(s => {"
        " s.selectedIndex = -1; }); }"
    )
    form.locator("button[type=submit]").click()
    form = page.locator(f"form:has(input[name=action][value={action}])").first
    expect(form.locator(".errorlist").first).to_be_visible()
    text = form.locator(".errorlist").first.inner_text()
    assert CHINESE.search(text), text
    invalid = form.locator("[aria-invalid=true]")
    assert invalid.count() >= 1
    return form


def test_council_member_and_meeting_forms(browser_page: Any) -> None:
    world = make_world()
    council = world.grid_council
    members = CouncilMember.objects.filter(council=council).count()
    _open(browser_page, world.staff, f"/deliberation/councils/{council.pk}/")
    _submit_empty(browser_page, "member")
    _submit_empty(browser_page, "meeting")
    assert CouncilMember.objects.filter(council=council).count() == members
    assert not Meeting.objects.exists()


def test_meeting_agenda_and_resolution_forms(browser_page: Any) -> None:
    world = make_world()
    m = services.meeting_create(
        council=world.grid_council, title="议事", starts_at=timezone.now(), place="站", by=world.grid_worker
    )
    items = AgendaItem.objects.filter(meeting=m).count()
    _open(browser_page, world.grid_worker, f"/deliberation/meetings/{m.pk}/")
    _submit_empty(browser_page, "agenda")
    _submit_empty(browser_page, "resolution")
    assert AgendaItem.objects.filter(meeting=m).count() == items
    assert not Resolution.objects.exists()


def test_mediation_session_and_close_forms(browser_page: Any) -> None:
    world = make_world()
    d = services.dispute_open(
        area=world.tree.grid_a, kind="neighbour", matter="噪音",
        parties=[{"name": "甲", "side": "applicant"}, {"name": "乙", "side": "respondent"}], by=world.staff,
    )  # fmt: skip
    _open(browser_page, world.staff, f"/deliberation/mediations/{d.pk}/")
    _submit_empty(browser_page, "session")
    _submit_empty(browser_page, "close")
    assert not MediationSession.objects.exists()
    d.refresh_from_db()
    assert d.status != "closed"


def test_convention_revise_form(browser_page: Any) -> None:
    world = make_world()
    c = services.convention_create(
        council=world.grid_council,
        title="文明养犬公约",
        text="出门牵绳，及时清理粪便。",
        by=world.grid_worker,
    )
    _open(browser_page, world.grid_worker, f"/deliberation/conventions/{c.pk}/")
    _submit_empty(browser_page, "revise")
    assert ConventionVersion.objects.filter(convention=c).count() == 1
