"""The generic guards at the edge (wangge/core/guards.py, wangge/api.py): each class of input that used to
reach the database or the renderer and answer 500 now answers 4xx with the one error shape, naming the field
and the reason. Run on PostgreSQL too: that is where NUL bytes used to break (SQLite stores them)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from wangge.accounts.roles import Role
from wangge.registry.models import Building
from wangge.testing import PASSWORD, Tree, api_client, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff(tree: Tree) -> Client:
    return api_client(make_user(Role.COMMUNITY_STAFF, tree.community))


@pytest.fixture
def building(tree: Tree) -> Building:
    return Building.objects.create(
        area=tree.grid_a, name="1号楼", address="东园小区1号楼", lat=32.505, lng=120.405
    )


def errors_of(res: Any, status: int = 422) -> dict[str, str]:
    """The response's errors as {field: message}, after checking the status and the one error shape."""
    assert res.status_code == status, res.content
    assert res["Content-Type"].startswith("application/json")
    body = res.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert all(set(e) >= {"field", "message"} for e in body["errors"]), body
    return {e["field"]: e["message"] for e in body["errors"]}


def post_json(client: Client, path: str, data: Any, method: str = "post") -> Any:
    raw = data if isinstance(data, str) else json.dumps(data)
    return getattr(client, method)(path, raw, content_type="application/json")


# --- text: NUL, lone surrogates, control characters ---------------------------------------------------


def test_nul_in_a_query_parameter_is_refused_naming_it(staff: Client) -> None:
    assert "q" in errors_of(staff.get("/api/v1/residents", {"q": "王\x00"}))
    assert "含有空字符" in errors_of(staff.get("/api/v1/buildings", {"q": "a\x00b"}))["q"]


def test_nul_in_a_json_body_field_is_refused_naming_it(staff: Client, tree: Tree) -> None:
    body = {"area": tree.grid_a.code, "name": "1号楼\x00", "address": "东园小区1号楼"}
    assert "含有空字符" in errors_of(post_json(staff, "/api/v1/buildings", body))["name"]
    assert not Building.objects.exists()


def test_nul_in_a_path_parameter_is_refused(staff: Client) -> None:
    assert "path" in errors_of(staff.get("/api/v1/areas/320621%00"))


def test_nul_without_login_is_refused_not_a_server_error() -> None:
    client = Client()
    res = post_json(client, "/api/v1/auth/token", {"username": "admin\x00", "password": "x"})
    assert "username" in errors_of(res)
    assert "path" in errors_of(client.get("/api/v1/appeals/categories%00"))


def test_lone_surrogate_in_json_is_refused(staff: Client, tree: Tree) -> None:
    raw = '{"area": "' + tree.grid_a.code + '", "name": "\\ud800", "address": "x"}'
    assert "name" in errors_of(post_json(staff, "/api/v1/buildings", raw))
    assert not Building.objects.exists()


def test_control_characters_in_names_are_refused(staff: Client, tree: Tree) -> None:
    body = {"area": tree.grid_a.code, "name": "1号\x07楼", "address": "东园小区\x1b1号楼"}
    errors = errors_of(post_json(staff, "/api/v1/buildings", body))
    assert set(errors) == {"name", "address"} and "U+0007" in errors["name"]
    # Tab, newline and carriage return pass the edge; a one-line field (an address) refuses them by its own rule.
    body = {"area": tree.grid_a.code, "name": "1号楼", "address": "东园小区\t1号楼\r\n北门"}
    assert set(errors_of(post_json(staff, "/api/v1/buildings", body))) == {"address"}
    body["address"] = "东园小区1号楼北门"
    assert post_json(staff, "/api/v1/buildings", body).status_code == 201


# --- integers: ids, offset, limit ---------------------------------------------------------------------


def test_ids_beyond_64_bits_are_refused_before_the_database(staff: Client) -> None:
    assert "pk" in errors_of(staff.get(f"/api/v1/residents/{2**64}"))
    assert "appeal_id" in errors_of(staff.get(f"/api/v1/appeals/{10**30}"))
    assert staff.get(f"/api/v1/residents/{2**63 - 1}").status_code == 404  # in range: simply not found


def test_ids_beyond_64_bits_in_a_body_are_refused(staff: Client) -> None:
    body = {"house_id": 2**70, "number": "1"}
    assert "house_id" in errors_of(post_json(staff, "/api/v1/households", body))


def test_offset_must_not_be_negative_or_huge(staff: Client) -> None:
    assert "offset" in errors_of(staff.get("/api/v1/residents", {"offset": -1}))
    assert "offset" in errors_of(staff.get("/api/v1/residents", {"offset": 10**20}))
    assert "offset" in errors_of(staff.get("/api/v1/notifications", {"offset": -5}))


def test_every_list_has_a_maximum_page_size(staff: Client, settings: Any) -> None:
    assert "limit" in errors_of(staff.get("/api/v1/residents", {"limit": 1_000_000}))
    assert "limit" in errors_of(staff.get("/api/v1/residents", {"limit": 0}))
    # Lists that parse their own limit are bounded by the same rule.
    assert "limit" in errors_of(staff.get("/api/v1/notifications", {"limit": 1_000_000}))
    assert "limit" in errors_of(staff.get("/api/v1/points/entries", {"limit": 201}))
    assert staff.get("/api/v1/residents", {"limit": 200}).status_code == 200
    settings.WANGGE_API_MAX_PAGE_SIZE = 50
    assert "1–50" in errors_of(staff.get("/api/v1/residents", {"limit": 51}))["limit"]


def test_the_page_bounds_are_documented() -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    params = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/residents"]["get"]["parameters"]}
    assert params["limit"]["maximum"] == 200 and params["limit"]["minimum"] == 1
    assert params["offset"]["minimum"] == 0


# --- numbers and dates --------------------------------------------------------------------------------


def test_nan_and_infinite_numbers_are_refused(staff: Client, tree: Tree) -> None:
    assert {"lat"} <= set(errors_of(staff.get("/api/v1/areas/locate", {"lat": "nan", "lng": "120.4"})))
    assert "lng" in errors_of(staff.get("/api/v1/areas/locate", {"lat": "32.5", "lng": "inf"}))
    raw = '{"area": "' + tree.grid_a.code + '", "name": "楼", "address": "址", "lat": NaN, "lng": Infinity}'
    assert set(errors_of(post_json(staff, "/api/v1/buildings", raw))) == {"lat", "lng"}


def test_dates_outside_1900_to_2100_are_refused_in_queries_and_bodies(tree: Tree) -> None:
    admin = api_client(make_user(Role.ADMIN))
    assert "since" in errors_of(admin.get("/api/v1/audit", {"since": "0001-01-01T00:00:00"}))
    assert "until" in errors_of(admin.get("/api/v1/audit", {"until": "9999-12-31T23:59:59"}))
    assert admin.get("/api/v1/audit", {"since": "2024-01-01T00:00:00"}).status_code == 200
    staff = api_client(make_user(Role.COMMUNITY_STAFF, tree.community))
    body = {"household_id": 1, "name": "张三", "birth_date": "1066-10-14"}
    assert "1900–2100" in errors_of(post_json(staff, "/api/v1/residents", body))["birth_date"]


# --- PATCH with null ----------------------------------------------------------------------------------


def test_null_for_a_required_field_in_patch_is_refused(staff: Client, building: Building) -> None:
    url = f"/api/v1/buildings/{building.pk}"
    assert "area" in errors_of(post_json(staff, url, {"area": None}, "patch"))
    assert "name" in errors_of(post_json(staff, url, {"name": None}, "patch"))
    # A nullable column may be cleared; a key left out is unchanged.
    res = post_json(staff, url, {"lat": None, "lng": None}, "patch")
    assert res.status_code == 200, res.content
    building.refresh_from_db()
    assert building.lat is None and building.name == "1号楼"


def test_fuzzer_findings_in_the_apps_answer_422(staff: Client, building: Building) -> None:
    # An empty area in a building PATCH reached the service twice (a TypeError, 500).
    assert "area" in errors_of(post_json(staff, f"/api/v1/buildings/{building.pk}", {"area": ""}, "patch"))
    # A missing community for a micro-project was checked with `assert` (500).
    volunteer = api_client(make_user(Role.VOLUNTEER))
    assert "community" in errors_of(
        post_json(volunteer, "/api/v1/micro-projects", {"title": "义剪", "community": ""})
    )


def test_patch_schema_documents_which_fields_take_null() -> None:
    schemas = Client().get("/api/v1/openapi.json").json()["components"]["schemas"]
    props = schemas["BuildingPatch"]["properties"]
    assert props["name"] == {"title": "Name", "type": "string"}
    assert {"type": "null"} in props["lat"]["anyOf"]


# --- malformed requests -------------------------------------------------------------------------------


def test_invalid_json_and_wrong_content_types_answer_4xx_with_the_error_shape(staff: Client) -> None:
    errors_of(post_json(staff, "/api/v1/buildings", "{not json"), 400)
    errors_of(staff.post("/api/v1/buildings", b"\xff\xfe", content_type="application/json"), 400)
    errors_of(staff.post("/api/v1/buildings", "name=x", content_type="text/plain"), 400)
    errors_of(post_json(staff, "/api/v1/buildings", "[1, 2]"), 422)
    errors_of(staff.post("/api/v1/residents/import", "{}", content_type="application/json"), 422)


def test_a_too_large_or_broken_form_body_answers_json_on_the_api(staff: Client, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    res = staff.post("/api/v1/residents/import", {f"f{i}": "x" for i in range(10)})
    errors_of(res, 400)
    broken = "multipart/form-data; boundary=x"
    errors_of(staff.post("/api/v1/residents/import", "--y\r\nbroken", content_type=broken), 422)


def test_unknown_api_paths_and_methods_answer_json(staff: Client) -> None:
    errors_of(staff.get("/api/v1/pairings/not-a-number"), 404)
    errors_of(staff.get("/api/v1/no-such-thing"), 404)
    res = staff.delete("/api/v1/buildings")
    errors_of(res, 405)
    assert "GET" in res["Allow"]


def test_every_operation_documents_the_shared_error_responses() -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"400", "401", "403", "404", "409", "422"} <= codes, (method, path)
    error = schema["components"]["schemas"]["ErrorOut"]
    assert set(error["required"]) == {"detail"} and "errors" in error["properties"]


def test_no_two_schemas_share_a_component_name() -> None:
    """ninja names components by class name: two different classes of the same name silently replace each
    other in the OpenAPI description (areas' PostOut once documented volunteers' PostOut)."""
    from pydantic import BaseModel

    from wangge.api import api

    seen: dict[str, type] = {}
    clashes: list[str] = []
    visited: set[Any] = set()

    def walk(tp: Any) -> None:
        if id(tp) in visited:
            return
        visited.add(id(tp))
        for arg in getattr(tp, "__args__", ()) or ():
            walk(arg)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            name = tp.__name__
            if name in ("NinjaResponseSchema",) or name.endswith(("Params", "BodyParams")):
                for field in tp.model_fields.values():
                    walk(field.annotation)
                return
            other = seen.setdefault(name, tp)
            if other is not tp and other.model_json_schema() != tp.model_json_schema():
                clashes.append(f"{name}: {other.__module__} and {tp.__module__}")
                return
            for field in tp.model_fields.values():
                walk(field.annotation)

    for bound in api._get_bound_routers():
        for path_view in bound.path_operations.values():
            for operation in path_view.operations:
                for model in operation.response_models.values():
                    walk(model)
                for model in operation.models:
                    walk(model)
    assert not clashes


# --- pages and Open311 --------------------------------------------------------------------------------


def test_a_page_form_post_with_nul_answers_422_naming_the_field() -> None:
    res = Client().post("/accounts/login/", {"username": "admin\x00", "password": PASSWORD})
    assert res.status_code == 422
    assert "username" in res.content.decode() and "含有空字符" in res.content.decode()


def test_a_page_query_with_nul_answers_422(tree: Tree) -> None:
    client = Client()
    client.force_login(make_user(Role.COMMUNITY_STAFF, tree.community))
    res = client.get("/registry/residents/", {"q": "王\x00"})
    assert res.status_code == 422 and "q" in res.content.decode()
    res = client.get("/registry/residents/", {"q": "王"}, HTTP_HX_REQUEST="true")
    assert res.status_code == 200


def test_open311_form_post_with_nul_answers_its_own_error_shape() -> None:
    res = Client().post("/open311/v2/requests.json", {"service_code": "SJ0101", "description": "x\x00"})
    assert res.status_code == 400
    body = res.json()
    assert body[0]["code"] == 400 and "description" in body[0]["description"]
