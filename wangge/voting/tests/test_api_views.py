"""Votes through the API and the pages: scope, who sees ballots (audited), results published, errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.core.models import AuditLog
from wangge.testing import api_client, make_id_number, make_user
from wangge.voting import services
from wangge.voting.models import RuleSet, Voter
from wangge.voting.tests.conftest import photo_bytes

pytestmark = pytest.mark.django_db


def _setup(world):
    hs = [world.house(f"{i}01", 100) for i in range(1, 5)]
    people = []
    for h in hs:
        p = world.person(h, f"业主{h.room}")
        world.own(h, p.name, resident=p)
        people.append(p)
    return hs, people


def test_vote_create_api_errors(world):
    c = api_client(world.staff)
    now = timezone.now()
    civil = RuleSet.objects.get(name="民法典（全国通用）")
    base = {"title": "加装电梯", "matter": "elevator", "area": world.tree.community.code, "rule_set_id": civil.pk,
            "opens_at": now.isoformat(), "closes_at": (now + timedelta(days=3)).isoformat()}  # fmt: skip
    r = c.post("/api/v1/votes", base, content_type="application/json")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "scope"  # an elevator needs an entrance
    r = c.post("/api/v1/votes", {**base, "scope": "entrance", "building_id": world.building.pk, "entrance": 5},
               content_type="application/json")  # fmt: skip
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "entrance"
    r = c.post("/api/v1/votes", {**base, "matter": "bogus"}, content_type="application/json")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "matter"
    other = make_user(Role.COMMUNITY_STAFF, world.tree.other_community)
    r = api_client(other).post("/api/v1/votes", {**base, "matter": "other"}, content_type="application/json")
    assert r.status_code == 403
    r = c.post("/api/v1/votes", {**base, "scope": "entrance", "building_id": world.building.pk, "entrance": 2},
               content_type="application/json")  # fmt: skip
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "draft" and r.json()["electorate"] == "3号楼2单元"


def test_ballots_visible_only_to_committee_and_staff_and_audited(world):
    hs, people = _setup(world)
    member = make_user(Role.RESIDENT, display_name="业委会委员")
    vote = world.vote("manager", committee=[member])
    services.ballot_cast(vote=vote, choice="approve", by=people[0].account)
    owner = api_client(people[1].account)
    assert owner.get(f"/api/v1/votes/{vote.pk}/ballots").status_code == 403
    detail = owner.get(f"/api/v1/votes/{vote.pk}").json()
    assert detail["result"] is None and detail["me"][0]["voted"] is False  # not published yet
    before = AuditLog.objects.filter(note="查看表决票明细").count()
    r = api_client(member).get(f"/api/v1/votes/{vote.pk}/ballots")
    assert r.status_code == 200 and len(r.json()) == 1 and r.json()[0]["choice"] == "approve"
    assert AuditLog.objects.filter(note="查看表决票明细").count() == before + 1
    # A stranger cannot even see that the vote exists.
    stranger = make_user(Role.RESIDENT)
    assert api_client(stranger).get(f"/api/v1/votes/{vote.pk}").status_code == 404
    # Paper ballot by the committee member, with a photo; without one it is refused.
    v = Voter.objects.get(vote=vote, electors__house=hs[1])
    m = api_client(member)
    r = m.post(f"/api/v1/votes/{vote.pk}/paper-ballots", {"voter_id": v.pk, "choice": "reject"})
    assert r.status_code == 422
    photo = SimpleUploadedFile("p.jpg", photo_bytes(), content_type="image/jpeg")
    r = m.post(
        f"/api/v1/votes/{vote.pk}/paper-ballots", {"voter_id": v.pk, "choice": "reject", "photo": photo}
    )
    assert r.status_code == 201, r.content
    # Close, publish: owners now see the result.
    s = api_client(world.staff)
    assert s.post(f"/api/v1/votes/{vote.pk}/publish").status_code == 409  # not closed yet
    assert s.post(f"/api/v1/votes/{vote.pk}/close").status_code == 200
    assert owner.post(f"/api/v1/votes/{vote.pk}/ballots", {"choice": "approve"},
                      content_type="application/json").status_code == 409  # fmt: skip
    published = s.post(f"/api/v1/votes/{vote.pk}/publish").json()
    assert published["status"] == "published" and published["passed"] is False  # 2 of 4 took part
    result = owner.get(f"/api/v1/votes/{vote.pk}").json()["result"]
    assert result["failed"] == ["quorum_area", "quorum_heads", "approve_area", "approve_heads"]  # 1 : 1
    x = owner.get(f"/api/v1/votes/{vote.pk}/export.xlsx")
    assert x.status_code == 200 and x.content[:2] == b"PK"
    # The committee's export adds every ballot (masked names), read back from the workbook.
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(m.get(f"/api/v1/votes/{vote.pk}/export.xlsx").content))
    rows = list(book["表决票明细"].iter_rows(min_row=2, values_only=True))
    assert sorted(r[4] for r in rows) == ["反对", "同意"] and all("*" in r[1] for r in rows)
    assert "未通过" in [c for row in book["表决结果"].iter_rows(values_only=True) for c in row if c]


def test_vote_list_query_count(world, django_assert_max_num_queries):
    _setup(world)
    for i in range(3):
        world.vote("other", title=f"表决{i}")
    c = api_client(world.staff)
    c.get("/api/v1/votes")
    with django_assert_max_num_queries(8):
        r = c.get("/api/v1/votes")
    assert r.json()["count"] == 3


def test_pages_owner_votes_on_the_phone_and_staff_sees_the_count(world, client):
    hs, people = _setup(world)
    vote = world.vote("manager", title="续聘物业")
    client.force_login(people[0].account)
    page = client.get(f"/voting/votes/{vote.pk}/")
    assert page.status_code == 200 and "同意" in page.content.decode()
    r = client.post(f"/voting/votes/{vote.pk}/cast/", {"choice": "approve"}, follow=True)
    assert "您已表决" in r.content.decode()
    r = client.post(f"/voting/votes/{vote.pk}/cast/", {"choice": "reject"}, follow=True)
    assert "已表决，不能重复投票" in r.content.decode()
    assert client.get("/voting/").status_code == 200
    client.force_login(world.staff)
    page = client.get(f"/voting/votes/{vote.pk}/?q=201").content.decode()
    assert "参与表决人数" in page and "录入纸质表决票" in page
    assert client.get(f"/voting/votes/{vote.pk}/ballots/").status_code == 200
    client.force_login(make_user(Role.RESIDENT))
    assert client.get(f"/voting/votes/{vote.pk}/").status_code == 404


def test_desk_creates_a_vote_and_a_survey(world, client):
    client.force_login(world.staff)
    civil = RuleSet.objects.get(name="民法典（全国通用）")
    assert client.get("/voting/votes/new/").status_code == 200
    r = client.post("/voting/votes/new/", {
        "title": "", "matter": "manager", "area": world.tree.community.code, "scope": "community",
        "rule_set": civil.pk, "opens_at": "2026-01-01T09:00", "closes_at": "2026-01-08T09:00"}, follow=True)  # fmt: skip
    assert "请填写表决事项" in r.content.decode()
    r = client.post("/voting/votes/new/", {
        "title": "选举业委会", "matter": "committee", "area": world.tree.community.code, "scope": "community",
        "rule_set": civil.pk, "opens_at": "2026-01-01T09:00", "closes_at": "2026-01-08T09:00"})  # fmt: skip
    assert r.status_code == 302
    r = client.post("/voting/surveys/new/", {
        "title": "凉亭", "area": world.tree.community.code, "per": "household", "opens_at": "2026-01-01T09:00",
        "closes_at": "2030-01-08T09:00", "questions": "单选|建在哪里|东侧;北门\n评分|支持程度|5\n文字|意见"})  # fmt: skip
    assert r.status_code == 302, r.content.decode()[:500]
    r = client.post("/voting/surveys/new/", {
        "title": "坏", "area": world.tree.community.code, "per": "household", "opens_at": "2026-01-01T09:00",
        "closes_at": "2030-01-08T09:00", "questions": "问答|没有这种题"}, follow=True)  # fmt: skip
    assert "格式不正确" in r.content.decode()


def test_owner_identity_by_id_number_without_a_link(world):
    h = world.house("101", 90)
    p = world.person(h, "钱七", id_number=make_id_number(serial=77))
    world.own(h, "钱七", make_id_number(serial=77))  # registered by ID number only
    vote = world.vote("other")
    assert services.ballot_cast(vote=vote, choice="abstain", by=p.account).voter.units == 1


def test_the_clock_closes_and_counts_a_vote_once_its_period_is_over(world):
    from wangge.voting import tasks

    hs, people = _setup(world)
    vote = world.vote("other")
    for p in people[:3]:
        services.ballot_cast(vote=vote, choice="approve", by=p.account)
    assert tasks.tick(timezone.now())["votes_closed"] == 0  # still open
    assert tasks.tick(vote.closes_at + timedelta(minutes=1))["votes_closed"] == 1
    vote.refresh_from_db()
    assert vote.status == "closed" and vote.passed is True and vote.result["participants"]["heads"] == 3
