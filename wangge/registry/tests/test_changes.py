"""Corrections through ``/api/v1/registry/changes``: applied, pending approval, conflicts on a stale base
version, exactly once by client id, 422 naming the field's label, and the visit schedule moving at once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.core import pii
from wangge.registry.models import Household, RegistryChange, Resident, Tagging
from wangge.testing import PASSWORD, api_client, make_id_number, make_user

from .factories import admin_user, make_household, make_resident

URL = "/api/v1/registry/changes"


def _post(c: Client, url: str, body: dict[str, Any]) -> Any:
    return c.post(url, body, content_type="application/json")


def _change(target: str, pk: int, kind: str, version: int, data: dict[str, Any], cid: str) -> dict[str, Any]:
    return {
        "client_id": cid,
        "target": target,
        "target_id": pk,
        "kind": kind,
        "base_version": version,
        "data": data,
    }


@pytest.fixture
def people(tree: Any) -> dict[str, Any]:
    admin = admin_user()
    r = make_resident(tree.grid_a, admin, phone="13900000001")
    return {
        "r": r,
        "gw": make_user(Role.GRID_WORKER, tree.grid_a),
        "staff": make_user(Role.COMMUNITY_STAFF, tree.community),
        "other_gw": make_user(Role.GRID_WORKER, tree.grid_b),
    }


@pytest.mark.django_db
def test_phone_change_is_applied_masked_and_bumps_the_version(people: dict[str, Any]) -> None:
    r, gw = people["r"], people["gw"]
    c = api_client(gw)
    assert c.get(f"/api/v1/residents/{r.pk}").json()["version"] == 1
    resp = _post(c, URL, _change("resident", r.pk, "phone", 1, {"phone": "13812345678"}, "p-1"))
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert body["status"] == "applied"
    assert body["before"] == {"phone": "139****0001"} and body["after"] == {"phone": "138****5678"}
    assert body["version"] == 2 and body["target_id"] == r.pk and body["author"] == gw.pk
    r.refresh_from_db()
    assert r.phone == "13812345678" and r.version == 2
    assert c.get(f"/api/v1/residents/{r.pk}").json()["version"] == 2
    # The stored before/after never hold the full number, and are encrypted at rest.
    row = RegistryChange.objects.get(pk=body["id"])
    assert "13812345678" not in row.after and row.payload == ""
    # The same client id again: the stored change, 200, nothing applied twice.
    again = _post(c, URL, _change("resident", r.pk, "phone", 1, {"phone": "13700000000"}, "p-1"))
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    r.refresh_from_db()
    assert r.phone == "13812345678" and r.version == 2
    assert RegistryChange.objects.count() == 1


@pytest.mark.django_db
def test_an_api_patch_bumps_the_version_and_is_recorded(people: dict[str, Any]) -> None:
    r, gw = people["r"], people["gw"]
    c = api_client(gw)
    resp = c.patch(f"/api/v1/residents/{r.pk}", {"name": "改名"}, content_type="application/json")
    assert resp.status_code == 200 and resp.json()["version"] == 2
    change = RegistryChange.objects.get()
    assert (change.kind, change.status, change.version_after) == ("edit", "applied", 2)
    # A PATCH of the ID number by a grid worker waits for approval too (202, nothing applied).
    new_id = make_id_number("19800101", 77)
    resp = c.patch(f"/api/v1/residents/{r.pk}", {"id_number": new_id}, content_type="application/json")
    assert resp.status_code == 202 and resp.json()["status"] == "pending"
    r.refresh_from_db()
    assert r.id_number != new_id and r.version == 2


@pytest.mark.django_db
def test_an_id_number_change_waits_for_approval_and_is_applied_on_approve(people: dict[str, Any]) -> None:
    r, gw, staff = people["r"], people["gw"], people["staff"]
    old = r.id_number
    new_id = make_id_number("19900202", 12)  # serial 012: even digit 17 → female
    c = api_client(gw)
    resp = _post(c, URL, _change("resident", r.pk, "id_number", 1, {"id_number": new_id}, "id-1"))
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert body["status"] == "pending"
    assert body["after"]["id_number"] == pii.mask_id_number(new_id)
    r.refresh_from_db()
    assert r.id_number == old and r.version == 1
    # The grid worker may not approve; the queue lists it for the community.
    assert _post(c, f"{URL}/{body['id']}/approve", {}).status_code == 403
    s = api_client(staff)
    queue = s.get(f"{URL}?status=pending").json()
    assert [x["id"] for x in queue["items"]] == [body["id"]]
    ok = _post(s, f"{URL}/{body['id']}/approve", {"reason": "已核对户口簿"})
    assert ok.status_code == 200, ok.json()
    assert ok.json()["status"] == "applied" and ok.json()["decided_by"] == staff.pk
    r.refresh_from_db()
    assert r.id_number == new_id and r.version == 2
    assert r.birth_date == dt.date(1990, 2, 2) and r.gender == "female"
    assert _post(s, f"{URL}/{body['id']}/approve", {}).status_code == 409
    assert RegistryChange.objects.get(pk=body["id"]).payload == ""


@pytest.mark.django_db
def test_a_rejected_change_is_not_applied_and_keeps_the_reason(people: dict[str, Any]) -> None:
    r, gw, staff = people["r"], people["gw"], people["staff"]
    c, s = api_client(gw), api_client(staff)
    cid = _post(c, URL, _change("resident", r.pk, "tags", 1, {"tags": ["disabled"]}, "t-1")).json()["id"]
    assert RegistryChange.objects.get(pk=cid).status == "pending"  # 残疾 is a sensitive tag
    no_reason = _post(s, f"{URL}/{cid}/reject", {"reason": ""})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    resp = _post(s, f"{URL}/{cid}/reject", {"reason": "无残疾证"})
    assert resp.json()["status"] == "rejected" and resp.json()["reason"] == "无残疾证"
    assert not Tagging.objects.filter(resident=r).exists()


@pytest.mark.django_db
def test_a_stale_edit_lands_as_a_conflict_and_is_settled(people: dict[str, Any]) -> None:
    r, gw, staff = people["r"], people["gw"], people["staff"]
    c = api_client(gw)
    # Someone else changed the phone first (version 1 → 2).
    assert (
        _post(
            api_client(staff), URL, _change("resident", r.pk, "phone", 1, {"phone": "13611112222"}, "s1")
        ).json()["status"]
        == "applied"
    )
    stale = _post(c, URL, _change("resident", r.pk, "phone", 1, {"phone": "13733334444"}, "offline-9"))
    assert stale.status_code == 201
    body = stale.json()
    assert body["status"] == "conflict" and body["after"] == {"phone": "137****4444"}
    r.refresh_from_db()
    assert r.phone == "13611112222" and r.version == 2  # never overwritten
    listed = c.get(f"{URL}?status=conflict").json()["items"]
    assert [x["id"] for x in listed] == [body["id"]]
    # Another grid worker (other grid) cannot see or settle it.
    other = api_client(people["other_gw"])
    assert _post(other, f"{URL}/{body['id']}/settle", {"action": "apply"}).status_code == 404
    bad = _post(c, f"{URL}/{body['id']}/settle", {"action": "merge"})
    assert bad.status_code == 422
    done = _post(c, f"{URL}/{body['id']}/settle", {"action": "apply"})
    assert done.status_code == 200 and done.json()["status"] == "applied"
    r.refresh_from_db()
    assert r.phone == "13733334444" and r.version == 3
    assert _post(c, f"{URL}/{body['id']}/settle", {"action": "discard"}).status_code == 409
    # A second stale one is discarded: nothing changes.
    d = _post(c, URL, _change("resident", r.pk, "phone", 1, {"phone": "13755556666"}, "offline-10")).json()
    assert d["status"] == "conflict"
    assert _post(c, f"{URL}/{d['id']}/settle", {"action": "discard"}).json()["status"] == "discarded"
    r.refresh_from_db()
    assert r.phone == "13733334444" and r.version == 3


@pytest.mark.django_db
def test_invalid_data_is_422_naming_the_label_and_writes_nothing(people: dict[str, Any]) -> None:
    r, gw = people["r"], people["gw"]
    c = api_client(gw)
    bad_id = make_id_number("19800101", 5)[:-1] + ("0" if make_id_number("19800101", 5)[-1] != "0" else "1")
    cases = [
        ("phone", {"phone": "12345"}, "data.phone", "联系电话"),
        ("id_number", {"id_number": bad_id}, "data.id_number", "身份证号"),
        ("tags", {"tags": ["nope"]}, "data.tags", "标签"),
        ("death", {}, "data.date", "日期"),
        ("move_out", {"date": "2999-01-01"}, "data.date", "日期"),
        ("move_in", {"household_id": 999999}, "data.household_id", "迁入户"),
    ]
    for n, (kind, data, field, label) in enumerate(cases):
        resp = _post(c, URL, _change("resident", r.pk, kind, 1, data, f"bad-{n}"))
        assert resp.status_code == 422, (kind, resp.json())
        err = resp.json()["errors"][0]
        assert (err["field"], err["label"]) == (field, label), resp.json()
        assert resp.json()["detail"].startswith(label + "：")
    assert _post(c, URL, _change("resident", r.pk, "wings", 1, {}, "bad-k")).status_code == 422
    assert (
        _post(c, URL, {**_change("resident", r.pk, "phone", 1, {}, ""), "client_id": ""}).status_code == 422
    )
    assert RegistryChange.objects.count() == 0
    r.refresh_from_db()
    assert r.version == 1 and r.active


@pytest.mark.django_db
def test_roles_and_scope(people: dict[str, Any], tree: Any) -> None:
    r = people["r"]
    resident_user = make_user(Role.RESIDENT)
    c = api_client(resident_user)
    assert (
        _post(c, URL, _change("resident", r.pk, "phone", 1, {"phone": "13812345678"}, "x")).status_code == 403
    )
    assert c.get(URL).status_code == 403
    other = api_client(people["other_gw"])
    assert (
        _post(other, URL, _change("resident", r.pk, "phone", 1, {"phone": "13812345678"}, "x")).status_code
        == 404
    )
    assert other.get(URL).json()["count"] == 0


@pytest.mark.django_db
def test_move_out_and_death_end_the_residence_and_keep_the_history(people: dict[str, Any], tree: Any) -> None:
    gw = people["gw"]
    admin = admin_user()
    h = make_household(tree.grid_a, admin)
    a = make_resident(household=h, by=admin)
    b = make_resident(household=h, by=admin)
    c = api_client(gw)
    resp = _post(c, URL, _change("resident", a.pk, "move_out", 1, {"date": "2026-01-05"}, "mo-1"))
    assert resp.json()["status"] == "applied", resp.json()
    a.refresh_from_db()
    h.refresh_from_db()
    assert (a.active, a.left_reason, a.left_on) == (False, "moved_out", dt.date(2026, 1, 5))
    assert h.active and h.version == 1
    resp = _post(c, URL, _change("resident", b.pk, "death", 1, {"date": "2026-01-06"}, "d-1"))
    assert resp.json()["status"] == "applied", resp.json()
    h.refresh_from_db()
    assert not h.active and h.version == 2  # nobody left in it
    assert Resident.objects.filter(household=h).count() == 2  # nothing deleted
    # Moving back in: into an active household only.
    h2 = make_household(tree.grid_a, admin)
    bad = _post(c, URL, _change("resident", a.pk, "move_in", 2, {"household_id": h.pk}, "mi-0"))
    assert bad.status_code == 422
    ok = _post(
        c, URL, _change("resident", a.pk, "move_in", 2, {"household_id": h2.pk, "relation": "tenant"}, "mi-1")
    )
    assert ok.json()["status"] == "applied", ok.json()
    a.refresh_from_db()
    assert (a.household_id, a.active, a.left_reason, a.relation) == (h2.pk, True, "", "tenant")


@pytest.mark.django_db
def test_adding_a_resident_with_a_sensitive_tag_registers_them_and_holds_the_tag(
    people: dict[str, Any], tree: Any
) -> None:
    gw, staff = people["gw"], people["staff"]
    h = Household.objects.get(pk=people["r"].household_id)
    c = api_client(gw)
    data = {"name": "新居民", "id_number": make_id_number("20150301", 44), "tags": ["veteran", "disabled"]}
    resp = _post(c, URL, _change("household", h.pk, "add_resident", 1, data, "add-1"))
    assert resp.status_code == 201 and resp.json()["status"] == "applied", resp.json()
    new = Resident.objects.get(name="新居民")
    codes = {t.code for t in __import__("wangge.registry.selectors", fromlist=["x"]).tags_of(new, staff)}
    assert codes == {"veteran"}
    pending = RegistryChange.objects.get(status="pending")
    assert (pending.kind, pending.resident_id) == ("tags", new.pk)
    assert _post(api_client(staff), f"{URL}/{pending.pk}/approve", {}).json()["status"] == "applied"
    new = Resident.objects.get(pk=new.pk)
    codes = {t.code for t in __import__("wangge.registry.selectors", fromlist=["x"]).tags_of(new, staff)}
    assert codes == {"veteran", "disabled"}


@pytest.mark.django_db
def test_a_tag_change_moves_the_due_visit_at_once(tree: Any, settings: Any) -> None:
    """Hand-computed with the visits rules: due = last visit + the shortest tag frequency (独居老人 7 days),
    or + the default (30 here) with no tag; moving out cancels the pending visit."""
    from wangge.visits.models import ScheduledVisit
    from wangge.visits.services import visit_record

    settings.WANGGE_VISIT_DEFAULT_DAYS = 30
    admin = admin_user()
    gw = make_user(Role.GRID_WORKER, tree.grid_a)
    h = make_household(tree.grid_a, admin)
    make_resident(household=h, by=admin)
    c = api_client(gw)
    assert (
        _post(c, URL, _change("household", h.pk, "tags", 1, {"tags": ["elderly_alone"]}, "t1")).json()[
            "status"
        ]
        == "applied"
    )
    visited = timezone.now() - dt.timedelta(days=2)
    visit_record(by=gw, household=h, client_id="v-1", visited_at=visited)
    day = timezone.localdate(visited)
    ready = ScheduledVisit.objects.get(household=h, state="ready")
    assert ready.due_on == day + dt.timedelta(days=7) and ready.every_days == 7
    resp = _post(c, URL, _change("household", h.pk, "tags", 2, {"tags": []}, "t2"))
    assert resp.json()["status"] == "applied", resp.json()
    ready = ScheduledVisit.objects.get(household=h, state="ready")
    assert ready.due_on == day + dt.timedelta(days=30) and ready.every_days == 30
    resp = _post(c, URL, _change("household", h.pk, "move_out", 3, {}, "mo"))
    assert resp.json()["status"] == "applied", resp.json()
    assert not ScheduledVisit.objects.filter(household=h, state="ready").exists()
    cancelled = ScheduledVisit.objects.get(household=h, state="cancelled")
    assert cancelled.cancel_reason == "moved_out"


@pytest.mark.django_db
def test_pages_render_and_the_queue_settles(people: dict[str, Any]) -> None:
    r, gw, staff = people["r"], people["gw"], people["staff"]
    _post(
        api_client(gw),
        URL,
        _change("resident", r.pk, "id_number", 1, {"id_number": make_id_number("19700101", 3)}, "q1"),
    )
    c = Client()
    c.login(username=staff.username, password=PASSWORD)
    page = c.get("/registry/changes/")
    assert page.status_code == 200 and "身份证号" in page.content.decode()
    change = RegistryChange.objects.get()
    resp = c.post(f"/registry/changes/{change.pk}/approve/")
    assert resp.status_code == 302
    change.refresh_from_db()
    assert change.status == "applied"
    for url in (
        f"/registry/residents/{r.pk}/card/",
        f"/registry/residents/{r.pk}/history/",
        f"/registry/households/{r.household_id}/card/",
        f"/registry/households/{r.household_id}/history/",
        f"/registry/houses/{Household.objects.get(pk=r.household_id).house_id}/add-household/",
    ):
        assert c.get(url).status_code == 200, url
    text = c.get(f"/registry/residents/{r.pk}/history/").content.decode()
    assert "已生效" in text and pii.mask_id_number(r.id_number)[:6] in text


@pytest.mark.django_db
def test_the_today_page_counts_corrections_awaiting(people: dict[str, Any]) -> None:
    r, gw = people["r"], people["gw"]
    c = Client()
    c.login(username=gw.username, password=PASSWORD)
    assert "<b>0</b>" in c.get("/visits/today/").content.decode().split('id="count-corrections"')[1][:60]
    _post(
        api_client(gw),
        URL,
        _change("resident", r.pk, "id_number", 1, {"id_number": make_id_number("19700101", 8)}, "w1"),
    )
    _post(api_client(gw), URL, _change("resident", r.pk, "phone", 0 + 9, {"phone": "13800000000"}, "w2"))
    html = c.get("/visits/today/").content.decode()
    assert "<b>2</b>" in html.split('id="count-corrections"')[1][:60]  # one pending, one conflict
    # Another grid's worker has nothing waiting.
    other = Client()
    other.login(username=people["other_gw"].username, password=PASSWORD)
    assert "<b>0</b>" in other.get("/visits/today/").content.decode().split('id="count-corrections"')[1][:60]


@pytest.mark.django_db
def test_queue_and_history_pages_cost_the_same_queries_for_twice_the_rows(
    people: dict[str, Any], tree: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    gw, staff = people["gw"], people["staff"]
    admin = admin_user()
    h = make_household(tree.grid_a, admin)
    c = Client()
    c.login(username=staff.username, password=PASSWORD)
    api = api_client(gw)
    seq = iter(range(100))

    def add_two() -> None:
        for _ in range(2):
            r = make_resident(household=h, by=admin)
            n = next(seq)
            _post(api, URL, _change("resident", r.pk, "phone", 9, {"phone": f"1380000{n:04d}"}, f"q{n}"))
            _post(api, URL, _change("household", h.pk, "tags", 99, {"tags": ["veteran"][:0]}, f"h{n}"))

    def count(url: str) -> int:
        c.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url).status_code == 200
        return len(ctx.captured_queries)

    add_two()
    urls = [
        "/registry/changes/",
        f"/registry/households/{h.pk}/history/",
        f"/registry/households/{h.pk}/card/",
    ]
    before = [count(u) for u in urls]
    add_two()
    assert [count(u) for u in urls] == before
    assert RegistryChange.objects.filter(status="conflict").count() == 8


@pytest.mark.django_db
def test_the_author_settles_a_conflict_from_the_conflicts_page(people: dict[str, Any]) -> None:
    r, gw = people["r"], people["gw"]
    api = api_client(gw)
    _post(api, URL, _change("resident", r.pk, "phone", 1, {"phone": "13811112222"}, "c1"))
    stale = _post(api, URL, _change("resident", r.pk, "phone", 1, {"phone": "13833334444"}, "c2")).json()
    c = Client()
    c.login(username=gw.username, password=PASSWORD)
    html = c.get("/registry/changes/?status=conflict").content.decode()
    card = html.split(f'id="change-{stale["id"]}"')[1]
    # before / current / proposed, all masked
    assert "139****0001" in card and "138****2222" in card and "138****4444" in card
    assert "13833334444" not in html
    assert f"/registry/changes/{stale['id']}/apply/" in html
    assert c.post(f"/registry/changes/{stale['id']}/apply/").status_code == 302
    r.refresh_from_db()
    assert r.phone == "13833334444" and r.version == 3
    assert RegistryChange.objects.get(pk=stale["id"]).status == "applied"


@pytest.mark.django_db
def test_move_in_from_the_resident_card(people: dict[str, Any]) -> None:
    r, gw = people["r"], people["gw"]
    admin = admin_user()
    h = Household.objects.get(pk=r.household_id)
    from wangge.registry import services

    other = services.household_create(
        house=services.house_create(building=h.house.building, room="909", by=admin), by=admin
    )
    c = Client()
    c.login(username=gw.username, password=PASSWORD)
    page = c.get(f"/registry/residents/{r.pk}/card/").content.decode()
    assert f'<option value="{other.pk}">' in page and 'data-version="1"' in page
    form = {"kind": "move_in", "client_id": "mi-page", "base_version": "1", "relation": "tenant"}
    bad = c.post(
        f"/registry/residents/{r.pk}/card/", {**form, "household_id": other.pk, "date": "2999-01-01"}
    )
    assert bad.status_code == 422 and 'id="error-move_in-date"' in bad.content.decode()
    ok = c.post(f"/registry/residents/{r.pk}/card/", {**form, "household_id": other.pk, "date": "2026-02-01"})
    assert ok.status_code == 302
    r.refresh_from_db()
    assert (r.household_id, r.relation, r.version) == (other.pk, "tenant", 2)
