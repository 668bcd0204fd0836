"""The party organisation as people: membership rules, centre households, alliances, scope, counts, API."""

from __future__ import annotations

from typing import Any

import pytest

from wangge.accounts.models import Unit
from wangge.accounts.roles import Role
from wangge.areas.models import PartyOrg
from wangge.core.errors import Conflict, InvalidInput, NotFound
from wangge.core.models import AuditLog
from wangge.party import selectors, services
from wangge.party.models import Membership
from wangge.registry.tests.factories import admin_user, make_household, make_resident
from wangge.testing import Tree, api_client, make_user
from wangge.volunteers import services as volunteer_services


@pytest.fixture
def branch(tree: Tree) -> PartyOrg:
    return PartyOrg.objects.create(kind=PartyOrg.Kind.GRID_BRANCH, name="东园一网格党支部", area=tree.grid_a)


@pytest.fixture
def staff(tree: Tree) -> Any:
    return make_user(Role.COMMUNITY_STAFF, tree.community)


def party_resident(area: Any, **kw: Any) -> Any:
    return make_resident(area, admin_user(), political_status="party_member", **kw)


@pytest.mark.django_db
def test_members_make_the_count_and_the_secretary(tree: Tree, branch: PartyOrg, staff: Any) -> None:
    sec = party_resident(tree.grid_a, name="张红梅")
    services.membership_add(org=branch, resident=sec, role="secretary", by=staff)
    services.membership_add(org=branch, resident=party_resident(tree.grid_a), role="committee", by=staff)
    m = services.membership_add(org=branch, resident=party_resident(tree.grid_a), by=staff)
    branch.refresh_from_db()
    assert branch.member_count == 3 and branch.secretary_name == "张红梅"
    assert AuditLog.objects.filter(object_type="party.membership", action="create").count() == 3
    services.membership_end(membership=m, by=staff)
    branch.refresh_from_db()
    assert branch.member_count == 2
    assert [x.role for x in selectors.membership_list(viewer=staff, org=branch)] == ["secretary", "committee"]


@pytest.mark.django_db
def test_a_resident_who_is_not_a_party_member_is_refused(tree: Tree, branch: PartyOrg, staff: Any) -> None:
    masses = make_resident(tree.grid_a, admin_user(), political_status="masses")
    with pytest.raises(InvalidInput) as exc:
        services.membership_add(org=branch, resident=masses, by=staff)
    assert exc.value.errors[0]["field"] == "resident_id"
    assert not Membership.objects.exists()


@pytest.mark.django_db
def test_resident_of_another_grid_is_refused(tree: Tree, branch: PartyOrg, staff: Any) -> None:
    with pytest.raises(InvalidInput):
        services.membership_add(org=branch, resident=party_resident(tree.grid_b), by=staff)


@pytest.mark.django_db
def test_one_secretary_and_one_membership_per_person(tree: Tree, branch: PartyOrg, staff: Any) -> None:
    r = party_resident(tree.grid_a)
    services.membership_add(org=branch, resident=r, role="secretary", by=staff)
    with pytest.raises(InvalidInput):
        services.membership_add(org=branch, resident=r, by=staff)
    with pytest.raises(Conflict):
        services.membership_add(org=branch, resident=party_resident(tree.grid_a), role="secretary", by=staff)
    assert Membership.objects.count() == 1


@pytest.mark.django_db
def test_reported_in_service_member_joins(tree: Tree, branch: PartyOrg, staff: Any) -> None:
    user = make_user(Role.VOLUNTEER, display_name="刘在职")
    unit = Unit.objects.create(name="县供电公司", kind=Unit.Kind.CO_BUILDING)
    member = volunteer_services.member_update(user=user, by=user, kind="in_service_party", unit=unit)
    with pytest.raises(InvalidInput) as exc:  # not reported to this community yet
        services.membership_add(org=branch, member=member, by=staff)
    assert exc.value.errors[0]["field"] == "member_id"
    volunteer_services.community_report(member=member, community=tree.community, by=user)
    m = services.membership_add(org=branch, member=member, by=staff)
    assert m.source == "reported" and m.person_name == "刘在职"
    volunteer = make_user(Role.VOLUNTEER)
    plain = volunteer_services.member_update(user=volunteer, by=volunteer, kind="volunteer")
    volunteer_services.community_report(member=plain, community=tree.community, by=volunteer)
    with pytest.raises(InvalidInput):
        services.membership_add(org=branch, member=plain, by=staff)


@pytest.mark.django_db
def test_staff_out_of_scope_cannot_add(tree: Tree, branch: PartyOrg) -> None:
    other = make_user(Role.COMMUNITY_STAFF, tree.other_community)
    with pytest.raises(NotFound):
        services.membership_add(org=branch, resident=party_resident(tree.grid_a), by=other)


@pytest.mark.django_db
def test_centre_household_serves_households_once(tree: Tree, branch: PartyOrg, staff: Any) -> None:
    keeper_r = party_resident(tree.grid_a)
    keeper = services.membership_add(org=branch, resident=keeper_r, by=staff)
    centre = services.centre_create(org=branch, household=keeper_r.household, keeper=keeper, by=staff)
    near = [make_household(tree.grid_a, admin_user()) for _ in range(3)]
    for h in near:
        services.centre_serve(centre=centre, household=h, by=staff)
    with pytest.raises(InvalidInput):  # the centre itself
        services.centre_serve(centre=centre, household=keeper_r.household, by=staff)
    with pytest.raises(InvalidInput):  # another grid
        services.centre_serve(centre=centre, household=make_household(tree.grid_b, admin_user()), by=staff)
    other_r = party_resident(tree.grid_a)
    other_keeper = services.membership_add(org=branch, resident=other_r, by=staff)
    other = services.centre_create(org=branch, household=other_r.household, keeper=other_keeper, by=staff)
    with pytest.raises(InvalidInput) as exc:  # already served by the first centre
        services.centre_serve(centre=other, household=near[0], by=staff)
    assert "其他党员中心户" in exc.value.errors[0]["message"]
    [c1, c2] = selectors.centre_list(viewer=staff, org=branch)
    assert len(c1.served.all()) == 3 and len(c2.served.all()) == 0
    with pytest.raises(Conflict):  # the keeper cannot leave while running a centre
        services.membership_end(membership=keeper, by=staff)


@pytest.mark.django_db
def test_alliance_needs_two_orgs_of_the_community(tree: Tree, branch: PartyOrg, staff: Any) -> None:
    committee = PartyOrg.objects.create(
        kind=PartyOrg.Kind.COMMUNITY_COMMITTEE, name="东园社区党委", area=tree.community
    )
    far = PartyOrg.objects.create(kind=PartyOrg.Kind.GRID_BRANCH, name="西园一网格党支部", area=tree.grid_c)
    unit = Unit.objects.create(name="县人民医院", kind=Unit.Kind.CO_BUILDING)
    with pytest.raises(InvalidInput):
        services.alliance_create(area=tree.community, name="东园小区党建联盟", orgs=[branch], by=staff)
    with pytest.raises(InvalidInput):
        services.alliance_create(area=tree.community, name="东园小区党建联盟", orgs=[branch, far], by=staff)
    a = services.alliance_create(
        area=tree.community,
        name="东园小区党建联盟",
        estate="东园小区",
        orgs=[committee, branch],
        units=[(unit, "每月义诊")],
        by=staff,
    )
    got = selectors.alliance_get(viewer=staff, pk=a.pk)
    assert [link.org.name for link in got.org_links.all()] == ["东园社区党委", "东园一网格党支部"]
    assert [link.unit.name for link in got.unit_links.all()] == ["县人民医院"]
    assert [x.pk for x in selectors.alliance_list(viewer=staff, org=branch)] == [a.pk]


@pytest.mark.django_db
def test_members_per_grid_counts_active_members_of_grid_branches(
    tree: Tree, branch: PartyOrg, staff: Any
) -> None:
    other = PartyOrg.objects.create(kind=PartyOrg.Kind.GRID_BRANCH, name="二网格党支部", area=tree.grid_b)
    for _ in range(3):
        services.membership_add(org=branch, resident=party_resident(tree.grid_a), by=staff)
    m = services.membership_add(org=other, resident=party_resident(tree.grid_b), by=staff)
    services.membership_end(membership=m, by=staff)
    assert selectors.members_per_grid(viewer=staff) == {tree.grid_a.code: 3}
    assert selectors.member_counts(viewer=staff) == {branch.pk: 3}
    grid_worker_b = make_user(Role.GRID_WORKER, tree.grid_b)
    assert selectors.members_per_grid(viewer=grid_worker_b) == {}


@pytest.mark.django_db
def test_api_lists_detail_and_masks_names(tree: Tree, branch: PartyOrg, staff: Any) -> None:
    services.membership_add(
        org=branch, resident=party_resident(tree.grid_a, name="张红梅"), role="secretary", by=staff
    )
    client = api_client(staff)
    orgs = client.get("/api/v1/party/orgs").json()
    assert [(o["id"], o["member_count"], o["secretary"]) for o in orgs] == [(branch.pk, 1, "张**")]
    detail = client.get(f"/api/v1/party/orgs/{branch.pk}").json()
    assert detail["members"][0]["name"] == "张**" and detail["members"][0]["role_label"] == "书记"
    assert "张红梅" not in client.get(f"/api/v1/party/orgs/{branch.pk}").content.decode()
    other_staff = make_user(Role.COMMUNITY_STAFF, tree.other_community)
    assert api_client(other_staff).get(f"/api/v1/party/orgs/{branch.pk}").status_code == 404
    assert api_client(make_user(Role.RESIDENT)).get(f"/api/v1/party/orgs/{branch.pk}").status_code == 403


@pytest.mark.django_db
def test_api_add_member_names_the_field(tree: Tree, branch: PartyOrg, staff: Any) -> None:
    client = api_client(staff)
    masses = make_resident(tree.grid_a, admin_user(), political_status="masses")
    resp = client.post(
        f"/api/v1/party/orgs/{branch.pk}/members", {"resident_id": masses.pk}, content_type="application/json"
    )
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "resident_id"
    r = party_resident(tree.grid_a)
    resp = client.post(
        f"/api/v1/party/orgs/{branch.pk}/members",
        {"resident_id": r.pk, "role": "committee"},
        content_type="application/json",
    )
    assert resp.status_code == 201 and resp.json()["role"] == "committee"
    mid = resp.json()["id"]
    resp = client.post(
        f"/api/v1/party/members/{mid}/role", {"role": "secretary"}, content_type="application/json"
    )
    assert resp.status_code == 200
    branch.refresh_from_db()
    assert branch.secretary_name == r.name
    resp = client.post(f"/api/v1/party/members/{mid}/end", {}, content_type="application/json")
    assert resp.status_code == 200 and resp.json()["until"] is not None
    branch.refresh_from_db()
    assert branch.member_count == 0 and branch.secretary_name == ""


@pytest.mark.django_db
def test_org_detail_costs_the_same_queries_for_more_members(tree: Tree, branch: PartyOrg, staff: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_client(staff)

    def grow() -> None:
        r = party_resident(tree.grid_a)
        m = services.membership_add(org=branch, resident=r, by=staff)
        c = services.centre_create(org=branch, household=r.household, keeper=m, by=staff)
        services.centre_serve(centre=c, household=make_household(tree.grid_a, admin_user()), by=staff)

    grow()
    client.get(f"/api/v1/party/orgs/{branch.pk}")
    with CaptureQueriesContext(connection) as one:
        client.get(f"/api/v1/party/orgs/{branch.pk}")
    grow()
    grow()
    with CaptureQueriesContext(connection) as three:
        body = client.get(f"/api/v1/party/orgs/{branch.pk}").json()
    assert len(body["members"]) == 3 and len(body["centres"]) == 3
    assert len(three) == len(one)
    with CaptureQueriesContext(connection) as listing:
        client.get("/api/v1/party/orgs")
    assert len(listing) <= 5
