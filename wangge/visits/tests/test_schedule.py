"""The schedule decided by the server (MUST-SHOW: tags decide the due date, untagging moves it, moving out
cancels it), the clock's missed visits and flags, and bad rows skipped and reported."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from wangge.accounts.models import Post
from wangge.accounts.roles import Role
from wangge.accounts.services import post_assign
from wangge.notifications.models import Notification
from wangge.registry import services as registry_services
from wangge.registry.models import Household, Tag
from wangge.testing import make_user
from wangge.visits import services, tasks
from wangge.visits.models import ScheduledVisit
from wangge.visits.tests.factories import make_household

Ready = ScheduledVisit.State.READY


def _ready(household) -> ScheduledVisit:
    return ScheduledVisit.objects.get(household=household, state=Ready)


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def gw(tree):
    return make_user(Role.GRID_WORKER, tree.grid_a)


@pytest.mark.django_db
def test_weekly_and_monthly_tags_due_seven_days_after_last_visit_untagging_moves_it_by_default(tree, gw):
    Tag.objects.filter(code="low_income").update(visit_every_days=30)  # 低保 monthly in this district
    household = make_household(tree.grid_a, tags=("elderly_alone", "low_income"))
    tasks.tick(timezone.now())  # never visited: due today
    first = _ready(household)
    last = timezone.localdate() - dt.timedelta(days=2)
    services.visit_record(by=gw, household=household, client_id="v1", visited_at=_at(last))
    first.refresh_from_db()
    assert (first.state, first.completed_on) == ("completed", last)

    ready = _ready(household)
    assert (ready.due_on, ready.every_days, ready.special) == (last + dt.timedelta(days=7), 7, True)
    assert ready.closes_on == last + dt.timedelta(days=7 + 3)

    # Untag 独居老人: the monthly 低保 decides.
    registry_services.tags_set(codes=["low_income"], household=household, by=gw)
    services.visit_schedule_refresh(household)
    assert _ready(household).due_on == last + dt.timedelta(days=30)

    # Untag everything: the default (90 days) decides; the same row moved, no second ready row.
    registry_services.tags_set(codes=[], household=household, by=gw)
    services.visit_schedule_refresh(household)
    ready = _ready(household)
    assert (ready.due_on, ready.every_days, ready.special) == (last + dt.timedelta(days=90), 90, False)
    assert ScheduledVisit.objects.filter(household=household).count() == 2  # the completed one + this


@pytest.mark.django_db
def test_a_residents_tag_counts_for_the_household_and_the_default_is_a_setting(tree, gw, settings):
    settings.WANGGE_VISIT_DEFAULT_DAYS = 60
    plain = make_household(tree.grid_a)
    child = make_household(tree.grid_a, resident_tags=("left_behind_child",))
    last = timezone.localdate() - dt.timedelta(days=1)
    for h in (plain, child):
        services.visit_record(by=gw, household=h, client_id=f"c{h.pk}", visited_at=_at(last))
    assert _ready(plain).due_on == last + dt.timedelta(days=60)
    assert _ready(child).due_on == last + dt.timedelta(days=7)


@pytest.mark.django_db
def test_moving_out_cancels_the_pending_visit(tree, gw):
    household = make_household(tree.grid_a, tags=("elderly_alone",))
    services.visit_record(by=gw, household=household, client_id="v1", visited_at=timezone.now())
    pending = _ready(household)

    registry_services.household_update(household=household, active=False, by=gw)  # 搬离: no longer 在住
    assert services.visit_schedule_refresh(household) is None
    pending.refresh_from_db()
    assert (pending.state, pending.cancel_reason) == ("cancelled", "moved_out")
    assert not ScheduledVisit.objects.filter(household=household, state=Ready).exists()
    # The clock does not bring it back.
    tasks.tick(timezone.now() + dt.timedelta(days=1))
    assert not ScheduledVisit.objects.filter(household=household, state=Ready).exists()


@pytest.mark.django_db
def test_the_clock_cancels_a_moved_out_households_visit_without_being_told(tree, gw):
    household = make_household(tree.grid_a)
    tasks.tick(timezone.now())
    pending = _ready(household)
    registry_services.household_update(household=household, active=False, by=gw)
    assert tasks.tick(timezone.now())["cancelled_moved_out"] == 1
    pending.refresh_from_db()
    assert pending.cancel_reason == "moved_out"


@pytest.mark.django_db
def test_cancel_pending_in_hospital_plans_the_next_period_from_the_cancelled_due_date(tree, gw):
    household = make_household(tree.grid_a, tags=("elderly_alone",))
    last = timezone.localdate() - dt.timedelta(days=1)
    services.visit_record(by=gw, household=household, client_id="v1", visited_at=_at(last))
    due = _ready(household).due_on  # last + 7
    cancelled = services.visit_cancel_pending(household, "in_hospital", "住院两周")
    assert (cancelled.state, cancelled.cancel_reason, cancelled.due_on) == ("cancelled", "in_hospital", due)
    assert _ready(household).due_on == due + dt.timedelta(days=7)
    # Deceased stops the schedule; a reason "other" needs a note.
    from wangge.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as exc:
        services.visit_cancel_pending(household, "other", "")
    assert exc.value.errors[0]["field"] == "note"
    with pytest.raises(InvalidInput):
        services.visit_cancel_pending(household, "gone", "")
    services.visit_cancel_pending(household, "deceased")
    assert not ScheduledVisit.objects.filter(household=household, state=Ready).exists()
    assert tasks.tick(timezone.now())["scheduled"] == 0


@pytest.mark.django_db
def test_the_clock_marks_missed_flags_the_grid_head_once_and_a_visit_resolves_it(tree, gw):
    head = make_user(Role.GRID_WORKER, username="wanggezhang")
    post_assign(user=head, area=tree.grid_a, kind=Post.Kind.GRID_HEAD, by=None)
    household = make_household(tree.grid_a, tags=("elderly_alone",))
    d0 = timezone.localdate() - dt.timedelta(days=20)
    Household.objects.filter(pk=household.pk).update(created_at=_at(d0, 9))  # entered the registry on d0
    tasks.tick(_at(d0))
    assert (_ready(household).due_on, _ready(household).closes_on) == (d0, d0 + dt.timedelta(days=3))
    assert tasks.tick(_at(d0 + dt.timedelta(days=3)))["missed"] == 0  # the window's last day
    result = tasks.tick(_at(d0 + dt.timedelta(days=4)))
    assert result["missed"] == 1
    missed = ScheduledVisit.objects.get(household=household, state="missed")
    assert missed.due_on == d0
    flags = Notification.objects.filter(user=head, event="visits.missed")
    assert flags.count() == 1 and "1户" in flags.get().body
    assert not Notification.objects.filter(user=gw, event="visits.missed").exists()
    # The next period is due a week after the missed one; the clock again flags nothing new.
    assert _ready(household).due_on == d0 + dt.timedelta(days=7)
    tasks.tick(_at(d0 + dt.timedelta(days=4), 18))
    assert flags.count() == 1
    # A visit makes the flag good.
    services.visit_record(by=gw, household=household, client_id="v2")
    missed.refresh_from_db()
    assert missed.resolved_at is not None


@pytest.mark.django_db
def test_a_household_far_behind_is_due_today_not_a_cascade_of_misses(tree):
    household = make_household(tree.grid_a)
    tasks.tick(timezone.now())
    assert _ready(household).due_on == timezone.localdate()  # never visited: due at once
    later = timezone.now() + dt.timedelta(days=200)
    assert tasks.tick(later)["missed"] == 1
    assert _ready(household).due_on == timezone.localdate(later)
    assert tasks.tick(later)["missed"] == 0


@pytest.mark.django_db
def test_the_clock_skips_and_reports_bad_rows_and_schedules_the_others(tree):
    Tag.objects.filter(code="veteran").update(visit_every_days=0)  # bad configuration
    bad = make_household(tree.grid_a, resident_tags=("veteran",))
    good = make_household(tree.grid_a)
    result = tasks.tick(timezone.now())
    assert result["scheduled"] == 1
    assert [r["household"] for r in result["skipped"]] == [bad.pk]
    assert _ready(good)
    assert not ScheduledVisit.objects.filter(household=bad).exists()


@pytest.mark.django_db
def test_tick_is_a_registered_periodic_step(tree):
    from wangge.core.periodic import run_all

    make_household(tree.grid_a)
    out = run_all(timezone.now())
    assert out["wangge.visits.tasks"]["scheduled"] == 1
