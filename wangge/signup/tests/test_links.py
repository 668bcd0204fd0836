"""A signed-up resident links to their household only after the grid worker confirms; until then they can
report cases. The grid worker of another grid does not see the request."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from wangge.accounts.roles import Role
from wangge.core.errors import Conflict, Forbidden, NotFound
from wangge.registry.models import Resident
from wangge.registry.tests.factories import admin_user, make_household, make_resident
from wangge.signup import services
from wangge.signup.models import LinkRequest
from wangge.testing import Tree, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_grid_worker_confirms_and_the_account_becomes_the_households_resident(tree: Tree) -> None:
    by = admin_user()
    household = make_household(tree.grid_a, by)
    person = make_resident(household=household, by=by, phone="13811112222")
    resident = make_user(Role.RESIDENT, username="selfie", phone="13811112222")
    gw_a = make_user(Role.GRID_WORKER, tree.grid_a, username="gwa")
    gw_b = make_user(Role.GRID_WORKER, tree.grid_b, username="gwb")

    req = services.link_request(by=resident, household_id=household.pk, note="我住3单元")
    with pytest.raises(Conflict):  # one pending request at a time (a partial unique constraint)
        services.link_request(by=resident, household_id=household.pk)
    with pytest.raises(NotFound):  # another grid's worker: out of scope, like missing
        services.link_decide(request_id=req.pk, by=gw_b, confirm=True)
    with pytest.raises(Forbidden):
        services.link_decide(request_id=req.pk, by=resident, confirm=True)
    # The grid worker's page lists it; their home counts it.
    c = Client()
    c.force_login(gw_a)
    assert f'data-request="{req.pk}"' in c.get("/signup/links/").content.decode()
    assert 'data-counter="signups-pending"><strong>1</strong>' in c.get("/").content.decode()

    res = c.post(f"/signup/links/{req.pk}/decide/", {"confirm": "1"})
    assert res.status_code == 302
    person.refresh_from_db()
    assert person.account_id == resident.pk
    assert LinkRequest.objects.get().status == "confirmed"
    with pytest.raises(Conflict):
        services.link_decide(request_id=req.pk, by=gw_a, confirm=False)


def test_no_resident_with_that_phone_cannot_be_confirmed_and_rejecting_links_nothing(tree: Tree) -> None:
    by = admin_user()
    household = make_household(tree.grid_a, by)
    make_resident(household=household, by=by, phone="13899990000")
    resident = make_user(Role.RESIDENT, username="selfie", phone="13811112222")
    gw_a = make_user(Role.GRID_WORKER, tree.grid_a, username="gwa")
    req = services.link_request(by=resident, household_id=household.pk)
    with pytest.raises(Conflict):
        services.link_decide(request_id=req.pk, by=gw_a, confirm=True)
    services.link_decide(request_id=req.pk, by=gw_a, confirm=False)
    assert not Resident.objects.filter(account=resident).exists()
    # A new request may follow a rejected one.
    assert services.link_request(by=resident, household_id=household.pk).status == "pending"


def test_the_link_form_shows_its_error_next_to_the_field(tree: Tree) -> None:
    resident = make_user(Role.RESIDENT, username="selfie", phone="13811112222")
    c = Client()
    c.force_login(resident)
    res = c.post("/signup/links/", {"household_id": "987654321"})
    assert res.status_code == 422
    assert 'id="id_household_id-error"' in res.content.decode() and "户不存在" in res.content.decode()
