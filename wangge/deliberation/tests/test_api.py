"""API under /api/v1: councils, meetings, proposals, conventions, mediations — happy paths, the error shape,
and 404 out of scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from wangge.appeals.models import Appeal
from wangge.testing import api_client

from .. import services
from ..models import Meeting

pytestmark = pytest.mark.django_db


def _iso(d: dt.datetime) -> str:
    return d.isoformat()


def test_council_create_list_and_error_shape(world) -> None:
    c = api_client(world.staff)
    r = c.post(
        "/api/v1/councils",
        {"name": "东园二网格议事会", "area": world.tree.grid_b.code, "proposal_threshold": 10},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["area"]["code"] == world.tree.grid_b.code and r.json()["proposal_threshold"] == 10
    r = c.post(
        "/api/v1/councils", {"name": "", "area": world.tree.grid_b.code}, content_type="application/json"
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "name", "message": "请填写议事会名称"}]
    r = c.post(
        "/api/v1/councils", {"name": "x", "area": world.tree.grid_c.code}, content_type="application/json"
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "area"
    names = [x["name"] for x in c.get("/api/v1/councils").json()]
    assert "东园二网格议事会" in names and "东园一网格议事会" in names


def test_out_of_scope_is_404_on_every_resource(world) -> None:
    m = services.meeting_create(
        council=world.grid_council, title="议事", starts_at=timezone.now(), place="站", by=world.grid_worker
    )
    p = services.proposal_create(by=world.residents_a[1], title="养犬", body="建议制定网格养犬公约，文明养犬")
    conv = services.convention_create(
        council=world.grid_council, title="公约", text="条文", by=world.grid_worker
    )
    services.convention_adopt(convention=conv, adopted_ref="会议表决", by=world.grid_worker)
    d = services.dispute_open(
        area=world.tree.grid_a,
        kind="neighbour",
        matter="噪音",
        parties=[{"name": "甲", "side": "applicant"}, {"name": "乙", "side": "respondent"}],
        by=world.staff,
    )
    outsider = api_client(world.other_staff)
    for url in (
        f"/api/v1/councils/{world.grid_council.pk}",
        f"/api/v1/meetings/{m.pk}",
        f"/api/v1/proposals/{p.pk}",
        f"/api/v1/conventions/{conv.pk}",
        f"/api/v1/mediations/{d.pk}",
    ):
        r = outsider.get(url)
        assert r.status_code == 404, url
        assert api_client(world.staff).get(url).status_code == 200, url
    assert api_client(world.other_staff).post(f"/api/v1/proposals/{p.pk}/support").status_code == 404
    assert api_client(world.resident_c).get(f"/api/v1/conventions/{conv.pk}").status_code == 404
    assert api_client(world.residents_a[2]).get(f"/api/v1/conventions/{conv.pk}").status_code == 200


def test_meeting_flow_over_the_api(world) -> None:
    convenor = api_client(world.grid_worker)
    member = api_client(world.residents_a[0])
    starts = timezone.now() + dt.timedelta(minutes=30)
    r = convenor.post(
        "/api/v1/meetings",
        {
            "council_id": world.grid_council.pk,
            "title": "六月议事",
            "starts_at": _iso(starts),
            "place": "网格站",
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    mid = r.json()["id"]
    code = r.json()["signin_code"]
    assert code and len(code) == 6
    # The code is shown only to those who run the meeting.
    assert member.get(f"/api/v1/meetings/{mid}").json()["signin_code"] is None
    r = convenor.post(
        f"/api/v1/meetings/{mid}/agenda", {"title": "文明养犬"}, content_type="application/json"
    )
    assert r.status_code == 201 and r.json()["source"] == "staff"
    assert convenor.post(f"/api/v1/meetings/{mid}/notice").json() == {"notified": 2}
    r = member.post(f"/api/v1/meetings/{mid}/sign-in", {"code": "x"}, content_type="application/json")
    assert r.status_code == 422 and r.json()["errors"][0] == {"field": "code", "message": "签到码不正确"}
    r = member.post(f"/api/v1/meetings/{mid}/sign-in", {"code": code}, content_type="application/json")
    assert r.status_code == 201 and r.json()["mode"] == "in_person"
    r = member.post(f"/api/v1/meetings/{mid}/sign-in", {"code": code}, content_type="application/json")
    assert r.status_code == 409 and r.json()["state"] == "signed_in"
    Meeting.objects.filter(pk=mid).update(starts_at=timezone.now() - dt.timedelta(minutes=5))
    r = convenor.post(
        f"/api/v1/meetings/{mid}/resolutions", {"text": "制定养犬公约"}, content_type="application/json"
    )
    assert r.status_code == 201 and r.json()["progress"]["state_display"] == "未转办"
    rid = r.json()["id"]
    r = member.post(f"/api/v1/meetings/{mid}/resolutions", {"text": "x"}, content_type="application/json")
    assert r.status_code == 403
    r = convenor.post(
        f"/api/v1/meetings/{mid}/resolutions/{rid}/follow-up",
        {"owner_id": world.grid_worker.pk, "due_on": str(timezone.localdate() + dt.timedelta(days=7))},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["progress"]["kind"] == "follow_up"
    r = convenor.post(
        f"/api/v1/meetings/{mid}/minutes", {"minutes": "到会2人。"}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["status"] == "held"
    detail = member.get(f"/api/v1/meetings/{mid}").json()
    assert detail["attendance_count"] == 1 and detail["resolutions"][0]["progress"]["state"] == "open"


def test_resolution_to_case_over_the_api(world) -> None:
    staff = api_client(world.staff)
    m = services.meeting_create(
        council=world.community_council,
        title="社区议事",
        starts_at=timezone.now(),
        place="社区",
        by=world.staff,
    )
    r = staff.post(
        f"/api/v1/meetings/{m.pk}/resolutions", {"text": "修复3号路灯"}, content_type="application/json"
    )
    rid = r.json()["id"]
    url = f"/api/v1/meetings/{m.pk}/resolutions/{rid}/case"
    r = staff.post(url, {"category": "bad"}, content_type="application/json")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "category"
    r = staff.post(url, {"category": "SJ0101"}, content_type="application/json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["outcome"] == "case" and body["progress"]["state"] == "opened"
    assert Appeal.objects.get(pk=body["appeal_id"]).description.startswith("【议事决议】")
    assert staff.post(url, {"category": "SJ0101"}, content_type="application/json").status_code == 409
    # The resolution id must belong to the meeting in the path.
    other = services.meeting_create(
        council=world.community_council,
        title="另一次",
        starts_at=timezone.now(),
        place="社区",
        by=world.staff,
    )
    r = staff.post(
        f"/api/v1/meetings/{other.pk}/resolutions/{rid}/case",
        {"category": "SJ0101"},
        content_type="application/json",
    )
    assert r.status_code == 404


def test_proposals_support_and_the_agenda(world) -> None:
    author = api_client(world.residents_a[1])
    r = author.post(
        "/api/v1/proposals",
        {"title": "小区增设晾晒区", "body": "希望在空地增设公共晾晒架，方便老人晾被子", "scope": "grid"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    pid = r.json()["id"]
    assert r.json()["threshold"] == 3 and r.json()["council_id"] == world.grid_council.pk
    r = author.post("/api/v1/proposals", {"title": "", "body": "x"}, content_type="application/json")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "title"
    r = api_client(world.staff).post(
        "/api/v1/proposals", {"title": "x", "body": "y" * 20}, content_type="application/json"
    )
    assert r.status_code == 403
    services.meeting_create(
        council=world.grid_council,
        title="下次议事",
        starts_at=timezone.now() + dt.timedelta(days=3),
        place="站",
        by=world.grid_worker,
    )
    results = []
    for u in world.residents_a[:3]:
        r = api_client(u).post(f"/api/v1/proposals/{pid}/support")
        assert r.status_code == 201
        results.append(r.json()["crossed"])
    assert results == [False, False, True]
    body = api_client(world.residents_a[0]).get(f"/api/v1/proposals/{pid}").json()
    assert body["status"] == "on_agenda" and body["supported"] is True and body["meeting_id"]
    r = api_client(world.residents_a[0]).post(f"/api/v1/proposals/{pid}/support")
    assert r.status_code == 409 and r.json()["state"] == "supported"
    assert api_client(world.resident_b).post(f"/api/v1/proposals/{pid}/support").status_code == 404


def test_conventions_over_the_api(world) -> None:
    convenor = api_client(world.grid_worker)
    r = convenor.post(
        "/api/v1/conventions",
        {"council_id": world.grid_council.pk, "title": "网格养犬公约", "text": "遛犬拴绳。"},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["status"] == "draft"
    cid = r.json()["id"]
    r = convenor.post(
        f"/api/v1/conventions/{cid}/versions",
        {"text": "遛犬拴绳；清理粪便。"},
        content_type="application/json",
    )
    assert r.status_code == 201 and [v["number"] for v in r.json()["versions"]] == [1, 2]
    r = convenor.post(f"/api/v1/conventions/{cid}/adopt", {}, content_type="application/json")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "resolution"
    m = services.meeting_create(
        council=world.grid_council, title="议事", starts_at=timezone.now(), place="站", by=world.grid_worker
    )
    res = services.resolution_add(meeting=m, text="通过养犬公约", by=world.grid_worker)
    r = convenor.post(
        f"/api/v1/conventions/{cid}/adopt", {"resolution_id": res.pk}, content_type="application/json"
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert (
        body["status"] == "published" and body["version"] == 2 and body["adopted_by_resolution_id"] == res.pk
    )
    assert body["adopted_by"] == "东园一网格议事会" and body["text"] == "遛犬拴绳；清理粪便。"
    resident = api_client(world.residents_a[2])
    r = resident.post(f"/api/v1/conventions/{cid}/acknowledge")
    assert r.status_code == 201 and r.json()["version"] == 2
    assert resident.post(f"/api/v1/conventions/{cid}/acknowledge").status_code == 409
    listed = resident.get("/api/v1/conventions").json()
    assert listed[0]["acknowledged"] is True and listed[0]["ack_count"] == 1


def test_mediations_over_the_api(world) -> None:
    staff = api_client(world.grid_worker)
    payload = {
        "area": world.tree.grid_a.code,
        "kind": "property",
        "matter": "物业费争议",
        "parties": [
            {"name": "孙海燕", "phone": "13912345678", "side": "applicant"},
            {"name": "海安某物业公司", "kind": "company", "side": "respondent"},
        ],
    }
    r = staff.post("/api/v1/mediations", payload, content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    did = body["id"]
    assert [p["name"] for p in body["parties"]] == ["孙**", "海安某物业公司"]  # a company is not a person
    assert body["parties"][0]["phone"] == "139****5678"
    bad = {**payload, "parties": [payload["parties"][0]]}
    assert staff.post("/api/v1/mediations", bad, content_type="application/json").status_code == 422
    r = staff.post(
        f"/api/v1/mediations/{did}/mediators",
        {"kind": "three_officials", "name": "法官王某"},
        content_type="application/json",
    )
    assert r.status_code == 201
    r = staff.post(
        f"/api/v1/mediations/{did}/sessions", {"notes": "双方陈述"}, content_type="application/json"
    )
    assert r.status_code == 201
    r = staff.post(
        f"/api/v1/mediations/{did}/close", {"outcome": "agreement"}, content_type="application/json"
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "terms"
    r = staff.post(
        f"/api/v1/mediations/{did}/close",
        {"outcome": "agreement", "terms": "减免两个月物业费"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["outcome"] == "agreement"
    r = staff.post(f"/api/v1/mediations/{did}/visits", {"note": "已履行"}, content_type="application/json")
    assert r.status_code == 201
    pid = body["parties"][0]["id"]
    r = staff.post(f"/api/v1/mediations/{did}/parties/{pid}/reveal")
    assert r.status_code == 200 and r.json()["phone"] == "13912345678"
    assert (
        api_client(world.residents_a[0]).post(f"/api/v1/mediations/{did}/parties/{pid}/reveal").status_code
        == 404
    )
    stats = staff.get("/api/v1/mediations/stats?level=grid").json()
    assert stats["total"] == 1 and stats["by_outcome"] == {"agreement": 1} and stats["agreement_rate"] == 1.0
    assert api_client(world.residents_a[0]).get("/api/v1/mediations/stats").status_code == 403


def test_openapi_lists_the_resources(world) -> None:
    paths = api_client(world.staff).get("/api/v1/openapi.json").json()["paths"]
    for p in (
        "/api/v1/councils",
        "/api/v1/meetings",
        "/api/v1/proposals",
        "/api/v1/conventions",
        "/api/v1/mediations",
    ):
        assert p in paths
