"""An Open311 client someone else wrote (the ``georeport`` package) reads our services and requests from a
live server, in JSON and in XML."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from georeport import GeoReport

from wangge.accounts.roles import Role
from wangge.accounts.services import token_create
from wangge.appeals.models import Category
from wangge.testing import make_tree, make_user


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_georeport_client_reads_services_and_requests(live_server: Any) -> None:
    tree = make_tree()
    key = token_create(user=make_user(Role.GRID_WORKER, tree.grid_a))
    root = f"{live_server.url}/open311/v2"
    lat, lng = tree.point_in(tree.grid_a)
    posted = requests.post(
        f"{root}/requests.json",
        data={"api_key": key, "service_code": "SJ0101", "lat": lat, "long": lng, "description": "垃圾桶满溢"},
        timeout=30,
    )
    assert posted.status_code == 201, posted.text
    request_id = posted.json()[0]["service_request_id"]

    subclasses = set(
        Category.objects.filter(active=True, parent__isnull=False).values_list("code", flat=True)
    )
    for fmt in ("json", "xml"):
        client = GeoReport(root, output_format=fmt)
        services = client.get_service_list()
        assert {s["service_code"] for s in services} == subclasses
        definition = client.get_service_definition("SJ0101")
        assert definition["service_code"] == "SJ0101"
        one = client.get_service_request(request_id)
        assert (one["service_request_id"], one["status"], one["service_code"]) == (
            request_id,
            "open",
            "SJ0101",
        )
        assert one["expected_datetime"]
        found = client.get_service_requests(status="open", service_code="SJ0101")
        rows = found if isinstance(found, list) else [found]  # xmltodict: one element is not a list
        assert [r["service_request_id"] for r in rows] == [request_id]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_georeport_client_sees_the_spec_error_on_a_bad_key(live_server: Any) -> None:
    r = requests.post(
        f"{live_server.url}/open311/v2/requests.json",
        data={"api_key": "wrong", "service_code": "SJ0101", "lat": 32.5, "long": 120.4},
        timeout=30,
    )
    assert r.status_code == 403
    assert r.json() == [{"code": 403, "description": "api_key is missing or invalid"}]
