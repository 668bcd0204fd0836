import pytest
from django.test import Client

from wangge.accounts.models import User
from wangge.accounts.roles import Role
from wangge.core.audit import audit
from wangge.testing import make_user

pytestmark = pytest.mark.django_db


def _staff(role: str, *areas) -> Client:  # type: ignore[no-untyped-def]
    user = make_user(role, *areas)
    User.objects.filter(pk=user.pk).update(is_staff=True)
    client = Client()
    client.force_login(User.objects.get(pk=user.pk))
    return client


def test_community_staff_see_only_their_subtree_in_the_admin(tree) -> None:  # type: ignore[no-untyped-def]
    client = _staff(Role.COMMUNITY_STAFF, tree.community)
    page = client.get("/admin/areas/area/").content.decode()
    assert tree.grid_a.code in page and tree.grid_b.code in page
    assert tree.grid_c.code not in page and f">{tree.street.code}<" not in page
    assert client.get(f"/admin/areas/area/{tree.grid_a.pk}/change/").status_code == 200
    assert client.get(f"/admin/areas/area/{tree.grid_c.pk}/change/").status_code in (302, 404)
    other = make_user(Role.GRID_WORKER, tree.grid_c, username="faraway")
    mine = make_user(Role.GRID_WORKER, tree.grid_a, username="nearby")
    users = client.get("/admin/accounts/user/").content.decode()
    assert mine.username in users and other.username not in users


def test_community_staff_cannot_change_areas_but_admin_can(tree) -> None:  # type: ignore[no-untyped-def]
    client = _staff(Role.COMMUNITY_STAFF, tree.community)
    url = f"/admin/areas/area/{tree.grid_a.pk}/change/"
    resp = client.post(url, {"code": tree.grid_a.code, "name": "改名", "level": "grid"})
    assert resp.status_code == 403
    tree.grid_a.refresh_from_db()
    assert tree.grid_a.name != "改名"
    admin = Client()
    admin.force_login(make_user(Role.ADMIN, is_staff=True, is_superuser=True))
    assert admin.get(url).status_code == 200


def test_audit_log_is_read_only_in_the_admin(tree) -> None:  # type: ignore[no-untyped-def]
    entry = audit("create", tree.grid_a, by=None)
    client = Client()
    client.force_login(make_user(Role.ADMIN, is_staff=True, is_superuser=True))
    assert client.get("/admin/core/auditlog/").status_code == 200
    assert client.get("/admin/core/auditlog/add/").status_code == 403
    assert client.get(f"/admin/core/auditlog/{entry.pk}/delete/").status_code == 403
    page = client.get(f"/admin/core/auditlog/{entry.pk}/change/").content.decode()
    assert 'name="_save"' not in page
    grid_worker = _staff(Role.GRID_WORKER, tree.grid_a)
    assert grid_worker.get("/admin/core/auditlog/").status_code == 403
