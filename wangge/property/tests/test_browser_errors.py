"""Item 1 of issue 9: the 红色物业 evaluation and reply forms submit a bad value past the browser's own checks
and the page says what is wrong in Chinese next to the field, and nothing is written (docs/ui.md §6)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from playwright.sync_api import expect

from wangge.accounts.models import Unit
from wangge.accounts.roles import Role
from wangge.appeals.models import Category
from wangge.conftest import browser_login
from wangge.property import services
from wangge.property.models import Evaluation
from wangge.registry import services as registry
from wangge.registry.models import Resident
from wangge.testing import PASSWORD, Tree, make_id_number, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
_serial = itertools.count(700)


def _company(tree: Tree) -> dict[str, Any]:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    company = Unit.objects.create(name="海安万家物业服务有限公司", kind=Unit.Kind.PROPERTY_COMPANY)
    building = registry.building_create(area=tree.grid_a, name="5号楼", address="东园5号楼", by=staff)
    building.property_company = company
    building.save()
    lamp, _ = Category.objects.get_or_create(code="T-LAMP", defaults={"name": "小区路灯"})
    for group, text in (("维修服务", "道路廊灯损坏8小时内更换"), ("环境卫生", "生活垃圾24小时内清运")):
        services.commitment_create(
            company=company, group=group, text=text, categories=[lamp], time_limit_hours=8, by=staff
        )
    return {"staff": staff, "company": company, "building": building}


def _resident(w: dict[str, Any], room: str, name: str) -> Resident:
    house = registry.house_create(building=w["building"], room=room, by=w["staff"])
    hh = registry.household_create(house=house, by=w["staff"])
    r = registry.resident_create(
        household=hh, name=name, id_number=make_id_number(serial=next(_serial)), by=w["staff"]
    )
    Resident.objects.filter(pk=r.pk).update(account=make_user(Role.RESIDENT, display_name=name))
    r.refresh_from_db()
    return r


def test_an_evaluation_with_a_group_left_unscored(browser_page: Any, tree: Tree) -> None:
    w = _company(tree)
    resident = _resident(w, "101", "周一")
    page = browser_page
    page.set_default_timeout(30_000)
    browser_login(page, resident.account.username, PASSWORD)
    page.goto(page.base_url + "/property/")
    form = page.locator("#evaluate form")
    form.evaluate("f => f.noValidate = true")
    form.locator("select").first.select_option("4")  # the second group is left at "—"
    form.locator("textarea[name=comment]").fill("路灯修得快")
    form.locator("button[type=submit]").click()
    second = page.locator("#evaluate form select").nth(1)
    expect(page.locator("#evaluate form .field-error")).to_contain_text("请为每一类承诺打1到5分")
    assert second.get_attribute("aria-invalid") == "true"
    assert page.locator("#evaluate form select").first.get_attribute("aria-invalid") is None
    assert not Evaluation.objects.exists()


def test_an_empty_reply(browser_page: Any, tree: Tree) -> None:
    w = _company(tree)
    resident = _resident(w, "102", "郑重")
    ev = services.evaluation_submit(
        company=w["company"],
        scores={"维修服务": 2, "环境卫生": 3},
        comment="垃圾桶满了没人管",
        by=resident.account,
    )
    page = browser_page
    page.set_default_timeout(30_000)
    browser_login(page, w["staff"].username, PASSWORD)
    page.goto(page.base_url + "/property/")
    form = page.locator("form.card", has=page.locator("textarea[name=reply]"))
    form.evaluate("f => f.noValidate = true")
    form.locator("textarea[name=reply]").fill("   ")
    form.locator("button.primary").click()
    expect(page.locator("form.card .field-error")).to_contain_text("请填写答复")
    assert page.locator("form.card textarea[name=reply]").get_attribute("aria-invalid") == "true"
    ev.refresh_from_db()
    assert not ev.reply
