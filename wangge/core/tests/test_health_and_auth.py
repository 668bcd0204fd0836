import pytest
from django.test import Client

from wangge.accounts.roles import Role
from wangge.testing import PASSWORD, api_client, make_user

pytestmark = pytest.mark.django_db


def test_healthz_reports_database() -> None:
    res = Client().get("/healthz")
    assert res.status_code == 200
    body = res.json()
    assert body["status"] == "ok" and body["database"]["status"] == "ok"


def test_token_by_username_and_by_phone_then_bearer_works() -> None:
    user = make_user(Role.COMMUNITY_STAFF, username="secretary", phone="13912345678")
    for login in ("secretary", "13912345678"):
        res = Client().post(
            "/api/v1/auth/token", {"username": login, "password": PASSWORD}, content_type="application/json"
        )
        assert res.status_code == 200, res.content
        token = res.json()["token"]
        me = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/auth/me")
        assert me.json()["username"] == user.username


def test_wrong_password_is_401_with_error_shape() -> None:
    make_user(Role.RESIDENT, username="r1")
    res = Client().post(
        "/api/v1/auth/token", {"username": "r1", "password": "nope"}, content_type="application/json"
    )
    assert res.status_code == 401
    assert res.json()["errors"][0]["field"] == "password"


def test_tokens_are_stored_hashed() -> None:
    from wangge.accounts.models import ApiToken

    user = make_user(Role.RESIDENT)
    client = api_client(user)
    key = client.defaults["HTTP_AUTHORIZATION"].split()[1]
    assert not ApiToken.objects.filter(key_hash=key).exists()
    assert ApiToken.objects.get(user=user).prefix == key[:8]


def test_api_without_auth_is_401() -> None:
    assert Client().get("/api/v1/auth/me").status_code == 401


def test_audit_api_is_admin_only() -> None:
    admin = make_user(Role.ADMIN)
    assert api_client(admin).get("/api/v1/audit").status_code == 200
    assert api_client(make_user(Role.GRID_WORKER)).get("/api/v1/audit").status_code == 403


def test_openapi_schema_builds_and_lists_every_context() -> None:
    res = Client().get("/api/v1/openapi.json")
    assert res.status_code == 200
    paths = res.json()["paths"]
    for path in (
        "/api/v1/auth/token",
        "/api/v1/areas/locate",
        "/api/v1/residents/import",
        "/api/v1/appeals/{appeal_id}/dispatch",
        "/api/v1/activities/{activity_id}/signups",
        "/api/v1/wishes/{wish_id}/claim",
        "/api/v1/metrics/appeals",
    ):
        assert path in paths, path
