"""Recording a visit: idempotent by client id, verified by distance (a mark, not a block), a checklist chosen
by the household's tags, findings that become cases in one tap, and every error path writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.appeals.models import Appeal
from wangge.core.errors import Forbidden, InvalidInput
from wangge.testing import make_user
from wangge.visits import services
from wangge.visits.models import ScheduledVisit, Visit
from wangge.visits.tests.factories import make_household, offset


@pytest.fixture
def gw(tree):
    return make_user(Role.GRID_WORKER, tree.grid_a)


@pytest.mark.django_db
def test_the_same_client_id_lands_once(tree, gw):
    h = make_household(tree.grid_a)
    v1, created1 = services.visit_record(by=gw, household=h, client_id="phone-1", notes="第一次")
    v2, created2 = services.visit_record(by=gw, household=h, client_id="phone-1", notes="重发")
    assert (created1, created2) == (True, False)
    assert v1.pk == v2.pk and Visit.objects.count() == 1
    assert Visit.objects.get().notes == "第一次"
    # Another worker's identical client id is a different visit.
    other = make_user(Role.GRID_WORKER, tree.grid_a)
    assert services.visit_record(by=other, household=h, client_id="phone-1")[1] is True


@pytest.mark.django_db
def test_verified_within_the_distance_unverified_beyond_or_without_a_location(tree, gw, settings):
    settings.WANGGE_VISIT_VERIFY_DISTANCE_M = 100
    h = make_household(tree.grid_a)
    b = h.house.building
    near = offset(b.lat, b.lng, north_m=60)
    far = offset(b.lat, b.lng, east_m=500)
    v_near, _ = services.visit_record(
        by=gw, household=h, client_id="a", lat=near[0], lng=near[1], accuracy_m=25
    )
    v_far, _ = services.visit_record(by=gw, household=h, client_id="b", lat=far[0], lng=far[1], accuracy_m=80)
    v_none, _ = services.visit_record(by=gw, household=h, client_id="c")
    assert v_near.verified and abs(v_near.distance_m - 60) < 2
    assert not v_far.verified and abs(v_far.distance_m - 500) < 5  # recorded anyway: a mark, not a block
    assert (v_none.verified, v_none.distance_m) == (False, None)
    with pytest.raises(InvalidInput) as exc:
        services.visit_record(by=gw, household=h, client_id="d", lat=near[0])
    assert exc.value.errors[0]["field"] == "lng"


@pytest.mark.django_db
def test_the_checklist_is_chosen_by_the_households_tags(tree, gw):
    elder = make_household(tree.grid_a, tags=("elderly_alone",))
    child = make_household(tree.grid_a, resident_tags=("left_behind_child",))
    plain = make_household(tree.grid_a)
    codes = lambda h: [i.code for i in services.checklist_for(h.pk)]  # noqa: E731
    assert codes(elder) == [
        "elderly_health",
        "elderly_heating",
        "elderly_food",
        "elderly_medicine",
        "residents_check",
        "home_safety",
    ]
    assert codes(child) == ["child_guardian", "child_school", "residents_check", "home_safety"]
    assert codes(plain) == ["residents_check", "home_safety"]
    v, _ = services.visit_record(
        by=gw, household=elder, client_id="x", kind="care", checklist={"elderly_heating": "concern"}
    )
    assert v.checklist == {"elderly_heating": "concern"}
    with pytest.raises(InvalidInput) as exc:  # a child's question for an elderly household
        services.visit_record(by=gw, household=elder, client_id="y", checklist={"child_school": "ok"})
    assert exc.value.errors[0]["field"] == "checklist"
    with pytest.raises(InvalidInput):
        services.visit_record(by=gw, household=elder, client_id="z", checklist={"elderly_food": "maybe"})
    assert Visit.objects.count() == 1


@pytest.mark.django_db
def test_a_finding_becomes_a_case_in_one_tap_and_a_bad_one_writes_nothing(tree, gw):
    h = make_household(tree.grid_a)
    v, _ = services.visit_record(
        by=gw,
        household=h,
        client_id="f1",
        findings=[{"category": "SJ0101", "description": "楼道堆放杂物，堵塞消防通道"}],
    )
    case = v.findings.get()
    assert (case.channel, case.area_code, case.submitted_by_id) == ("patrol", tree.grid_a.code, gw.pk)
    assert case.state == "opened"  # a grid worker's own discovery is opened at once
    # A re-send does not make a second case.
    services.visit_record(
        by=gw, household=h, client_id="f1", findings=[{"category": "SJ0101", "description": "x"}]
    )
    assert Appeal.objects.count() == 1
    # A bad category: 422 naming the finding's field, and neither the visit nor a case is written.
    with pytest.raises(InvalidInput) as exc:
        services.visit_record(
            by=gw, household=h, client_id="f2", findings=[{"category": "NOPE", "description": "墙皮脱落"}]
        )
    assert exc.value.errors[0]["field"] == "findings.0.category"
    with pytest.raises(InvalidInput) as exc:
        services.visit_record(
            by=gw, household=h, client_id="f3", findings=[{"category": "SJ0101", "description": " "}]
        )
    assert exc.value.errors[0]["field"] == "findings.0.description"
    assert Visit.objects.count() == 1 and Appeal.objects.count() == 1


@pytest.mark.django_db
def test_bad_input_names_the_field(tree, gw):
    h = make_household(tree.grid_a)
    cases = [
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": "abc"}, "duration_minutes"),
        ({"visited_at": timezone.now() + dt.timedelta(hours=1)}, "visited_at"),
        ({"visited_at": timezone.now() - dt.timedelta(days=40)}, "visited_at"),
        ({"kind": "party"}, "kind"),
        ({"kind": "case"}, "appeal_id"),
        ({"kind": "case", "appeal_id": 999999}, "appeal_id"),
        ({"client_id": ""}, "client_id"),
        ({"accuracy_m": -1}, "accuracy_m"),
    ]
    for extra, field in cases:
        kwargs = {"client_id": "c", **extra}
        with pytest.raises(InvalidInput) as exc:
            services.visit_record(by=gw, household=h, **kwargs)
        assert exc.value.errors[0]["field"] == field, extra
    assert Visit.objects.count() == 0


@pytest.mark.django_db
def test_only_staff_in_scope_record_visits(tree, gw):
    h = make_household(tree.grid_b)
    with pytest.raises(Forbidden):
        services.visit_record(by=gw, household=h, client_id="c")
    with pytest.raises(Forbidden):
        services.visit_record(by=make_user(Role.VOLUNTEER), household=h, client_id="c")
    assert services.visit_record(
        by=make_user(Role.COMMUNITY_STAFF, tree.community), household=h, client_id="c"
    )[1]


@pytest.mark.django_db
def test_a_visit_completes_the_ready_period_and_plans_the_next(tree, gw):
    from wangge.visits import tasks

    h = make_household(tree.grid_a, tags=("empty_nest",))
    tasks.tick(timezone.now())
    ready = ScheduledVisit.objects.get(household=h, state="ready")
    v, _ = services.visit_record(by=gw, household=h, client_id="c")
    ready.refresh_from_db()
    assert (ready.state, ready.visit_id, ready.completed_on) == ("completed", v.pk, timezone.localdate())
    nxt = ScheduledVisit.objects.get(household=h, state="ready")
    assert nxt.due_on == timezone.localdate() + dt.timedelta(days=7)
