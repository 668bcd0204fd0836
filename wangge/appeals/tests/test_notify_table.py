"""The notification table (``appeals/notify.py``) walked over the API: for each step of the loop, exactly who
was told, and that every message names the case (number and title) and links to it."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.test import Client

from wangge.accounts.models import User
from wangge.accounts.roles import Role
from wangge.appeals import notify
from wangge.appeals import services as s
from wangge.notifications.models import Notification
from wangge.testing import api_client, make_user

from .conftest import MONDAY, World, submit_kwargs

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


def post(client: Client, path: str, body: dict[str, Any] | None = None) -> Any:
    res = client.post(f"/api/v1{path}", json.dumps(body or {}), content_type="application/json")
    assert res.status_code in (200, 201), (path, res.status_code, res.content)
    return res.json()


class Inbox:
    """What was delivered since the last look: ``{event: {username, ...}}``."""

    def __init__(self) -> None:
        self.last = 0

    def new(self) -> dict[str, set[str]]:
        rows = list(Notification.objects.filter(pk__gt=self.last).select_related("user").order_by("pk"))
        if rows:
            self.last = rows[-1].pk
        out: dict[str, set[str]] = {}
        for n in rows:
            out.setdefault(n.event.removeprefix("appeal."), set()).add(n.user.username)
        self.rows = rows
        return out


def unread(user: User) -> int:
    return int(api_client(user).get("/api/v1/notifications").json()["unread"])


def test_every_step_notifies_exactly_whoever_acts_next(world: World) -> None:
    resident, dispatcher = api_client(world.resident), api_client(world.community)
    lead, helper, checker = (
        api_client(world.department_staff),
        api_client(world.other_department_staff),
        api_client(world.grid_worker),
    )
    # A grid worker who is also on the department's books (the old bug: the department's notices reached
    # every account of the unit); and a department clerk without handling rights.
    make_user(Role.RESIDENT, username="clerk", unit=world.other_department)
    inbox = Inbox()

    case = post(resident, "/appeals", submit_kwargs(world, category="SJ0102", description="小区门口渣土堆积"))
    pk = case["id"]
    assert case["handling_level"] == "grid"
    assert inbox.new() == {"submitted": {"gw_a"}}  # the grid worker of the case's grid: to accept

    post(dispatcher, f"/appeals/{pk}/accept", {"note": "属实"})
    assert inbox.new() == {"accepted": {"resident"}}
    (accepted,) = inbox.rows
    assert accepted.title == f"您的诉求 #{pk}《小区门口渣土堆积》已受理立案"
    assert accepted.link == f"/appeals/{pk}/"

    post(dispatcher, f"/appeals/{pk}/dispatch", {"lead_unit_id": world.department.pk})
    assert inbox.new() == {"dispatched": {"cg"}}  # the department's handler, nobody else
    assert f"#{pk}《小区门口渣土堆积》" in inbox.rows[0].title

    post(
        dispatcher,
        f"/appeals/{pk}/whistle",
        {"reason": "需水务配合", "unit_ids": [world.other_department.pk]},
    )
    assert inbox.new() == {"whistled": {"sw"}}  # the summoned department's staff, not the clerk

    post(helper, f"/appeals/{pk}/report-in", {"note": "已到场"})
    assert inbox.new() == {"reported_in": {"cg"}}  # the lead
    assert "水务局 已报到" in inbox.rows[0].title

    post(lead, f"/appeals/{pk}/acknowledge")
    assert inbox.new() == {"acknowledged": {"resident"}}

    post(lead, f"/appeals/{pk}/resolve", {"note": "已清运"})
    # 待核查 for the grid worker (may check; not on the handling side), the resident told it awaits the check.
    assert inbox.new() == {"check_needed": {"gw_a"}, "resolved": {"resident"}}
    assert {n.title for n in inbox.rows} == {
        f"待核查：诉求 #{pk}《小区门口渣土堆积》 已办结",
        f"您的诉求 #{pk}《小区门口渣土堆积》 已办结，待现场核查",
    }

    before = unread(world.resident)
    post(checker, f"/appeals/{pk}/check", {"passed": True})
    assert inbox.new() == {"checked": {"resident"}}  # please rate
    assert "请评价" in inbox.rows[0].title
    assert unread(world.resident) == before + 1  # the bell moves

    post(resident, f"/appeals/{pk}/rate", {"satisfaction": "satisfied", "solved": True})
    assert inbox.new() == {"closed": {"resident"}}


def test_self_handled_case_goes_to_the_next_level_for_the_check(world: World) -> None:
    """A grid worker who dispatched the case to themselves may not check it: 待核查 goes to the community."""
    inbox = Inbox()
    resident, gw = api_client(world.resident), api_client(world.grid_worker)
    pk = post(resident, "/appeals", submit_kwargs(world, category="SJ0102"))["id"]
    post(gw, f"/appeals/{pk}/accept")
    post(gw, f"/appeals/{pk}/dispatch", {"lead_user_id": world.grid_worker.pk})
    post(gw, f"/appeals/{pk}/acknowledge")
    inbox.new()
    post(gw, f"/appeals/{pk}/resolve", {"note": "已清理"})
    assert inbox.new() == {"check_needed": {"cs"}, "resolved": {"resident"}}


def test_overdue_goes_to_the_supervisor_of_that_level_and_late_report_in_to_the_department(
    world: World,
) -> None:
    inbox = Inbox()
    resident = world.resident
    appeal, _ = s.appeal_submit(by=resident, now=MONDAY, **submit_kwargs(world))
    s.appeal_accept(appeal_id=appeal.pk, by=world.grid_worker, now=MONDAY)
    s.appeal_dispatch(appeal_id=appeal.pk, by=world.grid_worker, now=MONDAY)  # the property company
    s.appeal_whistle(
        appeal_id=appeal.pk, by=world.grid_worker, reason="需城管", unit_ids=[world.department.pk], now=MONDAY
    )
    inbox.new()
    secretary_before = unread(world.community)
    # 11:30: the response deadline (2 working hours) passed → escalated to the community, whose staff
    # supervise it, and the lead (the property company) who let it run over.
    s.appeals_tick(MONDAY + 2 * H + dt.timedelta(minutes=30))
    assert inbox.new() == {"escalated": {"cs", "pm"}}
    assert unread(world.community) == secretary_before + 1  # the secretary's bell moves
    # Tuesday 09:30: the report-in (due in one working day) is late → the department's own staff and the
    # grid worker who blew the whistle; nobody else.
    s.appeals_tick(MONDAY + dt.timedelta(days=1, minutes=30))
    assert inbox.new()["report_in_late"] == {"cg", "gw_a"}


def test_the_table_has_a_rule_for_every_event_the_services_send() -> None:
    import inspect
    import pathlib

    sent: set[str] = set()
    for path in pathlib.Path(inspect.getfile(s.appeal_submit)).parent.glob("*.py"):
        sent |= set(re.findall(r'notify_step\(\s*"([a-z_]+)"', path.read_text()))
    sent |= {"extend_requested", "hold_requested"}  # sent as f"{kind}_requested"
    assert sent <= set(notify.BY_EVENT)
    assert set(notify.BY_EVENT) - sent == set(), set(notify.BY_EVENT) - sent


def test_marking_read_is_one_post_and_refreshes_the_bell(world: World) -> None:
    from wangge.notifications.services import notify as send

    send(users=[world.resident], event="appeal.accepted", title="a")
    send(users=[world.resident], event="appeal.closed", title="b")
    client = Client()
    client.force_login(world.resident)
    assert "🔔 2" in client.get("/notifications/badge/").content.decode()
    first = Notification.objects.filter(user=world.resident).order_by("pk").first()
    assert first is not None
    res = client.post(f"/notifications/{first.pk}/read/", HTTP_HX_REQUEST="true")
    assert res.status_code == 200 and res["HX-Trigger"] == "notifications-changed"
    assert "🔔 1" in client.get("/notifications/badge/").content.decode()
    res = client.post("/notifications/read-all/", HTTP_HX_REQUEST="true")
    assert res.status_code == 200 and res["HX-Trigger"] == "notifications-changed"
    assert "🔔 0" in client.get("/notifications/badge/").content.decode()
