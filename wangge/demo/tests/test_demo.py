import hashlib
import io
import sys
import types

import pytest
from django.core.management import call_command
from shapely.ops import unary_union

from wangge.accounts.models import Post, Unit, User
from wangge.accounts.roles import Role
from wangge.areas import geo
from wangge.areas.models import Area, AreaIndexState, PartyOrg
from wangge.areas.selectors import locate
from wangge.core import pii
from wangge.demo.build import build_demo
from wangge.demo.context import DEMO_HOOK_APPS, DemoContext
from wangge.demo.geometry import district_plan, leaf_grids, validate_tiling
from wangge.registry.models import Building, House, Household, HouseOwner, Resident, Tag, Tagging


def test_district_plan_has_hai_an_scale_and_tiles_exactly() -> None:
    plan = district_plan("district")
    grids = leaf_grids(plan)
    assert len(plan.children) == 4
    assert sum(len(s.children) for s in plan.children) == 18
    assert len(grids) == 279
    assert {g.dedicated_kind for g in grids if g.grid_type == "dedicated"} >= {"农贸市场", "物流园"}
    for node in plan.walk():
        assert (
            len(node.code)
            == {"district": 6, "street": 9, "community": 12, "grid": 15, "microgrid": 17}[node.level]
        )
        assert all(c.code.startswith(node.code) for c in node.children)
    assert validate_tiling(plan) == []


def test_validate_tiling_reports_a_gap() -> None:
    plan = district_plan("small")
    community = plan.children[0].children[0]
    w, s, e, n = community.children[0].bbox
    community.children[0].bbox = (w, s, e - 0.001, n)
    assert any(p.startswith(community.code) for p in validate_tiling(plan))


def _digest() -> str:
    h = hashlib.sha256()
    for row in Area.objects.order_by("code").values_list("code", "name", "boundary"):
        h.update(repr(row).encode())
    for row in Resident.objects.order_by("id").values_list("name", "birth_date", "id_hash", "relation"):
        h.update(repr(row).encode())
    for row in Building.objects.order_by("id").values_list("address", "lat", "lng"):
        h.update(repr(row).encode())
    h.update(str(Tagging.objects.count()).encode())
    return h.hexdigest()


def _wipe() -> None:
    Resident.objects.update(account=None)
    for model in (Tagging, HouseOwner, Resident, Household, House, Building, PartyOrg, Post):
        model.objects.all().delete()
    User.objects.all().delete()
    Unit.objects.all().delete()
    for level in ("microgrid", "grid", "community", "street", "district"):
        Area.objects.filter(level=level).delete()
    AreaIndexState.objects.all().delete()


@pytest.mark.django_db
def test_small_demo_builds_tiles_and_is_deterministic(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    built = build_demo(size="small", seed=7, stdout=out, run_hooks=False)
    ctx = built.context
    assert len(ctx.streets) == 1 and len(ctx.communities) == 3 and len(ctx.grids) == 24
    households = Household.objects.count()
    assert 1700 <= households <= 2400
    residents = Resident.objects.count()

    # Grids tile each community: union ≈ community, no overlaps.
    for community in ctx.communities:
        kids = [geo.parse_boundary(g.boundary) for g in ctx.grids if g.parent_id == community.pk]
        parent = geo.parse_boundary(community.boundary)
        union = unary_union(kids)
        assert geo.area_m2(parent.symmetric_difference(union)) < 1.0
        assert sum(geo.area_m2(k) for k in kids) - geo.area_m2(union) < 1.0
    assert Area.objects.filter(level="grid", grid_type="dedicated").exists()

    # Buildings lie inside their grid (locate agrees), and IDs are valid and consistent with birth dates.
    for b in Building.objects.select_related("area")[:40]:
        assert locate(b.lat, b.lng)[0] == b.area
    for r in Resident.objects.all()[:300]:
        assert pii.validate_id_number(r.id_number) is None
        assert pii.birth_date_from_id(r.id_number) == r.birth_date
        assert (int(r.id_number[16]) % 2 == 1) == (r.gender == "male")
        assert r.id_hash == pii.id_hash(r.id_number)
    party = Resident.objects.filter(political_status__in=["party_member", "probationary"]).count()
    assert 0.05 <= party / residents <= 0.10
    tokens = {pii.tag_token(c): c for c in Tag.objects.values_list("code", flat=True)}
    used = {tokens[t] for t in Tagging.objects.values_list("token", flat=True).distinct()}
    assert {"elderly_alone", "empty_nest", "disabled", "low_income", "party_center"} <= used
    assert HouseOwner.objects.filter(house__households__isnull=False).exists()

    # Accounts: every grid worker holds exactly its grid; the resident account is a resident.
    for i, grid in enumerate(ctx.grids):
        worker = User.objects.get(username=f"gridworker{i + 1:03d}")
        assert worker.role == Role.GRID_WORKER
        assert list(worker.posts.values_list("area__code", flat=True)) == [grid.code]
    assert User.objects.filter(username__startswith="volunteer", role=Role.VOLUNTEER).count() == 50
    assert Resident.objects.filter(account__username="resident").exists()
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("wangge-demo")
    assert User.objects.get(username="community").posts.get().area == ctx.communities[0]
    assert User.objects.get(username="property").unit.kind == Unit.Kind.PROPERTY_COMPANY
    # Every demo account has a phone (phone login): unique, and found by its keyed hash.
    assert not User.objects.filter(phone_hash__isnull=True).exists()
    assert User.objects.get(phone_hash=pii.phone_hash("13900000003")).username == "community"

    first = _digest()
    _wipe()
    # The rebuild runs the apps' hooks (faked here): each gets the context; a failing one is reported only.
    seen: list[tuple[str, DemoContext]] = []

    def fake(app: str, fail: bool = False) -> types.ModuleType:
        module = types.ModuleType(f"wangge.{app}.demo")

        def populate_demo(ctx: DemoContext) -> None:
            seen.append((app, ctx))
            if fail:
                raise RuntimeError("broken hook")

        module.populate_demo = populate_demo  # type: ignore[attr-defined]
        return module

    for app in DEMO_HOOK_APPS:
        monkeypatch.setitem(sys.modules, f"wangge.{app}.demo", fake(app, fail=app == "wishes"))
    rebuilt = build_demo(size="small", seed=7, stdout=io.StringIO(), run_hooks=True)
    assert [app for app, _ in seen] == DEMO_HOOK_APPS
    ctx = seen[0][1]
    assert ctx.size == "small" and len(ctx.grids) == 24 and ctx.users["gridworker001"].pk
    assert ctx.units["department"] and ctx.units["property_company"] and ctx.password == "wangge-demo"
    assert [e.split(":")[0] for e in rebuilt.hook_errors] == ["wishes"]
    assert Resident.objects.count() == residents
    assert _digest() == first


@pytest.mark.django_db
def test_demo_if_empty_skips_when_areas_exist(tree) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    call_command("demo", "--size", "small", "--if-empty", stdout=out)
    assert "跳过" in out.getvalue()
    assert Area.objects.count() == 8
