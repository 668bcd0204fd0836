"""Issue 7 (trust) for the case loop: the holes each have a regression test here.

- a re-submit whose 12345 ticket / idempotency key matches a case returns it only to someone who may see it;
- the administrator's list and duplicates look-up are not empty;
- separation of duties: nobody on the handling side checks or rates a case (setting for tiny communities);
- the public Open311 feed lists only reviewed cases and masks phones, ID numbers and names;
- bounded inputs: bad ids, offsets, dates, coordinates and NUL bytes answer 4xx, never 500.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.test import Client

from wangge.accounts.roles import Role
from wangge.appeals import services
from wangge.appeals.metrics import appeal_metrics
from wangge.appeals.models import Appeal, State
from wangge.appeals.selectors import allowed_actions
from wangge.core.errors import Forbidden
from wangge.testing import api_client, make_id_number, make_user

from .conftest import World, submit_kwargs

pytestmark = pytest.mark.django_db

PHONE = re.compile(r"1[3-9]\d{9}")
ID_NUMBER = re.compile(r"\d{17}[\dXx]")


def post(client: Client, path: str, body: dict[str, Any] | None = None, **headers: Any) -> Any:
    return client.post(f"/api/v1{path}", json.dumps(body or {}), content_type="application/json", **headers)


def raw_post(client: Client, path: str, raw: str) -> Any:
    return client.post(f"/api/v1{path}", raw, content_type="application/json")


# --- (a) hand-over / idempotent re-submit -----------------------------------------------------------------


def hotline(world: World, ref: str, **extra: Any) -> dict[str, Any]:
    return submit_kwargs(
        world,
        channel="hotline_12345",
        external_ref=ref,
        description="12345转办：楼道堆物，联系人王小明",
        **extra,
    )


def test_hotline_ref_of_a_case_out_of_reach_is_a_409_naming_nothing(world: World) -> None:
    ref = "12345-2026030200001"
    first = post(api_client(world.grid_worker), "/appeals", hotline(world, ref))
    assert first.status_code == 201, first.content
    pk = first.json()["id"]

    # A grid worker of another grid guesses the ticket number: no case comes back, and nothing of it.
    res = post(api_client(world.grid_worker_b), "/appeals", hotline(world, ref))
    assert res.status_code == 409, res.content
    body = res.json()
    assert set(body) == {"detail", "errors"} and body["errors"] == []
    text = json.dumps(body, ensure_ascii=False)
    assert str(pk) not in re.findall(r"\d+", text)
    assert "楼道" not in text and "王小明" not in text and ref not in text

    # Those who may see it get the case itself (the retry of a hand-over is idempotent).
    again = post(api_client(world.grid_worker), "/appeals", hotline(world, ref))
    assert again.status_code == 200 and again.json()["id"] == pk
    assert post(api_client(world.community), "/appeals", hotline(world, ref)).json()["id"] == pk
    assert Appeal.objects.filter(external_ref=ref).count() == 1


def test_service_refuses_the_resubmit_for_someone_who_cannot_see_the_case(world: World) -> None:
    from wangge.core.errors import Conflict

    ref = "12345-2026030200002"
    appeal, created = services.appeal_submit(by=world.grid_worker, **hotline(world, ref))
    assert created
    with pytest.raises(Conflict) as exc:
        services.appeal_submit(by=world.grid_worker_b, **hotline(world, ref))
    assert str(appeal.pk) not in exc.value.detail
    assert services.appeal_submit(by=world.grid_worker, **hotline(world, ref)) == (appeal, False)


def test_idempotency_key_retry_returns_the_same_case_to_its_submitter(world: World) -> None:
    resident = api_client(world.resident)
    a = post(resident, "/appeals", submit_kwargs(world), HTTP_IDEMPOTENCY_KEY="idem-1")
    b = post(resident, "/appeals", submit_kwargs(world), HTTP_IDEMPOTENCY_KEY="idem-1")
    assert a.status_code == 201 and b.status_code == 200 and a.json()["id"] == b.json()["id"]
    # The same key from someone else is their own new case.
    c = post(api_client(world.resident2), "/appeals", submit_kwargs(world), HTTP_IDEMPOTENCY_KEY="idem-1")
    assert c.status_code == 201 and c.json()["id"] != a.json()["id"]


# --- (b) the administrator's list and duplicates ----------------------------------------------------------


def test_admin_lists_every_case_and_finds_duplicates(world: World) -> None:
    admin = make_user(Role.ADMIN, username="root_admin")
    first, _ = services.appeal_submit(by=world.resident, **submit_kwargs(world))
    second, _ = services.appeal_submit(by=world.resident2, **submit_kwargs(world))
    client = api_client(admin)
    listed = client.get("/api/v1/appeals").json()
    assert listed["count"] == 2
    assert {a["id"] for a in listed["items"]} == {first.pk, second.pk}
    dupes = client.get(f"/api/v1/appeals/{first.pk}/duplicates")
    assert dupes.status_code == 200 and [d["id"] for d in dupes.json()] == [second.pk]
    assert client.get(f"/api/v1/appeals/{first.pk}").status_code == 200
    # The pages too: the dispatch board's "all" view lists both.
    client.force_login(admin)
    page = client.get("/appeals/board/?view=all")
    assert page.status_code == 200
    assert f"/appeals/{first.pk}/" in page.content.decode()


# --- (c) separation of duties ----------------------------------------------------------------------------


def self_handled_patrol_case(world: World, description: str = "巡查发现路口暴露垃圾") -> Appeal:
    """A grid worker finds a matter on patrol, dispatches it to themselves and resolves it."""
    gw = world.grid_worker
    appeal, _ = services.appeal_submit(
        by=gw, **submit_kwargs(world, category="SJ0101", channel="patrol", description=description)
    )
    assert appeal.state == State.OPENED
    services.appeal_dispatch(appeal_id=appeal.pk, by=gw, lead_user_id=gw.pk)
    services.appeal_acknowledge(appeal_id=appeal.pk, by=gw)
    services.appeal_resolve(appeal_id=appeal.pk, by=gw, note="已清理")
    return Appeal.objects.get(pk=appeal.pk)


def test_the_handler_may_not_check_or_rate_their_own_case(world: World) -> None:
    appeal = self_handled_patrol_case(world)
    gw = world.grid_worker
    actions = allowed_actions(gw, appeal)
    assert "check" not in actions and "rate" not in actions
    with pytest.raises(Forbidden) as exc:
        services.appeal_check(appeal_id=appeal.pk, by=gw, passed=True)
    assert "监督" in exc.value.detail or "处置" in exc.value.detail
    with pytest.raises(Forbidden):
        services.appeal_rate(appeal_id=appeal.pk, by=gw, satisfaction="satisfied", solved=True)
    # Through the API: 403 with the reason.
    res = post(api_client(gw), f"/appeals/{appeal.pk}/check", {"passed": True})
    assert res.status_code == 403 and res.json()["detail"]
    # Someone else (the community) checks it.
    assert "check" in allowed_actions(world.community, appeal)
    services.appeal_check(appeal_id=appeal.pk, by=world.community, passed=True)
    assert Appeal.objects.get(pk=appeal.pk).check_passed


def test_a_co_handler_may_not_check(world: World) -> None:
    appeal, _ = services.appeal_submit(by=world.resident, **submit_kwargs(world, category="SJ0101"))
    services.appeal_accept(appeal_id=appeal.pk, by=world.community)
    services.appeal_dispatch(
        appeal_id=appeal.pk,
        by=world.community,
        lead_unit_id=world.property_co.pk,
        co_user_ids=[world.grid_worker.pk],
    )
    services.appeal_acknowledge(appeal_id=appeal.pk, by=world.property_staff)
    services.appeal_resolve(appeal_id=appeal.pk, by=world.property_staff, note="已清理")
    appeal.refresh_from_db()
    assert "check" not in allowed_actions(world.grid_worker, appeal)
    with pytest.raises(Forbidden):
        services.appeal_check(appeal_id=appeal.pk, by=world.grid_worker, passed=True)
    services.appeal_check(appeal_id=appeal.pk, by=world.community, passed=True)


def test_self_handled_patrol_case_counts_in_no_satisfaction_figure(world: World) -> None:
    appeal = self_handled_patrol_case(world)
    services.appeal_check(appeal_id=appeal.pk, by=world.community, passed=True)
    # No resident to ask: the community may take down no satisfaction for it; it is closed as handled.
    assert "rate" not in allowed_actions(world.community, appeal)
    with pytest.raises(Forbidden):
        services.appeal_rate(appeal_id=appeal.pk, by=world.community, satisfaction="satisfied", solved=True)
    services.appeal_close(appeal_id=appeal.pk, by=world.community)
    # A resident's case rated by the resident counts.
    other, _ = services.appeal_submit(by=world.resident, **submit_kwargs(world, category="SQ0101"))
    services.appeal_accept(appeal_id=other.pk, by=world.community)
    services.appeal_dispatch(appeal_id=other.pk, by=world.community, lead_unit_id=world.property_co.pk)
    services.appeal_acknowledge(appeal_id=other.pk, by=world.property_staff)
    services.appeal_resolve(appeal_id=other.pk, by=world.property_staff, note="已修")
    services.appeal_rate(appeal_id=other.pk, by=world.resident, satisfaction="satisfied", solved=True)
    m = appeal_metrics(viewer=world.community, area=world.tree.community.code, source="raw")
    assert m["closed"] == 2 and m["rated"] == 1 and m["satisfaction_rate"] == 1.0
    assert m["self_checked"] == 0


def test_self_check_setting_allows_it_and_the_figures_mark_it(world: World, settings: Any) -> None:
    settings.WANGGE_APPEALS_ALLOW_SELF_CHECK = True
    appeal = self_handled_patrol_case(world)
    assert "check" in allowed_actions(world.grid_worker, appeal)
    services.appeal_check(appeal_id=appeal.pk, by=world.grid_worker, passed=True)
    appeal.refresh_from_db()
    assert appeal.check_passed and appeal.self_checked
    m = appeal_metrics(viewer=world.community, area=world.tree.community.code, source="raw")
    assert m["self_checked"] == 1
    # Rating stays with someone off the handling side.
    with pytest.raises(Forbidden):
        services.appeal_rate(appeal_id=appeal.pk, by=world.grid_worker, satisfaction="satisfied", solved=True)


# --- public surfaces -------------------------------------------------------------------------------------


def test_public_feed_lists_only_reviewed_cases_and_masks_personal_data(world: World, settings: Any) -> None:
    id_number = make_id_number()
    # Submitted by a resident, not yet reviewed: never public.
    raw, _ = services.appeal_submit(
        by=world.resident,
        **submit_kwargs(world, category="SJ0101", description=f"未审核 电话13812345678 身份证{id_number}"),
    )
    # Cancelled before opening: never public either.
    cancelled, _ = services.appeal_submit(by=world.resident2, **submit_kwargs(world, category="SJ0101"))
    services.appeal_cancel(appeal_id=cancelled.pk, by=world.community, reason="重复")
    # Entered by staff (opened at once), with a resident's details typed into the public text.
    lat, lng = world.point(world.tree.grid_a)
    opened, _ = services.appeal_submit(
        by=world.grid_worker,
        category="SJ0101",
        channel="staff_entry",
        description=f"王小明反映：门口垃圾，电话 139 0000 1111 / 13900001111，身份证 {id_number}",
        address="东园小区1号楼 联系13812345678",
        reporter_name="王小明",
        reporter_phone="13900001111",
        lat=lat + 0.0001234,
        lng=lng + 0.0004321,
    )
    assert opened.state == State.OPENED
    client = Client()
    listed = client.get("/open311/v2/requests.json")
    assert listed.status_code == 200
    ids = [r["service_request_id"] for r in listed.json()]
    assert ids == [str(opened.pk)]
    body = listed.content.decode()
    xml = client.get("/open311/v2/requests.xml").content.decode()
    single = client.get(f"/open311/v2/requests/{opened.pk}.json").content.decode()
    for text in (body, xml, single):
        assert not PHONE.search(text.replace(" ", "")), text
        assert not ID_NUMBER.search(text), text
        assert "王小明" not in text
    row = listed.json()[0]
    assert "王*" in row["description"]
    # ~100 m: three decimals of a degree.
    assert row["lat"] == round(opened.lat, 3) and row["long"] == round(opened.lng, 3)
    root = ET.fromstring(xml.encode())
    assert [e.text for e in root.findall("./request/service_request_id")] == [str(opened.pk)]
    # The unreviewed and the cancelled-before-opening are 404 one by one, in both formats.
    for pk in (raw.pk, cancelled.pk):
        assert client.get(f"/open311/v2/requests/{pk}.json").status_code == 404
        assert client.get(f"/open311/v2/requests/{pk}.xml").status_code == 404
    by_id = client.get(f"/open311/v2/requests.json?service_request_id={raw.pk},{opened.pk}").json()
    assert [r["service_request_id"] for r in by_id] == [str(opened.pk)]
    # The precision is a setting.
    settings.WANGGE_APPEALS_PUBLIC_COORD_DECIMALS = 2
    row = client.get("/open311/v2/requests.json").json()[0]
    assert row["lat"] == round(opened.lat, 2)


# --- fuzz-class inputs -----------------------------------------------------------------------------------


def test_bad_ids_offsets_and_limits_are_4xx(world: World) -> None:
    client = api_client(world.community)
    for path in ("/api/v1/appeals/-1", f"/api/v1/appeals/{10**30}", f"/api/v1/appeals/{2**63}"):
        assert client.get(path).status_code in (404, 422), path
    assert client.get(f"/api/v1/appeals/{2**63}/duplicates").status_code in (404, 422)
    assert post(client, f"/appeals/{2**63}/accept").status_code in (404, 422)
    assert post(client, f"/appeals/{10**30}/accept").status_code in (404, 422)
    for params in ({"offset": -1}, {"offset": 10**30}, {"limit": 0}, {"limit": 10**6}, {"limit": -5}):
        res = client.get("/api/v1/appeals", params)
        assert res.status_code == 422, (params, res.content)
        assert res.json()["errors"][0]["field"] in ("offset", "limit")
    client.force_login(world.community)
    assert client.get(f"/appeals/{2**63}/").status_code == 404
    assert client.get("/appeals/board/?view=all&page=-3").status_code == 200


def test_dates_outside_a_sane_range_are_422_naming_the_field(world: World) -> None:
    client = api_client(world.community)
    for value in ("0001-01-01T00:00:00", "9999-12-31T23:59:59", "1200-01-01T00:00:00+08:00"):
        res = client.get("/api/v1/appeals", {"due_before": value})
        assert res.status_code == 422, (value, res.content)
        assert res.json()["errors"][0]["field"] == "due_before"
    assert client.get("/api/v1/appeals", {"due_before": "2026-03-02T09:00:00+08:00"}).status_code == 200


def test_nan_and_infinite_coordinates_are_422(world: World) -> None:
    client = api_client(world.resident)
    base = submit_kwargs(world)
    for lat in ("NaN", "Infinity", "-Infinity", "1e400"):
        raw = json.dumps(base).replace(f'"lat": {base["lat"]}', f'"lat": {lat}')
        assert lat in raw
        res = raw_post(client, "/appeals", raw)
        assert res.status_code == 422, (lat, res.content)
        assert res.json()["errors"][0]["field"] == "lat"
    res = post(client, "/appeals", {**base, "lat": 91.0})
    assert res.status_code == 422 and res.json()["errors"][0]["field"] == "lat"
    assert Appeal.objects.count() == 0


def test_nul_bytes_and_oversized_text_are_422(world: World) -> None:
    client = api_client(world.resident)
    res = post(client, "/appeals", submit_kwargs(world, description="灯不亮\x00"))
    assert res.status_code == 422, res.content
    assert res.json()["errors"][0]["field"] == "description"
    res = post(client, "/appeals", submit_kwargs(world, description="长" * 5001))
    assert res.status_code == 422 and res.json()["errors"][0]["field"] == "description"
    res = post(client, "/appeals", submit_kwargs(world, address="a\x00b"))
    assert res.status_code == 422 and res.json()["errors"][0]["field"] == "address"
    pk = post(client, "/appeals", submit_kwargs(world)).json()["id"]
    dispatcher = api_client(world.community)
    res = post(dispatcher, f"/appeals/{pk}/accept", {"note": "ok\x00"})
    assert res.status_code == 422 and res.json()["errors"][0]["field"] == "note"
    res = post(dispatcher, f"/appeals/{pk}/cancel", {"reason": "\x00"})
    assert res.status_code == 422 and res.json()["errors"][0]["field"] == "reason"
    res = post(dispatcher, f"/appeals/{pk}/merge", {"into": -1})
    assert res.status_code == 422 and res.json()["errors"][0]["field"] == "into"
    res = post(dispatcher, f"/appeals/{pk}/dispatch", {"lead_unit_id": 2**63})
    assert res.status_code == 422 and res.json()["errors"][0]["field"] == "lead_unit_id"
    res = client.get("/api/v1/appeals", {"q": "灯\x00"})
    assert res.status_code == 422 and res.json()["errors"][0]["field"] == "q"
    assert Appeal.objects.get(pk=pk).state == State.SUBMITTED


def test_open311_fuzz_inputs_are_4xx(world: World) -> None:
    client = Client()
    for path in (
        f"/open311/v2/requests/{10**30}.json",
        f"/open311/v2/requests/{2**63}.json",
        "/open311/v2/requests/-1.json",
    ):
        assert client.get(path).status_code == 404, path
    for query in (
        f"service_request_id={10**30}",
        "start_date=0001-01-01T00:00:00Z",
        "end_date=0001-01-05T00:00:00Z",
        "start_date=9999-12-31T00:00:00Z",
        "service_code=SJ%00",
        "status=open%00",
    ):
        res = client.get(f"/open311/v2/requests.json?{query}")
        assert res.status_code == 400, (query, res.content)
        assert res.json()[0]["code"] == 400
    key_user = make_user(Role.GRID_WORKER, world.tree.grid_a, username="o311")
    from wangge.accounts.services import token_create

    key = token_create(user=key_user)
    lat, lng = world.point(world.tree.grid_a)
    for extra in ({"description": "垃圾\x00"}, {"lat": "nan"}, {"long": "inf"}, {"lat": "1e400"}):
        data = {"api_key": key, "service_code": "SJ0101", "lat": lat, "long": lng, "description": "垃圾"}
        res = client.post("/open311/v2/requests.json", {**data, **extra})
        assert res.status_code == 400, (extra, res.content)
    assert Appeal.objects.count() == 0


# --- query counts ---------------------------------------------------------------------------------------


def test_inbox_query_count_does_not_grow(world: World, django_assert_max_num_queries: Any) -> None:
    handler = api_client(world.property_staff)
    for _ in range(5):
        appeal, _ = services.appeal_submit(by=world.resident, **submit_kwargs(world))
        services.appeal_accept(appeal_id=appeal.pk, by=world.community)
        services.appeal_dispatch(appeal_id=appeal.pk, by=world.community, lead_unit_id=world.property_co.pk)
    with django_assert_max_num_queries(6):
        res = handler.get("/api/v1/appeals", {"role": "handling"})
    assert res.json()["count"] == 5
    handler.force_login(world.property_staff)
    with django_assert_max_num_queries(12):
        page = handler.get("/appeals/inbox/")
    assert page.status_code == 200 and page.content.decode().count("/appeals/") >= 5


def test_a_handler_who_returned_a_case_gets_only_the_outcome(world: World) -> None:
    appeal, _ = services.appeal_submit(by=world.resident, **submit_kwargs(world, description="楼道灯坏了"))
    services.appeal_accept(appeal_id=appeal.pk, by=world.community)
    services.appeal_dispatch(appeal_id=appeal.pk, by=world.community, lead_unit_id=world.department.pk)
    res = post(api_client(world.department_staff), f"/appeals/{appeal.pk}/return", {"reason": "非本部门"})
    assert res.status_code == 200
    assert res.json() == {"id": appeal.pk, "state": "opened", "state_label": "已立案", "version": 3}
    assert api_client(world.department_staff).get(f"/api/v1/appeals/{appeal.pk}").status_code == 404


def test_metrics_inputs_are_bounded(world: World) -> None:
    client = api_client(world.community)
    for params in (
        {"from": "0001-01-01"},
        {"to": "0001-01-01"},
        {"to": "9999-12-31"},
        {"from": "2026-01-01T00:00:00", "to": "9999-12-31T23:59:59"},
    ):
        res = client.get("/api/v1/metrics/appeals", params)
        assert res.status_code == 422, (params, res.content)
        assert res.json()["errors"][0]["field"] in ("from", "to"), res.content
    for params in ({"area": "3206\x00"}, {"category": "SJ\x00"}, {"area": "3" * 500}):
        res = client.get("/api/v1/metrics/appeals", params)
        assert res.status_code == 422, (params, res.content)
    for params in ({"unit": 2**63}, {"person": -1}):
        assert client.get("/api/v1/metrics/appeals", params).status_code == 422, params
    client.force_login(world.community)
    assert client.get("/appeals/figures/?from=0001-01-01&to=0001-02-01").status_code == 422
    assert client.get("/appeals/figures/?area=3206%00").status_code in (404, 422)
