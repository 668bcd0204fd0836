"""The lean submission path: at most 5 queries with warm caches, and every cached row family (category,
staff post, token) is invalidated for the next request when its rows change — through the database's change
stamps, so it also holds across app servers (each process compares the stamps once per request)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from wangge.accounts.models import ApiToken, Post
from wangge.accounts.roles import Role
from wangge.accounts.services import token_create, token_revoke
from wangge.appeals.models import Appeal, Category
from wangge.core.cache import ensure_stamps
from wangge.core.models import CacheVersion
from wangge.notifications.models import Notification
from wangge.testing import make_user

from .conftest import World, submit_kwargs

# Real transactions (as in production): the submission's atomic block is BEGIN/COMMIT, not a savepoint.
pytestmark = pytest.mark.django_db(transaction=True)


def _post(client: Client, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/appeals", json.dumps(body), content_type="application/json")


@pytest.fixture
def lean(world: World) -> tuple[World, Client, str]:
    ensure_stamps()  # the transactional flush removed the stamp rows the migration seeded
    key = token_create(user=world.resident)
    return world, Client(HTTP_AUTHORIZATION=f"Bearer {key}"), key


def test_submission_makes_at_most_five_queries(lean: Any, django_assert_max_num_queries: Any) -> None:
    world, client, _ = lean
    assert _post(client, submit_kwargs(world)).status_code == 201  # warms the caches and the grid index
    # The stamps, the case, its timeline entry, the notification: 4 statements. Django logs the transaction's
    # BEGIN and COMMIT as two more (both on SQLite and with psycopg 3); they are not counted below.
    control = 2
    with CaptureQueriesContext(connection) as ctx, django_assert_max_num_queries(5 + control):
        res = _post(client, submit_kwargs(world))
    assert res.status_code == 201, res.content
    sql = [q["sql"].upper() for q in ctx.captured_queries]
    statements = [s for s in sql if s.split()[0] not in ("BEGIN", "COMMIT")]
    assert len(statements) <= 5, statements
    assert not any("SAVEPOINT" in s for s in sql), sql
    assert sum(s.startswith("SELECT") for s in sql) == 1, sql  # only the change stamps
    # The grid worker of grid_a was told, in the same transaction as the case.
    appeal = Appeal.objects.get(pk=res.json()["id"])
    assert Notification.objects.filter(user=world.grid_worker, object_id=str(appeal.pk)).exists() or (
        Notification.objects.filter(user=world.grid_worker, link=f"/appeals/{appeal.pk}/").exists()
    )


def test_a_category_change_is_seen_by_the_next_request(lean: Any) -> None:
    world, client, _ = lean
    assert _post(client, submit_kwargs(world, category="SQ0101")).status_code == 201
    Category.objects.filter(code="SQ0101").update(
        active=False
    )  # a bulk update: no signal, the trigger sees it
    res = _post(client, submit_kwargs(world, category="SQ0101"))
    assert res.status_code == 422 and res.json()["errors"][0]["field"] == "category"
    Category.objects.filter(code="SQ0101").update(active=True)
    assert _post(client, submit_kwargs(world, category="SQ0101")).status_code == 201


def test_a_severity_change_moves_the_next_case_to_the_community(lean: Any) -> None:
    world, client, _ = lean
    first = _post(client, submit_kwargs(world)).json()
    assert Appeal.objects.get(pk=first["id"]).handling_level == "grid"
    cat = Category.objects.get(code="SQ0101")
    cat.severity = "large"
    cat.save()
    second = _post(client, submit_kwargs(world)).json()
    assert Appeal.objects.get(pk=second["id"]).handling_level == "community"


def test_a_staff_post_change_is_seen_by_the_next_request(lean: Any) -> None:
    world, client, _ = lean
    grid = world.tree.grid_a
    first = _post(client, submit_kwargs(world)).json()["id"]
    assert Notification.objects.filter(user=world.grid_worker, link=f"/appeals/{first}/").exists()
    # The grid worker leaves the post; a newcomer takes it.
    Post.objects.filter(user=world.grid_worker, area=grid).update(active=False)
    newcomer = make_user(Role.GRID_WORKER, grid, username="newcomer")
    second = _post(client, submit_kwargs(world)).json()["id"]
    told = set(Notification.objects.filter(link=f"/appeals/{second}/").values_list("user_id", flat=True))
    assert newcomer.pk in told and world.grid_worker.pk not in told


def test_a_deactivated_staff_member_is_no_longer_told(lean: Any) -> None:
    world, client, _ = lean
    _post(client, submit_kwargs(world))
    world.grid_worker.is_active = False
    world.grid_worker.save(update_fields=["is_active"])
    pk = _post(client, submit_kwargs(world)).json()["id"]
    assert not Notification.objects.filter(user=world.grid_worker, link=f"/appeals/{pk}/").exists()


def test_a_revoked_token_is_refused_by_the_next_request(lean: Any) -> None:
    world, client, key = lean
    assert _post(client, submit_kwargs(world)).status_code == 201
    token = ApiToken.objects.get(prefix=key[:8], user=world.resident)
    token_revoke(token_id=token.pk, by=world.resident)
    res = _post(client, submit_kwargs(world))
    assert res.status_code == 401


def test_a_raw_revocation_and_a_deactivated_user_are_refused(lean: Any) -> None:
    world, client, key = lean
    other_key = token_create(user=world.resident2)
    other = Client(HTTP_AUTHORIZATION=f"Bearer {other_key}")
    assert _post(client, submit_kwargs(world)).status_code == 201
    assert _post(other, submit_kwargs(world)).status_code == 201
    ApiToken.objects.filter(user=world.resident).update(revoked=True)  # e.g. from another app server
    assert _post(client, submit_kwargs(world)).status_code == 401
    world.resident2.is_active = False
    world.resident2.save()
    assert _post(other, submit_kwargs(world)).status_code == 401


def test_a_role_change_is_seen_by_the_next_request(lean: Any) -> None:
    world, client, _ = lean
    assert _post(client, submit_kwargs(world)).status_code == 201
    world.resident.role = Role.VOLUNTEER if hasattr(Role, "VOLUNTEER") else Role.DEPARTMENT
    world.resident.save(update_fields=["role"])
    res = client.get("/api/v1/auth/me")
    if res.status_code == 200 and "role" in res.json():
        assert res.json()["role"] == world.resident.role


def test_a_touch_of_the_token_does_not_move_the_stamp(lean: Any) -> None:
    world, client, key = lean
    _post(client, submit_kwargs(world))
    before = CacheVersion.objects.get(key="token").version
    ApiToken.objects.filter(prefix=key[:8]).update(last_used_at=None)
    assert CacheVersion.objects.get(key="token").version == before
    assert ApiToken.objects.filter(prefix=key[:8], last_used_at__isnull=True).exists()


def test_token_revoke_of_someone_elses_token_is_not_found(lean: Any) -> None:
    from wangge.core.errors import NotFound

    world, _client, key = lean
    token = ApiToken.objects.get(prefix=key[:8], user=world.resident)
    with pytest.raises(NotFound):
        token_revoke(token_id=token.pk, by=world.resident2)
    assert not ApiToken.objects.get(pk=token.pk).revoked


def test_a_new_or_ended_post_changes_the_scope_at_once(lean: Any) -> None:
    from wangge.accounts.models import User
    from wangge.core.scoping import scope_for

    world, _client, _ = lean
    fresh = lambda: User.objects.get(pk=world.grid_worker.pk)  # noqa: E731 (a new instance per "request")
    grid_b = world.tree.grid_b.code
    assert not scope_for(fresh()).contains(grid_b)
    Post.objects.create(user=world.grid_worker, area=world.tree.grid_b, kind=Post.Kind.GRID_WORKER)
    assert scope_for(fresh()).contains(grid_b)
    Post.objects.filter(user=world.grid_worker, area=world.tree.grid_b).update(active=False)
    assert not scope_for(fresh()).contains(grid_b)
