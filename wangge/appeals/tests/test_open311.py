"""Open311 GeoReport v2: resources, JSON and XML, the spec's error array, filters and limits."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.accounts.services import token_create
from wangge.appeals.models import Appeal, Category, State
from wangge.appeals.open311 import token_for, w3c
from wangge.testing import Tree, make_user
from wangge.workdays.calendar import add_working_time

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"


def post(client: Client, fmt: str = "json", **data: Any) -> Any:
    return client.post(f"{BASE}/requests.{fmt}", data)


@pytest.fixture
def key(tree: Tree) -> str:
    return token_create(user=make_user(Role.GRID_WORKER, tree.grid_a))


def submit(client: Client, key: str, tree: Tree, **extra: Any) -> str:
    lat, lng = tree.point_in(tree.grid_a)
    r = post(
        client, api_key=key, service_code="SJ0101", lat=lat, long=lng, description="路口有暴露垃圾", **extra
    )
    assert r.status_code == 201, r.content
    return r.json()[0]["service_request_id"]


def test_discovery_in_json_and_xml(client: Client) -> None:
    body = client.get(f"{BASE}/discovery.json").json()
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2/")
    assert set(endpoint["formats"]) == {"application/json", "text/xml"}
    root = ET.fromstring(client.get(f"{BASE}/discovery.xml").content)
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("./endpoints/endpoint/formats/format")] == [
        "application/json",
        "text/xml",
    ]


def test_services_are_the_active_subclasses(client: Client) -> None:
    r = client.get(f"{BASE}/services.json")
    assert r["Content-Type"].startswith("application/json")
    services = {s["service_code"]: s for s in r.json()}
    subclasses = set(
        Category.objects.filter(active=True, parent__isnull=False).values_list("code", flat=True)
    )
    assert set(services) == subclasses
    lamp = services["SJ0101"]
    assert lamp["service_name"] == "暴露垃圾" and lamp["type"] == "realtime" and lamp["metadata"] is True
    assert lamp["group"] == Category.objects.get(code="SJ01").name
    root = ET.fromstring(client.get(f"{BASE}/services.xml").content)
    assert root.tag == "services"
    assert {s.findtext("service_code") for s in root.findall("service")} == subclasses
    assert root.find("service/metadata").text == "true"  # type: ignore[union-attr]


def test_service_definition_and_unknown_code(client: Client) -> None:
    body = client.get(f"{BASE}/services/SJ0101.json").json()
    assert body["service_code"] == "SJ0101"
    kind = body["attributes"][0]
    assert kind["code"] == "kind" and kind["datatype"] == "singlevaluelist"
    assert {"key": "problem", "name": "投诉/问题"} in kind["values"]
    root = ET.fromstring(client.get(f"{BASE}/services/SJ0101.xml").content)
    assert root.tag == "service_definition"
    assert root.find("attributes/attribute/values/value/key").text == "problem"  # type: ignore[union-attr]
    r = client.get(f"{BASE}/services/NOPE.json")
    assert r.status_code == 404
    assert r.json() == [{"code": 404, "description": "service_code NOPE not found"}]


def test_post_with_a_bad_api_key_is_403_with_the_error_array(client: Client, tree: Tree) -> None:
    lat, lng = tree.point_in(tree.grid_a)
    r = post(client, api_key="not-a-key", service_code="SJ0101", lat=lat, long=lng, description="x")
    assert r.status_code == 403
    assert r.json() == [{"code": 403, "description": "api_key is missing or invalid"}]
    r = post(client, "xml", service_code="SJ0101", lat=lat, long=lng, description="x")
    assert r.status_code == 403
    root = ET.fromstring(r.content)
    assert (root.tag, root.findtext("error/code")) == ("errors", "403")
    assert not Appeal.objects.exists()


def test_post_validates_like_the_spec(client: Client, key: str, tree: Tree) -> None:
    r = post(client, api_key=key, description="x")
    assert (r.status_code, r.json()[0]["code"]) == (400, 400)
    assert "service_code" in r.json()[0]["description"]
    r = post(client, api_key=key, service_code="SJ0101", address_string="某路1号", description="x")
    assert r.status_code == 400 and "lat" in r.json()[0]["description"]
    r = post(client, api_key=key, service_code="NOPE", lat=1, long=1, description="x")
    assert r.status_code == 404
    r = post(client, api_key=key, service_code="SJ0101", lat=1.0, long=1.0, description="x")
    assert r.status_code == 400  # outside every grid (the service's own validation)
    resident_key = token_create(user=make_user(Role.DEPARTMENT_STAFF))
    lat, lng = tree.point_in(tree.grid_a)
    r = post(client, api_key=resident_key, service_code="SJ0101", lat=lat, long=lng, description="x")
    assert r.status_code == 403 and r.json()[0]["code"] == 403
    assert not Appeal.objects.exists()


def test_post_creates_a_case_and_it_reads_back(client: Client, key: str, tree: Tree) -> None:
    lat, lng = tree.point_in(tree.grid_a)
    r = post(
        client,
        api_key=key,
        service_code="SJ0101",
        lat=lat,
        long=lng,
        description="路口有暴露垃圾",
        address_string="东园路1号",
        first_name="三",
        last_name="张",
        phone="13812345678",
    )
    assert r.status_code == 201
    row = r.json()[0]
    appeal = Appeal.objects.get(pk=int(row["service_request_id"]))
    assert (appeal.grid_id, appeal.category.code, appeal.channel) == (tree.grid_a.pk, "SJ0101", "staff_entry")
    assert appeal.address == "东园路1号"
    tok = client.get(f"{BASE}/tokens/{row['token']}.json").json()
    assert tok == [{"service_request_id": row["service_request_id"], "token": row["token"]}]
    one = client.get(f"{BASE}/requests/{appeal.pk}.json").json()
    assert len(one) == 1
    got = one[0]
    assert got["status"] == "open" and got["service_code"] == "SJ0101" and got["lat"] == pytest.approx(lat)
    expected = appeal.resolve_due_at or add_working_time(appeal.reported_at, 4, "working_hours")
    assert got["expected_datetime"] == w3c(expected)
    assert "13812345678" not in r.content.decode() + str(one) and "张" not in str(one)
    root = ET.fromstring(client.get(f"{BASE}/requests/{appeal.pk}.xml").content)
    assert root.tag == "service_requests" and root.findtext("request/service_request_id") == str(appeal.pk)
    assert client.get(f"{BASE}/requests/999999.json").status_code == 404
    assert client.get(f"{BASE}/tokens/{token_for(999999)}.json").status_code == 404
    assert client.get(f"{BASE}/tokens/forged:abc.json").status_code == 404


def test_states_map_to_open_closed_and_extended_statuses(client: Client, key: str, tree: Tree) -> None:
    pk = submit(client, key, tree)
    for state, status, extended in [
        (State.DISPATCHED, "open", "action_scheduled"),
        (State.RESOLVED, "open", "fixed"),
        (State.CLOSED, "closed", "closed"),
        (State.CANCELLED, "closed", "no_further_action"),
    ]:
        Appeal.objects.filter(pk=pk).update(state=state)
        got = client.get(f"{BASE}/requests/{pk}.json").json()[0]
        assert (got["status"], got["extended_status"], got["extended_attributes"]["state"]) == (
            status,
            extended,
            state,
        )


def test_get_requests_filters_and_limits(client: Client, key: str, tree: Tree) -> None:
    a, b, c = submit(client, key, tree), submit(client, key, tree), submit(client, key, tree)
    Appeal.objects.filter(pk=b).update(state=State.CLOSED)
    old = timezone.now() - dt.timedelta(days=120)
    Appeal.objects.filter(pk=c).update(reported_at=old)
    ids = lambda r: [row["service_request_id"] for row in r.json()]  # noqa: E731
    assert ids(client.get(f"{BASE}/requests.json")) == [b, a]  # last 90 days, newest first
    assert ids(client.get(f"{BASE}/requests.json", {"status": "open"})) == [a]
    assert ids(client.get(f"{BASE}/requests.json", {"status": "closed"})) == [b]
    assert ids(client.get(f"{BASE}/requests.json", {"service_code": "SJ0102"})) == []
    assert ids(client.get(f"{BASE}/requests.json", {"service_request_id": f"{c},{a}"})) == [a, c]
    start = (old - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (old + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(client.get(f"{BASE}/requests.json", {"start_date": start, "end_date": end})) == [c]
    too_long = client.get(
        f"{BASE}/requests.json", {"start_date": "2025-01-01T00:00:00Z", "end_date": "2025-06-01T00:00:00Z"}
    )
    assert too_long.status_code == 400 and too_long.json()[0]["code"] == 400
    assert client.get(f"{BASE}/requests.json", {"status": "pending"}).status_code == 400
    root = ET.fromstring(client.get(f"{BASE}/requests.xml").content)
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [b, a]


def test_private_kinds_are_not_published(client: Client, key: str, tree: Tree) -> None:
    pk = submit(client, key, tree, **{"attribute[kind]": "help"})
    assert Appeal.objects.get(pk=pk).kind == "help"
    assert client.get(f"{BASE}/requests.json").json() == []
    assert client.get(f"{BASE}/requests/{pk}.json").status_code == 404


def test_idempotency_key_header_makes_one_case(client: Client, key: str, tree: Tree) -> None:
    lat, lng = tree.point_in(tree.grid_a)
    data = {"api_key": key, "service_code": "SJ0101", "lat": lat, "long": lng, "description": "重复提交"}
    first = client.post(f"{BASE}/requests.json", data, headers={"Idempotency-Key": "k-1"}).json()
    second = client.post(f"{BASE}/requests.json", data, headers={"Idempotency-Key": "k-1"}).json()
    assert first[0]["service_request_id"] == second[0]["service_request_id"]
    assert Appeal.objects.count() == 1
