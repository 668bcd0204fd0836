"""红色代办员: "居民下单—社区派单—代办员接单". A volunteer the community appointed takes its service cases;
any other volunteer, and any non-service case, is refused with the field's reason."""

from __future__ import annotations

import json
from typing import Any

import pytest

from wangge.accounts.roles import Role
from wangge.testing import api_client, make_user

from .conftest import World, submit_kwargs

pytestmark = pytest.mark.django_db


def post(client: Any, path: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(f"/api/v1{path}", json.dumps(body or {}), content_type="application/json")


def _opened(world: World, kind: str) -> int:
    res = post(api_client(world.resident), "/appeals", submit_kwargs(world, category="SQ0101", kind=kind))
    assert res.status_code == 201, res.content
    pk = int(res.json()["id"])
    assert post(api_client(world.community), f"/appeals/{pk}/accept").status_code == 200
    return pk


def test_an_appointed_volunteer_takes_a_service_case_through_to_resolution(world: World) -> None:
    agent = make_user(Role.VOLUNTEER, username="agent", display_name="代办员老周")
    other = make_user(Role.VOLUNTEER, username="vol2")
    secretary = api_client(world.community)
    pk = _opened(world, "service")

    # Before the appointment: the old 422, now with the reason.
    res = post(secretary, f"/appeals/{pk}/dispatch", {"lead_user_id": agent.pk})
    assert res.status_code == 422
    assert res.json()["errors"][0] == {
        "field": "lead_user_id",
        "message": "该志愿者不是本社区任命的红色代办员",
    }

    res = post(
        secretary, "/appeals/errand-agents", {"user_id": agent.pk, "area_code": world.tree.community.code}
    )
    assert res.status_code == 200, res.content
    assert res.json()["active"] is True
    # Someone without the right may not appoint; staff cannot be appointed.
    assert (
        post(
            api_client(world.resident),
            "/appeals/errand-agents",
            {"user_id": other.pk, "area_code": world.tree.community.code},
        ).status_code
        == 403
    )
    res = post(
        secretary,
        "/appeals/errand-agents",
        {"user_id": world.grid_worker.pk, "area_code": world.tree.community.code},
    )
    assert res.status_code == 422 and res.json()["errors"][0]["field"] == "user_id"

    res = post(secretary, f"/appeals/{pk}/dispatch", {"lead_user_id": agent.pk})
    assert res.status_code == 200, res.content
    me = api_client(agent)
    detail = me.get(f"/api/v1/appeals/{pk}").json()
    assert "acknowledge" in detail["actions"]
    assert post(me, f"/appeals/{pk}/acknowledge").json()["state"] == "acknowledged"
    assert post(me, f"/appeals/{pk}/resolve", {"note": "已陪同老人到社区医院"}).json()["state"] == "resolved"
    # The volunteer never appointed cannot see it.
    assert api_client(other).get(f"/api/v1/appeals/{pk}").status_code == 404


def test_an_agent_takes_only_service_cases_and_only_in_their_community(world: World) -> None:
    agent = make_user(Role.VOLUNTEER, username="agent")
    secretary = api_client(world.community)
    post(secretary, "/appeals/errand-agents", {"user_id": agent.pk, "area_code": world.tree.community.code})
    pk = _opened(world, "problem")
    res = post(secretary, f"/appeals/{pk}/dispatch", {"lead_user_id": agent.pk})
    assert res.status_code == 422 and res.json()["errors"][0]["message"] == "处置人不存在或无处置权限"
    # Stood down: no longer offered service cases.
    res = post(
        secretary,
        "/appeals/errand-agents",
        {"user_id": agent.pk, "area_code": world.tree.community.code, "active": False},
    )
    assert res.json()["active"] is False
    pk = _opened(world, "service")
    assert post(secretary, f"/appeals/{pk}/dispatch", {"lead_user_id": agent.pk}).status_code == 422
