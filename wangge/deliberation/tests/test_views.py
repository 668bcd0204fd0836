"""Pages: residents' phone pages and staff desk pages render, act through the services, and show each
form error next to its field."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from wangge.appeals.models import Appeal

from .. import services
from ..models import Acknowledgment, Dispute, Proposal, Support

pytestmark = pytest.mark.django_db


def _field_error(html: str, field: str) -> str:
    """The error list rendered for ``field`` (Django puts it right before the input, inside its <p>)."""
    m = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
    return re.sub(r"<[^>]+>", "", m.group(1)) if m else ""


def _login(client, user):
    client.force_login(user)
    return client


def test_resident_pages_render(world, client) -> None:
    _login(client, world.residents_a[1])
    for url in (
        "/deliberation/",
        "/deliberation/proposals/",
        "/deliberation/conventions/",
        "/deliberation/councils/",
    ):
        assert client.get(url).status_code == 200, url
    assert "我要提议" in client.get("/deliberation/").content.decode()
    assert client.get("/deliberation/mediations/new/").status_code == 403


def test_proposal_form_errors_next_to_the_field_then_success(world, client) -> None:
    _login(client, world.residents_a[1])
    r = client.post("/deliberation/proposals/new/", {"scope": "grid", "title": "", "body": "太短"})
    assert r.status_code == 422
    html = r.content.decode()
    assert _field_error(html, "title") == "请填写标题"
    r = client.post("/deliberation/proposals/new/", {"scope": "grid", "title": "修路灯", "body": "太短"})
    assert "至少10个字" in _field_error(r.content.decode(), "body")
    assert Proposal.objects.count() == 0
    r = client.post(
        "/deliberation/proposals/new/",
        {"scope": "grid", "title": "修路灯", "body": "三号楼前路灯坏了两个月，晚上出行不安全"},
    )
    assert r.status_code == 302
    p = Proposal.objects.get()
    assert r["Location"] == f"/deliberation/proposals/{p.pk}/"


def test_non_resident_cannot_open_the_proposal_form(world, client) -> None:
    _login(client, world.staff)
    assert client.get("/deliberation/proposals/new/").status_code == 403


def test_support_from_the_proposal_page(world, client) -> None:
    p = services.proposal_create(
        by=world.residents_a[1], title="修路灯", body="三号楼前路灯坏了两个月，晚上不安全"
    )
    _login(client, world.residents_a[2])
    page = client.get(f"/deliberation/proposals/{p.pk}/").content.decode()
    assert 'id="support-btn"' in page
    client.post(f"/deliberation/proposals/{p.pk}/", {"action": "support"})
    assert Support.objects.filter(proposal=p, user=world.residents_a[2]).exists()
    page = client.get(f"/deliberation/proposals/{p.pk}/").content.decode()
    assert 'id="support-btn"' not in page and "我已支持" in page
    # Out of scope: 404.
    _login(client, world.resident_c)
    assert client.get(f"/deliberation/proposals/{p.pk}/").status_code == 404


def test_sign_in_form_error_next_to_the_code_field(world, client) -> None:
    m = services.meeting_create(
        council=world.grid_council, title="议事", starts_at=timezone.now(), place="站", by=world.grid_worker
    )
    _login(client, world.residents_a[0])
    wrong = "000000" if m.signin_code != "000000" else "111111"
    r = client.post(f"/deliberation/meetings/{m.pk}/sign-in/", {"mode": "in_person", "code": wrong})
    assert r.status_code == 422 and _field_error(r.content.decode(), "code") == "签到码不正确"
    r = client.post(f"/deliberation/meetings/{m.pk}/sign-in/", {"mode": "in_person", "code": m.signin_code})
    assert r.status_code == 302
    assert m.attendance.count() == 1


def test_convenor_meeting_page_shows_code_and_records_resolution_to_case(world, client) -> None:
    m = services.meeting_create(
        council=world.community_council,
        title="社区议事会",
        starts_at=timezone.now(),
        place="社区",
        by=world.staff,
    )
    _login(client, world.staff)
    page = client.get(f"/deliberation/meetings/{m.pk}/").content.decode()
    assert m.signin_code in page
    r = client.post(f"/deliberation/meetings/{m.pk}/", {"action": "resolution", "text": ""})
    assert r.status_code == 422 and _field_error(r.content.decode(), "text") == "请填写决议内容"
    client.post(f"/deliberation/meetings/{m.pk}/", {"action": "resolution", "text": "修复3号楼前路灯"})
    res = m.resolutions.get()
    client.post(
        f"/deliberation/meetings/{m.pk}/", {"action": "case", "resolution": res.pk, "category": "SJ0101"}
    )
    res.refresh_from_db()
    assert res.outcome == "case" and Appeal.objects.filter(pk=res.appeal_id).exists()
    # A resident of the area sees the resolution and its progress, but not the code.
    _login(client, world.resident_b)
    page = client.get(f"/deliberation/meetings/{m.pk}/").content.decode()
    assert "修复3号楼前路灯" in page and "已立案" in page and m.signin_code not in page
    assert "修复3号楼前路灯" in client.get("/deliberation/").content.decode()


def test_follow_up_form_error_next_to_due_date(world, client) -> None:
    m = services.meeting_create(
        council=world.grid_council, title="议事", starts_at=timezone.now(), place="站", by=world.grid_worker
    )
    res = services.resolution_add(meeting=m, text="清理楼道", by=world.grid_worker)
    _login(client, world.grid_worker)
    r = client.post(
        f"/deliberation/meetings/{m.pk}/",
        {"action": "follow_up", "resolution": res.pk, "owner": world.grid_worker.pk, "due_on": ""},
    )
    assert r.status_code == 422 and _field_error(r.content.decode(), "due_on") == "请填写完成期限"
    due = timezone.localdate() + dt.timedelta(days=5)
    client.post(
        f"/deliberation/meetings/{m.pk}/",
        {"action": "follow_up", "resolution": res.pk, "owner": world.grid_worker.pk, "due_on": str(due)},
    )
    res.refresh_from_db()
    assert res.outcome == "follow_up"


def test_convention_acknowledge_page(world, client) -> None:
    c = services.convention_create(
        council=world.grid_council, title="网格养犬公约", text="遛犬拴绳", by=world.grid_worker
    )
    services.convention_adopt(convention=c, adopted_ref="网格议事会表决", by=world.grid_worker)
    _login(client, world.residents_a[3])
    assert 'id="ack-btn"' in client.get(f"/deliberation/conventions/{c.pk}/").content.decode()
    client.post(f"/deliberation/conventions/{c.pk}/", {"action": "acknowledge"})
    assert Acknowledgment.objects.filter(convention=c, user=world.residents_a[3]).exists()
    assert 'id="acked"' in client.get(f"/deliberation/conventions/{c.pk}/").content.decode()


def test_convention_new_form_error(world, client) -> None:
    _login(client, world.grid_worker)
    r = client.post(
        "/deliberation/conventions/new/", {"council": world.grid_council.pk, "title": "养犬公约", "text": ""}
    )
    assert r.status_code == 422 and _field_error(r.content.decode(), "text") == "请填写公约条文"


def test_mediation_desk_form_errors_and_flow(world, client) -> None:
    _login(client, world.grid_worker)
    data = {
        "area": world.tree.grid_a.code,
        "kind": "neighbour",
        "matter": "空调外机噪音",
        "applicant_name": "周敏",
        "applicant_phone": "123",
        "respondent_kind": "person",
        "respondent_name": "吴刚",
        "respondent_phone": "",
    }
    r = client.post("/deliberation/mediations/new/", data)
    assert r.status_code == 422 and "电话号码格式不正确" in _field_error(
        r.content.decode(), "applicant_phone"
    )
    r = client.post("/deliberation/mediations/new/", {**data, "applicant_phone": "13912345678"})
    assert r.status_code == 302
    d = Dispute.objects.get()
    page = client.get(f"/deliberation/mediations/{d.pk}/").content.decode()
    assert "周*" in page and "139****5678" in page and "13912345678" not in page
    page = client.post(
        f"/deliberation/mediations/{d.pk}/", {"action": "reveal", "party": d.parties.get(side="applicant").pk}
    )
    assert "13912345678" in page.content.decode()
    r = client.post(
        f"/deliberation/mediations/{d.pk}/", {"action": "close", "outcome": "referred_department"}
    )
    assert (
        r.status_code == 422 and _field_error(r.content.decode(), "referred_to") == "请填写转交的部门或法院"
    )
    client.post(f"/deliberation/mediations/{d.pk}/", {"action": "session", "notes": "双方同意夜间关机"})
    client.post(
        f"/deliberation/mediations/{d.pk}/",
        {"action": "close", "outcome": "agreement", "terms": "22点后关闭外机"},
    )
    d.refresh_from_db()
    assert d.outcome == "agreement"
    stats = client.get("/deliberation/mediations/stats/?level=grid").content.decode()
    assert 'id="total">1<' in stats and "100%" in stats


def test_staff_council_pages(world, client) -> None:
    _login(client, world.staff)
    r = client.post(
        "/deliberation/councils/",
        {"action": "create", "name": "", "area": world.tree.grid_b.code, "proposal_threshold": 10},
    )
    assert r.status_code == 422 and _field_error(r.content.decode(), "name") == "请填写议事会名称"
    r = client.get(f"/deliberation/councils/{world.grid_council.pk}/")
    assert r.status_code == 200 and "居民代表" in r.content.decode()
    r = client.post(
        f"/deliberation/councils/{world.grid_council.pk}/",
        {"action": "meeting", "title": "", "starts_at": "2030-01-01T19:00", "place": "站"},
    )
    assert r.status_code == 422 and _field_error(r.content.decode(), "title") == "请填写会议名称"
    _login(client, world.other_staff)
    assert client.get(f"/deliberation/councils/{world.grid_council.pk}/").status_code == 404


def test_pages_query_counts(world, client, django_assert_max_num_queries) -> None:
    for i in range(5):
        services.proposal_create(
            by=world.residents_a[i % 4], title=f"提议{i}", body="一二三四五六七八九十，内容"
        )
    _login(client, world.residents_a[0])
    with django_assert_max_num_queries(14):
        assert client.get("/deliberation/proposals/").status_code == 200
    with django_assert_max_num_queries(22):
        assert client.get("/deliberation/").status_code == 200
