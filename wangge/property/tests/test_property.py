"""红色物业: compliance computed from cases equals a hand-computed figure; quarterly evaluations once per
household, only by the company's residents/owners; the public board carries no personal data."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from wangge.accounts.models import Unit
from wangge.accounts.roles import Role
from wangge.appeals.models import Appeal, Category
from wangge.core.errors import Conflict, Forbidden, InvalidInput
from wangge.property import selectors, services
from wangge.property.models import Evaluation
from wangge.registry import services as registry
from wangge.registry.models import Resident
from wangge.testing import api_client, make_id_number, make_tree, make_user

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 3, 31, 20, 0, tzinfo=SH)
H = dt.timedelta(hours=1)
_serial = itertools.count(300)


@pytest.fixture
def w(settings: Any) -> dict[str, Any]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tree = make_tree()
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    company = Unit.objects.create(name="海安万家物业服务有限公司", kind=Unit.Kind.PROPERTY_COMPANY)
    other_company = Unit.objects.create(name="别家物业", kind=Unit.Kind.PROPERTY_COMPANY)
    b = registry.building_create(area=tree.grid_a, name="5号楼", address="东园5号楼", by=staff)
    b.property_company = company
    b.save()
    lamp = Category.objects.get(name="小区路灯")
    waste = Category.objects.get(name="小区垃圾清运")
    c_lamp = services.commitment_create(company=company, group="维修服务", text="道路廊灯损坏8小时内更换",
                                        categories=[lamp], time_limit_hours=8, by=staff)  # fmt: skip
    c_waste = services.commitment_create(company=company, group="环境卫生", text="生活垃圾24小时内清运",
                                         categories=[waste], time_limit_hours=24, by=staff)  # fmt: skip
    return {"tree": tree, "staff": staff, "company": company, "other": other_company, "building": b,
            "lamp": lamp, "waste": waste, "c_lamp": c_lamp, "c_waste": c_waste}  # fmt: skip


def case(w: dict[str, Any], cat: Category, dispatched: dt.datetime, resolved: dt.datetime | None, **kw: Any):
    return Appeal.objects.create(
        channel="resident_web", category=cat, description="x", grid=w["tree"].grid_a,
        area_code=kw.pop("area_code", w["tree"].grid_a.code), reported_at=dispatched - H, dispatched_at=dispatched,
        resolved_at=resolved, state=kw.pop("state", "closed" if resolved else "dispatched"),
        lead_unit=kw.pop("lead_unit", w["company"]), **kw,
    )  # fmt: skip


def test_commitment_compliance_equals_the_hand_computed_figure(w):
    t = dt.datetime(2026, 3, 10, 9, 0, tzinfo=SH)
    # Lamp cases in March (8-hour promise):
    case(w, w["lamp"], t, t + 2 * H)  # met
    case(w, w["lamp"], t, t + 8 * H)  # met: exactly at the limit
    case(w, w["lamp"], t, t + 8 * H + dt.timedelta(minutes=1))  # missed by a minute
    case(w, w["lamp"], t, None)  # still open 3 weeks later: missed
    case(w, w["lamp"], NOW - 2 * H, None)  # open, 2 h old: pending, not judged
    case(w, w["lamp"], t + dt.timedelta(days=1), t + dt.timedelta(days=1, hours=5))  # met
    case(w, w["lamp"], t, t + H, state="cancelled")  # cancelled: not counted
    case(w, w["lamp"], t, t + H, lead_unit=w["other"])  # another company's: not counted
    case(w, w["lamp"], t - dt.timedelta(days=20), t)  # February: another month (missed there)
    case(w, w["waste"], t, t + 30 * H)  # a waste case: another commitment (missed, 24 h)
    # Hand count, lamps in March: met 3, missed 2, pending 1 → 3/5 = 60.0%.
    per = selectors.compliance(w["company"], [(2026, 2), (2026, 3)], now=NOW)
    march = per[w["c_lamp"].pk][(2026, 3)]
    assert (march.met, march.missed, march.pending) == (3, 2, 1)
    assert march.percent() == "60.0"
    feb = per[w["c_lamp"].pk][(2026, 2)]
    assert (feb.met, feb.missed) == (0, 1)
    waste = per[w["c_waste"].pk][(2026, 3)]
    assert (waste.met, waste.missed) == (0, 1)
    # The board: this month's compliance of the community (lamps 3/5 + waste 0/1 = 3/6 = 50.0%).
    with_board = selectors.board(community_code=w["tree"].community.code, now=NOW)
    company = with_board["companies"][0]
    assert company["this_month"] == {"month": "2026-03", "judged": 6, "met": 3, "percent": "50.0"}


def test_a_class_commitment_covers_its_subclasses(w):
    parent = w["lamp"].parent
    c = services.commitment_create(company=w["company"], group="维修服务", text="路灯类问题当日处理",
                                   categories=[parent], time_limit_hours=12, by=w["staff"])  # fmt: skip
    assert w["lamp"].pk in selectors.covered_categories(c)


def _resident(w: dict[str, Any], room: str, name: str, building=None) -> Resident:
    house = registry.house_create(building=building or w["building"], room=room, by=w["staff"])
    hh = house.households.first() or registry.household_create(house=house, by=w["staff"])
    r = registry.resident_create(household=hh, name=name, id_number=make_id_number(serial=next(_serial)),
                                 by=w["staff"])  # fmt: skip
    Resident.objects.filter(pk=r.pk).update(account=make_user(Role.RESIDENT, display_name=name))
    r.refresh_from_db()
    return r


def test_one_evaluation_per_household_per_quarter_and_only_by_its_residents(w):
    a = _resident(w, "101", "周一")
    b = registry.resident_create(household=a.household, name="周二", gender="female", by=w["staff"])
    Resident.objects.filter(pk=b.pk).update(account=make_user(Role.RESIDENT))
    b.refresh_from_db()
    scores = {"维修服务": 5, "环境卫生": 4}
    ev = services.evaluation_submit(company=w["company"], scores=scores, comment="路灯修得快", by=a.account,
                                    now=NOW)  # fmt: skip
    assert (ev.year, ev.quarter, ev.community_id) == (2026, 1, w["tree"].community.pk)
    with pytest.raises(Conflict):
        services.evaluation_submit(company=w["company"], scores=scores, by=b.account, now=NOW)
    # Next quarter the household may evaluate again.
    services.evaluation_submit(
        company=w["company"], scores=scores, by=b.account, now=NOW + dt.timedelta(days=2)
    )
    with pytest.raises(InvalidInput):
        services.evaluation_submit(company=w["company"], scores={"维修服务": 6}, by=a.account, now=NOW)
    other_b = registry.building_create(
        area=w["tree"].grid_b, name="9号楼", address="东园9号楼", by=w["staff"]
    )
    outsider = _resident(w, "101", "吴三", building=other_b)
    with pytest.raises(Forbidden):
        services.evaluation_submit(company=w["company"], scores=scores, by=outsider.account, now=NOW)
    assert Evaluation.objects.count() == 2


def test_answered_comments_appear_on_the_public_board_without_names(w, client):
    a = _resident(w, "101", "郑重")
    ev = services.evaluation_submit(company=w["company"], scores={"维修服务": 2, "环境卫生": 3},
                                    comment="垃圾桶满了没人管", by=a.account)  # fmt: skip
    with pytest.raises(Forbidden):
        services.evaluation_reply(evaluation_id=ev.pk, reply="好", by=a.account)
    services.evaluation_reply(evaluation_id=ev.pk, reply="已增加一次清运", by=w["staff"])
    r = client.get(f"/api/v1/commitments/board/{w['tree'].community.code}")
    assert r.status_code == 200
    import json

    body = json.dumps(r.json(), ensure_ascii=False)
    assert "已增加一次清运" in body and "郑重" not in body and "101" not in body
    data = r.json()
    assert data["companies"][0]["satisfaction"][0]["evaluations"] == 1
    assert data["companies"][0]["satisfaction"][0]["satisfied"] == "0.0"
    page = client.get(f"/property/board/{w['tree'].community.code}/")
    assert page.status_code == 200 and "道路廊灯损坏8小时内更换" in page.content.decode()


def test_commitment_api_errors(w):
    c = api_client(w["staff"])
    r = c.post("/api/v1/commitments", {"company_id": w["company"].pk, "group": "维修服务", "text": "x",
               "category_ids": [], "time_limit_hours": 8}, content_type="application/json")  # fmt: skip
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "categories"
    resident = make_user(Role.RESIDENT)
    r = api_client(resident).post("/api/v1/commitments", {"company_id": w["company"].pk, "group": "g",
                                  "text": "y", "category_ids": [w["lamp"].pk], "time_limit_hours": 8},
                                  content_type="application/json")  # fmt: skip
    assert r.status_code == 403
    r = c.get("/api/v1/commitments", {"company": w["company"].pk})
    assert r.status_code == 200 and len(r.json()["items"]) == 2


def test_public_board_query_count(w, client, django_assert_max_num_queries):
    t = dt.datetime(2026, 3, 10, 9, 0, tzinfo=SH)
    for i in range(12):
        case(
            w,
            w["lamp" if i % 2 else "waste"],
            t - dt.timedelta(days=25 * i),
            t - dt.timedelta(days=25 * i) + H,
        )
    code = w["tree"].community.code
    client.get(f"/api/v1/commitments/board/{code}")
    with django_assert_max_num_queries(12):
        r = client.get(f"/api/v1/commitments/board/{code}")
    assert r.status_code == 200 and len(r.json()["companies"][0]["compliance"]) == 12
