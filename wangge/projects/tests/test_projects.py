"""Project lists: the state machine with approval by the level above, progress from milestones, the overdue
flag once, scope, the public list without names, bad input, and a race settled by the database."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.notifications.models import Notification
from wangge.projects import services, tasks
from wangge.projects.models import Milestone, Project
from wangge.testing import api_client, make_tree, make_user

pytestmark = pytest.mark.django_db


def _post(client: Any, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def world() -> Any:
    tree = make_tree()
    secretary = make_user(Role.COMMUNITY_STAFF, tree.community, username="shuji", display_name="李书记")
    street = make_user(Role.STREET_STAFF, tree.street, username="jiedao")
    return tree, secretary, street


def _declare(client: Any, tree: Any, **extra: Any) -> Any:
    today = timezone.localdate()
    body = {
        "area": tree.community.code, "title": "楼道照明改造", "kind": "livelihood", "budget_yuan": "48000.50",
        "milestones": [
            {"title": "摸排", "due_on": str(today - dt.timedelta(days=2))},
            {"title": "采购", "due_on": str(today + dt.timedelta(days=10))},
            {"title": "验收", "due_on": str(today + dt.timedelta(days=30))},
        ],
    } | extra  # fmt: skip
    return _post(client, "/api/v1/projects", body)


def test_a_project_from_declaration_to_done(world: Any) -> None:
    tree, secretary, street = world
    sc, st = api_client(secretary), api_client(street)
    res = _declare(sc, tree)
    assert res.status_code == 201, res.content
    p = res.json()
    assert (p["state"], p["owner"], p["budget_yuan"], p["milestones_total"], p["progress"]) == (
        "declared", "李书记", "48000.50", 3, 0.0
    )  # fmt: skip
    pk = p["id"]
    # The declarer cannot approve (nor can the community); the street can, once.
    assert _post(sc, f"/api/v1/projects/{pk}/approve").status_code == 403
    assert _post(st, f"/api/v1/projects/{pk}/approve").json()["state"] == "approved"
    assert _post(st, f"/api/v1/projects/{pk}/approve").status_code == 409
    # Milestones are done only while in progress, with evidence.
    first = Milestone.objects.filter(project_id=pk).order_by("due_on")
    m1, m2, m3 = (m.pk for m in first)
    assert _post(sc, f"/api/v1/projects/{pk}/milestones/{m1}/done", {"evidence": "x"}).status_code == 409
    assert _post(sc, f"/api/v1/projects/{pk}/start").json()["state"] == "in_progress"
    blank = _post(sc, f"/api/v1/projects/{pk}/milestones/{m1}/done", {"evidence": "  "})
    assert blank.status_code == 422 and blank.json()["errors"][0]["field"] == "evidence"
    future = _post(sc, f"/api/v1/projects/{pk}/milestones/{m1}/done",
                   {"evidence": "已摸排", "done_on": str(timezone.localdate() + dt.timedelta(days=1))})  # fmt: skip
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "done_on"
    r1 = _post(sc, f"/api/v1/projects/{pk}/milestones/{m1}/done", {"evidence": "摸排12个楼道"})
    assert (r1.json()["milestones_done"], r1.json()["progress"]) == (1, round(1 / 3, 4))
    assert _post(sc, f"/api/v1/projects/{pk}/milestones/{m1}/done", {"evidence": "again"}).status_code == 409
    _post(sc, f"/api/v1/projects/{pk}/milestones/{m2}/done", {"evidence": "采购灯具60盏"})
    last = _post(sc, f"/api/v1/projects/{pk}/milestones/{m3}/done", {"evidence": "居民代表验收"})
    assert (last.json()["state"], last.json()["progress"]) == ("done", 1.0)
    assert _post(sc, f"/api/v1/projects/{pk}/stop", {"reason": "x"}).status_code == 409


def test_overdue_milestones_are_flagged_once_to_the_owner(world: Any) -> None:
    tree, secretary, street = world
    pk = _declare(api_client(secretary), tree).json()["id"]
    now = timezone.now()
    assert tasks.tick(now) == {"flagged": 0}  # declared projects are not chased
    services.project_approve(by=street, project_id=pk)
    assert tasks.tick(now) == {"flagged": 1}  # 摸排 was due two days ago
    assert tasks.tick(now) == {"flagged": 0}
    told = Notification.objects.filter(user=secretary, event="project_milestone_overdue")
    assert told.count() == 1 and "摸排" in told.get().title
    res = api_client(secretary).get(f"/api/v1/projects/{pk}")
    assert res.json()["milestones_overdue"] == 1
    assert [m["overdue"] for m in res.json()["milestones"]] == [True, False, False]


def test_scope_and_the_public_list(world: Any) -> None:
    tree, secretary, street = world
    pk = _declare(api_client(secretary), tree).json()["id"]
    other = make_user(Role.COMMUNITY_STAFF, tree.other_community)
    assert api_client(other).get(f"/api/v1/projects/{pk}").status_code == 404
    assert pk not in {p["id"] for p in api_client(other).get("/api/v1/projects").json()}
    assert _post(api_client(other), f"/api/v1/projects/{pk}/start").status_code == 404
    # Not public until approved; then listed with the owner's name masked.
    public = Client()
    assert public.get(f"/api/v1/projects/public/{tree.community.code}").status_code in (401, 200)
    assert pk not in {
        p["id"] for p in api_client(other).get(f"/api/v1/projects/public/{tree.community.code}").json()
    }
    services.project_approve(by=street, project_id=pk)
    listed = api_client(other).get(f"/api/v1/projects/public/{tree.community.code}").json()
    assert [p["id"] for p in listed] == [pk] and listed[0]["owner"] not in ("", "李书记")
    page = public.get(f"/projects/public/{tree.community.code}/")
    assert page.status_code == 200 and "楼道照明改造" in page.content.decode()


def test_bad_input_names_the_field_and_writes_nothing(world: Any) -> None:
    tree, secretary, _ = world
    client = api_client(secretary)
    assert _declare(client, tree, kind="party").json()["errors"][0]["field"] == "kind"
    bad = _declare(client, tree, milestones=[{"title": " ", "due_on": "2027-01-01"}])
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "milestones.0.title"
    assert _declare(client, tree, budget_yuan="-1").status_code == 422
    assert _declare(client, tree, area=tree.other_community.code).status_code == 404
    grid_worker = make_user(Role.GRID_WORKER, tree.grid_a)
    assert _declare(api_client(grid_worker), tree, area=tree.grid_a.code).status_code == 403
    assert Project.objects.count() == 0 and Milestone.objects.count() == 0


def test_the_pages_show_a_refused_step_next_to_its_field(world: Any) -> None:
    tree, secretary, street = world
    pk = _declare(api_client(secretary), tree).json()["id"]
    c = Client()
    c.force_login(secretary)
    assert c.get("/projects/").status_code == 200
    res = c.post(f"/projects/{pk}/stop/", {"reason": ""})
    assert res.status_code == 422
    html = res.content.decode()
    assert 'class="field-error"' in html and "请填写终止原因" in html
    res = c.post(f"/projects/{pk}/milestone/", {"title": "新节点", "due_on": "不是日期"})
    assert res.status_code == 422 and "日期格式不正确" in res.content.decode()
    assert c.post(f"/projects/{pk}/stop/", {"reason": "规划调整"}).status_code == 302
    assert Project.objects.get(pk=pk).state == "stopped"
