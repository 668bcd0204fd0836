"""Browser: a community worker opens a grid branch on a phone, sees its secretary, committee, members and
党员中心户 with the households they serve, adds a member, and is told next to the field when the resident
is not a party member."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from wangge.accounts.roles import Role
from wangge.areas.models import PartyOrg
from wangge.conftest import browser_login
from wangge.party import services
from wangge.party.models import Membership
from wangge.registry.tests.factories import admin_user, make_household, make_resident
from wangge.testing import PASSWORD, horizontal_overflow, make_tree, make_user


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_branch_page_shows_people_and_adds_a_member(browser_page: Any, settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tree = make_tree()
    staff = make_user(Role.COMMUNITY_STAFF, tree.community, username="shequ02")
    admin = admin_user()
    org = PartyOrg.objects.create(kind=PartyOrg.Kind.GRID_BRANCH, name="东园一网格党支部", area=tree.grid_a)
    sec = make_resident(tree.grid_a, admin, name="张红梅", political_status="party_member")
    keeper = services.membership_add(org=org, resident=sec, role="secretary", by=staff)
    for name in ("李建军", "王秀英", "赵志强"):
        r = make_resident(tree.grid_a, admin, name=name, political_status="party_member")
        services.membership_add(org=org, resident=r, role="committee", by=staff)
    centre = services.centre_create(org=org, household=sec.household, keeper=keeper, by=staff)
    for _ in range(5):
        services.centre_serve(centre=centre, household=make_household(tree.grid_a, admin), by=staff)
    newcomer = make_resident(tree.grid_a, admin, name="陈立新", political_status="probationary")
    masses = make_resident(tree.grid_a, admin, name="周群众", political_status="masses")

    page = browser_page
    page.set_default_timeout(60_000)  # the shared test machine can be slow
    browser_login(page, "shequ02", PASSWORD)
    page.goto(page.base_url + f"/party/orgs/{org.pk}/")
    expect(page.locator("[data-secretary] strong")).to_have_text("张**")
    expect(page.locator("[data-committee]")).to_have_count(3)
    expect(page.locator("[data-member-count]")).to_have_text("4")
    expect(page.locator(f"[data-centre='{centre.pk}'] .served li")).to_have_count(5)
    assert horizontal_overflow(page) == 0

    # Error path: a resident who is not a party member; the message sits next to the field, nothing written.
    page.fill("#resident_id", str(masses.pk))
    page.click("#member-form button[type=submit]")
    note = page.locator("#member-form .field-error")
    expect(note).to_contain_text("不是党员")
    assert page.locator("#resident_id").get_attribute("aria-invalid") == "true"
    assert not Membership.objects.filter(resident=masses).exists()

    # Happy path: a probationary member joins; the list and the count follow.
    page.fill("#resident_id", str(newcomer.pk))
    page.click("#member-form button[type=submit]")
    expect(page.locator("[data-member-count]")).to_have_text("5")
    expect(page.locator("#members tbody tr")).to_have_count(5)
    org.refresh_from_db()
    assert org.member_count == 5
