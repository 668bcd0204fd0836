"""The full loop through the API as resident, dispatcher (community staff), handler and checker."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from wangge.appeals.models import Appeal, AppealEvent, Category
from wangge.core.models import AppendOnlyError
from wangge.testing import api_client

from .conftest import World, submit_kwargs

pytestmark = pytest.mark.django_db


def post(client: Client, path: str, body: dict[str, Any] | None = None, **headers: Any) -> Any:
    return client.post(f"/api/v1{path}", json.dumps(body or {}), content_type="application/json", **headers)


def get(client: Client, path: str, **params: Any) -> Any:
    return client.get(f"/api/v1{path}", params)


def test_categories_are_two_levels_with_limits(world: World) -> None:
    res = get(Client(), "/appeals/categories")
    assert res.status_code == 200
    by_code = {c["code"]: c for c in res.json()}
    assert by_code["SQ01"]["level"] == "class"
    lamp = by_code["SQ0101"]
    assert lamp["parent"] == "SQ01" and lamp["handler_type"] == "property"
    assert (lamp["resolve_amount"], lamp["resolve_unit"]) == (8, "clock_hours")
    assert (by_code["SJ0101"]["resolve_amount"], by_code["SJ0101"]["resolve_unit"]) == (4, "working_hours")
    assert (by_code["SJ0301"]["resolve_amount"], by_code["SJ0301"]["resolve_unit"]) == (15, "working_days")
    assert by_code["SJ0301"]["severity"] == "large"
    assert (by_code["BJ0102"]["resolve_amount"], by_code["BJ0102"]["resolve_unit"]) == (2, "clock_hours")


def test_full_loop_resident_dispatcher_property_checker(world: World) -> None:
    resident, dispatcher = api_client(world.resident), api_client(world.community)
    handler, checker = api_client(world.property_staff), api_client(world.grid_worker)

    res = post(resident, "/appeals", submit_kwargs(world, category="SQ1002"), HTTP_IDEMPOTENCY_KEY="k-1")
    assert res.status_code == 201, res.content
    case = res.json()
    pk = case["id"]
    assert case["state"] == "submitted"
    assert case["grid"]["code"] == world.tree.grid_a.code

    # The grid worker sees it in the grid list; the dispatcher (community) accepts and dispatches.
    listed = get(checker, "/appeals").json()
    assert pk in [a["id"] for a in listed["items"]]
    res = post(dispatcher, f"/appeals/{pk}/accept", {"note": "属实"})
    assert res.status_code == 200 and res.json()["state"] == "opened"
    suggested = res.json()["suggested_handler"]
    assert suggested["unit"]["name"] == world.property_co.name  # the building's property company
    res = post(dispatcher, f"/appeals/{pk}/dispatch", {})
    assert res.status_code == 200, res.content
    body = res.json()
    assert body["state"] == "dispatched" and body["lead_unit"]["id"] == world.property_co.pk
    assert body["resolve_due_at"] and body["response_due_at"]

    # The property company sees it in its inbox, acknowledges, starts, uploads a photo and resolves.
    inbox = get(handler, "/appeals", role="handling").json()
    assert [a["id"] for a in inbox["items"]] == [pk]
    assert post(handler, f"/appeals/{pk}/acknowledge").json()["state"] == "acknowledged"
    assert post(handler, f"/appeals/{pk}/start").json()["state"] == "in_progress"
    res = post(handler, f"/appeals/{pk}/resolve", {"note": "已清运"})
    assert res.status_code == 200 and res.json()["state"] == "resolved"

    # The resident rates: satisfied and solved → closed.
    res = post(
        resident, f"/appeals/{pk}/rate", {"satisfaction": "satisfied", "solved": True, "comment": "快"}
    )
    assert res.status_code == 200, res.content
    final = res.json()
    assert final["state"] == "closed" and final["rating"] == "satisfied" and final["solved"] is True
    kinds = [e["kind"] for e in final["timeline"]]
    assert kinds == [
        "submitted",
        "accepted",
        "dispatched",
        "acknowledged",
        "started",
        "resolved",
        "rated",
        "closed",
    ]
    roles = {e["kind"]: e["actor_role"] for e in final["timeline"]}
    assert roles["dispatched"] == "community_staff" and roles["resolved"] == "property_staff"
    # Timeline entries are immutable.
    with pytest.raises(AppendOnlyError):
        AppealEvent.objects.filter(appeal_id=pk).first().save()  # type: ignore[union-attr]


def test_checker_fails_then_passes_and_rework_is_counted(world: World) -> None:
    resident, dispatcher = api_client(world.resident), api_client(world.community)
    handler, checker = api_client(world.department_staff), api_client(world.grid_worker)
    pk = post(resident, "/appeals", submit_kwargs(world, category="SJ0102")).json()["id"]
    post(dispatcher, f"/appeals/{pk}/accept")
    res = post(dispatcher, f"/appeals/{pk}/dispatch", {"lead_unit_id": world.department.pk})
    assert res.json()["lead_unit"]["name"] == "城市管理局"
    post(handler, f"/appeals/{pk}/acknowledge")
    post(handler, f"/appeals/{pk}/resolve", {"note": "已清运"})
    # On-site check required: the resident cannot rate before it.
    res = post(resident, f"/appeals/{pk}/rate", {"satisfaction": "satisfied", "solved": True})
    assert res.status_code == 409
    res = post(checker, f"/appeals/{pk}/check", {"passed": False, "note": "仍有渣土"})
    assert res.status_code == 200 and res.json()["state"] == "dispatched"
    assert res.json()["rework_count"] == 1
    post(handler, f"/appeals/{pk}/acknowledge")
    post(handler, f"/appeals/{pk}/resolve", {"note": "二次清运"})
    assert post(checker, f"/appeals/{pk}/check", {"passed": True}).json()["check_passed"] is True
    res = post(resident, f"/appeals/{pk}/rate", {"satisfaction": "basically", "solved": True})
    assert res.json()["state"] == "closed"
    assert Appeal.objects.get(pk=pk).rework_count == 1


def test_one_idempotency_key_makes_one_case(world: World) -> None:
    client = api_client(world.resident)
    first = post(client, "/appeals", submit_kwargs(world), HTTP_IDEMPOTENCY_KEY="same-key")
    second = post(client, "/appeals", submit_kwargs(world), HTTP_IDEMPOTENCY_KEY="same-key")
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert Appeal.objects.count() == 1
    third = post(client, "/appeals", submit_kwargs(world), HTTP_IDEMPOTENCY_KEY="other-key")
    assert third.status_code == 201 and Appeal.objects.count() == 2


def test_hotline_ticket_is_kept_and_not_duplicated(world: World) -> None:
    client = api_client(world.community)
    body = submit_kwargs(
        world, channel="hotline_12345", external_ref="12345-2026-0001", reporter_phone="13700000000"
    )
    first = post(client, "/appeals", body)
    again = post(client, "/appeals", body)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["external_ref"] == "12345-2026-0001"
    assert first.json()["state"] == "opened"  # staff hand-over opens the case at once
    assert Appeal.objects.count() == 1
    missing = post(client, "/appeals", submit_kwargs(world, channel="hotline_12345"))
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "external_ref"


def test_bad_input_writes_nothing(world: World) -> None:
    client = api_client(world.resident)
    for body, field in [
        (submit_kwargs(world, category="NOPE"), "category"),
        (submit_kwargs(world, category="SQ01"), "category"),  # a class, not a subclass
        (submit_kwargs(world, description=""), "description"),
        (submit_kwargs(world, lat=10.0, lng=10.0), "lat"),  # outside every grid
        (submit_kwargs(world, coord_system="bd09"), "coord_system"),
        ({k: v for k, v in submit_kwargs(world).items() if k not in ("lat", "lng")}, "lat"),
    ]:
        res = post(client, "/appeals", body)
        assert res.status_code == 422, body
        assert res.json()["errors"][0]["field"] == field
    res = post(client, "/appeals", submit_kwargs(world, channel="hotline_12345", external_ref="x"))
    assert res.status_code == 403  # residents cannot pose as the hotline
    assert Appeal.objects.count() == 0


def test_gcj02_input_is_converted_before_locating(world: World) -> None:
    from wangge.areas.geo import wgs84_to_gcj02

    lat, lng = world.point(world.tree.grid_a)
    glat, glng = wgs84_to_gcj02(lat, lng)
    res = post(
        api_client(world.resident), "/appeals", submit_kwargs(world, lat=glat, lng=glng, coord_system="gcj02")
    )
    assert res.status_code == 201
    assert abs(res.json()["lat"] - lat) < 1e-5 and res.json()["area_code"] == world.tree.grid_a.code


def test_phone_masked_except_to_the_lead_handler_and_anonymous_hidden(world: World) -> None:
    resident, dispatcher = api_client(world.resident), api_client(world.community)
    pk = post(resident, "/appeals", submit_kwargs(world)).json()["id"]
    post(dispatcher, f"/appeals/{pk}/accept")
    post(dispatcher, f"/appeals/{pk}/dispatch", {"lead_unit_id": world.property_co.pk})
    staff_view = get(dispatcher, f"/appeals/{pk}").json()["reporter"]
    assert staff_view["phone"] == "138****5678" and staff_view["name"] == "王**"
    handler_view = get(api_client(world.property_staff), f"/appeals/{pk}").json()["reporter"]
    assert handler_view["phone"] == "13812345678"
    own = get(resident, f"/appeals/{pk}").json()["reporter"]
    assert own["phone"] == "13812345678"

    anon = post(resident, "/appeals", submit_kwargs(world, anonymous=True)).json()["id"]
    post(dispatcher, f"/appeals/{anon}/accept")
    post(dispatcher, f"/appeals/{anon}/dispatch", {"lead_unit_id": world.property_co.pk})
    seen = get(api_client(world.property_staff), f"/appeals/{anon}").json()
    assert seen["reporter"] == {"name": "匿名", "phone": "", "anonymous": True, "masked": True}
    assert "王小明" not in json.dumps(seen, ensure_ascii=False)
    assert "13812345678" not in json.dumps(seen)
    # A grid worker handling an anonymous case in their own grid does not see who reported it either.
    grid_case = post(resident, "/appeals", submit_kwargs(world, category="SQ0501", anonymous=True)).json()[
        "id"
    ]
    post(dispatcher, f"/appeals/{grid_case}/accept")
    post(dispatcher, f"/appeals/{grid_case}/dispatch", {"lead_user_id": world.grid_worker.pk})
    assert get(api_client(world.grid_worker), f"/appeals/{grid_case}").json()["reporter"]["name"] == "匿名"
    assert get(dispatcher, f"/appeals/{grid_case}").json()["reporter"]["phone"] == "138****5678"
    # The list never carries personal data.
    listed = json.dumps(get(dispatcher, "/appeals").json(), ensure_ascii=False)
    assert "13812345678" not in listed and "王小明" not in listed


def test_scope_grid_worker_cannot_see_or_act_on_another_grid(world: World) -> None:
    resident = api_client(world.resident)
    pk = post(resident, "/appeals", submit_kwargs(world, category="SQ0501")).json()["id"]  # grid matter
    other = api_client(world.grid_worker_b)
    assert get(other, f"/appeals/{pk}").status_code == 404
    assert post(other, f"/appeals/{pk}/accept").status_code == 404
    assert pk not in [a["id"] for a in get(other, "/appeals").json()["items"]]
    # Own grid's worker may open and dispatch small matters.
    own = api_client(world.grid_worker)
    assert post(own, f"/appeals/{pk}/accept").status_code == 200
    res = post(own, f"/appeals/{pk}/dispatch", {})
    assert res.status_code == 200 and res.json()["lead_user"]["id"] == world.grid_worker.pk
    # Another resident sees nothing; a department not assigned sees nothing.
    assert get(api_client(world.resident2), f"/appeals/{pk}").status_code == 404
    assert get(api_client(world.department_staff), f"/appeals/{pk}").status_code == 404
    # A handler who is not the lead cannot acknowledge.
    assert post(api_client(world.property_staff), f"/appeals/{pk}/acknowledge").status_code == 404


def test_large_matter_starts_at_the_community(world: World) -> None:
    pk = post(api_client(world.resident), "/appeals", submit_kwargs(world, category="SJ0301")).json()["id"]
    assert Appeal.objects.get(pk=pk).handling_level == "community"
    # The grid worker sees it but cannot open it: 大事社区议.
    assert post(api_client(world.grid_worker), f"/appeals/{pk}/accept").status_code == 403
    assert post(api_client(world.community), f"/appeals/{pk}/accept").status_code == 200


def test_wrong_state_is_409_with_the_current_state(world: World) -> None:
    pk = post(api_client(world.resident), "/appeals", submit_kwargs(world)).json()["id"]
    res = post(api_client(world.community), f"/appeals/{pk}/dispatch", {})
    assert res.status_code == 409 and res.json()["state"] == "submitted"
    res = post(api_client(world.community), f"/appeals/{pk}/accept", {"version": 99})
    assert res.status_code == 409


def test_list_filters(world: World) -> None:
    resident, dispatcher = api_client(world.resident), api_client(world.community)
    a = post(resident, "/appeals", submit_kwargs(world, category="SQ0101")).json()["id"]
    b = post(resident, "/appeals", submit_kwargs(world, category="SQ0501")).json()["id"]
    post(dispatcher, f"/appeals/{b}/accept")
    assert [x["id"] for x in get(dispatcher, "/appeals", state="opened").json()["items"]] == [b]
    assert [x["id"] for x in get(dispatcher, "/appeals", category="SQ01").json()["items"]] == [a]
    assert get(dispatcher, "/appeals", area=world.tree.grid_b.code).json()["count"] == 0
    assert get(dispatcher, "/appeals", state="bogus").status_code == 422
    assert get(resident, "/appeals", role="reported").json()["count"] == 2
    post(dispatcher, f"/appeals/{b}/dispatch", {})
    due = Appeal.objects.get(pk=b).resolve_due_at
    assert due is not None
    soon = get(dispatcher, "/appeals", due_before=(due + dt.timedelta(minutes=1)).isoformat()).json()
    assert [x["id"] for x in soon["items"]] == [b]
    assert (
        get(dispatcher, "/appeals", due_before=(due - dt.timedelta(minutes=1)).isoformat()).json()["count"]
        == 0
    )
    assert Category.objects.filter(code="SQ0101").exists()


def test_list_query_count_does_not_grow_with_the_cases(
    world: World, django_assert_max_num_queries: Any
) -> None:
    resident, dispatcher = api_client(world.resident), api_client(world.community)
    for _ in range(6):
        pk = post(resident, "/appeals", submit_kwargs(world)).json()["id"]
        post(dispatcher, f"/appeals/{pk}/accept")
        post(dispatcher, f"/appeals/{pk}/dispatch", {"lead_unit_id": world.property_co.pk})
    with django_assert_max_num_queries(8):
        res = get(dispatcher, "/appeals")
    assert res.json()["count"] == 6 and res.json()["items"][0]["lead_unit"]["name"] == world.property_co.name


def test_submit_query_count_is_small(world: World, django_assert_max_num_queries: Any) -> None:
    resident = api_client(world.resident)
    post(resident, "/appeals", submit_kwargs(world))  # warm the grid index
    # the change stamps (token, category, grid and its staff come from the per-process caches), case,
    # timeline entry, notification, and the test transaction's SAVEPOINT/RELEASE (BEGIN/COMMIT in production).
    with django_assert_max_num_queries(7):
        res = post(resident, "/appeals", submit_kwargs(world), HTTP_IDEMPOTENCY_KEY="q-1")
    assert res.status_code == 201
    body = res.json()
    assert {"id", "state", "grid", "category", "response_due_at", "resolve_due_at"} <= set(body)
    assert body["state"] == "submitted" and body["grid"]["code"] == world.tree.grid_a.code
    assert "events" not in body and "assignments" not in body  # the full detail is GET /appeals/{id}
    assert body["links"]["self"] == f"/api/v1/appeals/{body['id']}"


def test_every_step_endpoint_through_http(world: World) -> None:
    resident, dispatcher = api_client(world.resident), api_client(world.community)
    handler, dept = api_client(world.property_staff), api_client(world.department_staff)
    lat, lng = world.point(world.tree.grid_a)
    a = post(resident, "/appeals", submit_kwargs(world)).json()["id"]
    b = post(api_client(world.resident2), "/appeals", submit_kwargs(world, lat=lat + 0.0001)).json()["id"]
    c = post(resident, "/appeals", submit_kwargs(world, description="无效")).json()["id"]
    assert [d["id"] for d in get(dispatcher, f"/appeals/{b}/duplicates").json()] == [a, c]
    assert post(dispatcher, f"/appeals/{b}/merge", {"into": a}).json()["state"] == "merged"
    assert post(dispatcher, f"/appeals/{c}/cancel", {"reason": "重复"}).json()["state"] == "cancelled"
    post(dispatcher, f"/appeals/{a}/accept")
    post(dispatcher, f"/appeals/{a}/dispatch", {"lead_unit_id": world.department.pk})
    assert post(dept, f"/appeals/{a}/return", {"reason": "非本部门"}).json()["state"] == "opened"
    res = post(
        dispatcher,
        f"/appeals/{a}/dispatch",
        {"lead_unit_id": world.property_co.pk, "co_user_ids": [world.grid_worker.pk]},
    )
    assert [x["role"] for x in res.json()["assignments"]] == ["lead", "co"]
    res = post(
        dispatcher, f"/appeals/{a}/whistle", {"reason": "需城管配合", "unit_ids": [world.department.pk]}
    )
    assert res.json()["report_ins"][0]["unit"] == "城市管理局"
    assert "report-in" in get(dept, f"/appeals/{a}").json()["actions"]
    assert post(dept, f"/appeals/{a}/report-in", {"note": "已到"}).status_code == 200
    post(handler, f"/appeals/{a}/acknowledge")
    res = post(handler, f"/appeals/{a}/extend", {"amount": 4, "unit": "working_hours", "reason": "缺灯管"})
    assert res.json()["pending_request"]["kind"] == "extend"
    assert post(dispatcher, f"/appeals/{a}/extend", {"action": "approve"}).json()["extended"] is True
    post(handler, f"/appeals/{a}/hold", {"reason": "业主不在家"})
    assert (
        post(dispatcher, f"/appeals/{a}/hold", {"action": "reject", "reason": "不同意"}).json()["held"]
        is False
    )
    res = post(dispatcher, f"/appeals/{a}/urge", {"note": "请尽快", "level": "yellow"})
    assert res.json()["supervision_level"] == "yellow"
    post(handler, f"/appeals/{a}/resolve", {"note": "已更换"})
    assert post(dispatcher, f"/appeals/{a}/close", {"note": "电话回访满意"}).json()["state"] == "closed"
    res = post(resident, f"/appeals/{a}/reopen", {"reason": "又坏了"})
    assert res.json()["state"] == "dispatched" and res.json()["rework_count"] == 1
    kinds = [e["kind"] for e in res.json()["timeline"]]
    for kind in (
        "merged",
        "returned",
        "whistled",
        "reported_in",
        "extended",
        "hold_rejected",
        "urged",
        "reopened",
    ):
        assert kind in kinds
