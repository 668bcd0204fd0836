import pytest
from django.test import Client

from wangge.accounts.roles import Role
from wangge.core.audit import audit
from wangge.core.models import AppendOnlyError, AuditLog
from wangge.core.scoping import Scope, scope_for
from wangge.testing import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_audit_rows_cannot_be_edited_or_deleted() -> None:
    user = make_user(Role.ADMIN)
    row = audit("update", user, by=user, note="x")
    row.note = "tampered"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    assert AuditLog.objects.get(pk=row.pk).note == "x"


def test_scope_follows_posts_and_prefixes(tree) -> None:  # type: ignore[no-untyped-def]
    worker = make_user(Role.GRID_WORKER, tree.grid_a)
    staff = make_user(Role.COMMUNITY_STAFF, tree.community, tree.grid_a)  # grid_a is inside the community
    assert scope_for(worker) == Scope(codes=(tree.grid_a.code,))
    assert scope_for(staff).codes == (tree.community.code,)
    assert scope_for(staff).contains(tree.grid_b.code) and not scope_for(staff).contains(tree.grid_c.code)
    assert scope_for(make_user(Role.ADMIN)).everything
    assert scope_for(make_user(Role.RESIDENT)).empty
    assert scope_for(make_user(Role.GRID_WORKER)).empty  # a grid worker with no post sees nothing


def test_audit_page_filters_and_is_admin_only(tree) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(Role.ADMIN, username="boss")
    audit("reveal", tree.grid_a, by=admin, note="查看身份证号")
    audit("update", tree.grid_b, by=admin)
    client = Client()
    client.login(username="boss", password=PASSWORD)
    res = client.get("/core/audit/?action=reveal")
    assert res.status_code == 200
    body = res.content.decode()
    assert "查看身份证号" in body and tree.grid_b.name not in body
    make_user(Role.GRID_WORKER, tree.grid_a, username="gw")
    other = Client()
    other.login(username="gw", password=PASSWORD)
    assert other.get("/core/audit/").status_code == 403


def test_everything_scope_survives_being_ored_with_an_own_link(tree) -> None:  # type: ignore[no-untyped-def]
    """``Q() | Q(x)`` is just ``Q(x)`` in Django: the admin's scope must stay "every row" when OR-ed."""
    from django.db.models import Q

    from wangge.areas.models import Area

    everything = Scope(everything=True).q("code") | Q(pk=-1)
    nothing = Scope().q("code") | Q(pk=tree.grid_a.pk)
    assert Area.objects.filter(everything).count() == Area.objects.count() > 1
    assert list(Area.objects.filter(nothing)) == [tree.grid_a]
