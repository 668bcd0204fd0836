from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from wangge.accounts.models import Unit
from wangge.accounts.roles import Role
from wangge.core.errors import Conflict, Forbidden, InvalidInput
from wangge.points.selectors import points_balance, points_ledger_sum
from wangge.testing import make_user
from wangge.volunteers import services, tasks
from wangge.volunteers.models import Activity, Signup

from .helpers import make_activity, quick_user

pytestmark = pytest.mark.django_db


def _statuses(activity: Activity) -> list[str]:
    return list(Signup.objects.filter(activity=activity).order_by("id").values_list("status", flat=True))


def test_waitlist_then_offer_on_cancellation_then_accept(tree) -> None:
    a = make_activity(tree.community, capacity=1)
    u1, u2, u3 = quick_user(), quick_user(), quick_user()
    s1, _ = services.signup_create(activity_id=a.pk, user=u1)
    s2, _ = services.signup_create(activity_id=a.pk, user=u2)
    s3, _ = services.signup_create(activity_id=a.pk, user=u3)
    assert (s1.status, s2.status, s3.status) == ("confirmed", "waitlisted", "waitlisted")
    again, created = services.signup_create(activity_id=a.pk, user=u2)
    assert not created and again.pk == s2.pk
    services.signup_cancel(signup_id=s1.pk, by=u1, reason="临时有事")
    assert _statuses(a) == ["cancelled", "offered", "waitlisted"]
    s2.refresh_from_db()
    assert s2.offer_expires_at is not None
    services.signup_accept_offer(signup_id=s2.pk, by=u2)
    a.refresh_from_db()
    assert _statuses(a) == ["cancelled", "confirmed", "waitlisted"] and a.confirmed_count == 1


def test_expired_offer_goes_to_the_next_in_line(tree) -> None:
    a = make_activity(tree.community, capacity=1, starts_in_h=48, offer_hours=2)
    users = [quick_user() for _ in range(3)]
    signups = [services.signup_create(activity_id=a.pk, user=u)[0] for u in users]
    services.signup_cancel(signup_id=signups[0].pk, by=users[0], reason="生病")
    result = tasks.tick(timezone.now() + dt.timedelta(hours=3))
    assert result["offers_expired"] == 1
    assert _statuses(a) == ["cancelled", "cancelled", "offered"]
    with pytest.raises(Conflict):
        services.signup_accept_offer(signup_id=signups[1].pk, by=users[1])


def test_promotion_stops_close_to_the_start(tree) -> None:
    a = make_activity(tree.community, capacity=1, starts_in_h=1, promotion_cutoff_hours=2)
    u1, u2 = quick_user(), quick_user()
    s1, _ = services.signup_create(activity_id=a.pk, user=u1)
    services.signup_create(activity_id=a.pk, user=u2)
    services.signup_cancel(signup_id=s1.pk, by=u1, reason="来不了")
    a.refresh_from_db()
    assert _statuses(a) == ["cancelled", "waitlisted"] and a.confirmed_count == 0
    # The freed place now goes to whoever asks first (the waitlisted member re-asking keeps their row).
    u3 = quick_user()
    s3, _ = services.signup_create(activity_id=a.pk, user=u3)
    assert s3.status == "confirmed"


def test_check_in_out_hours_rating_and_points(tree) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    a = make_activity(tree.community, capacity=2, by=staff, starts_in_h=-1, hours=3)
    # Sign-up closed once started: create the sign-up as if earlier.
    vol = quick_user()
    before = a.starts_at - dt.timedelta(hours=1)
    s, _ = services.signup_create(activity_id=a.pk, user=vol, now=before)
    with pytest.raises(InvalidInput):
        services.signup_check_in(
            activity_id=a.pk, user=vol, code="000000" if a.checkin_code != "000000" else "1"
        )
    services.signup_check_in(
        activity_id=a.pk, user=vol, code=a.checkin_code, now=a.starts_at + dt.timedelta(minutes=30)
    )
    services.rating_create(signup_id=s.pk, by=staff, score=5, comment="很认真")
    n = services.activity_bulk_check_out(activity_id=a.pk, by=staff, at=a.ends_at + dt.timedelta(hours=2))
    s.refresh_from_db()
    assert n == 1 and s.status == "checked_out" and float(s.hours) == 2.5  # counted only within the window
    with pytest.raises(InvalidInput):
        services.signup_approve_hours(signup_id=s.pk, by=staff, hours=4)
    services.signup_approve_hours(signup_id=s.pk, by=staff)
    s.refresh_from_db()
    assert s.points_awarded == 30  # 2.5 h × 10 × 1.2 (rated 5)
    assert points_balance(vol) == 30 == points_ledger_sum(vol)
    with pytest.raises(Conflict):
        services.signup_approve_hours(signup_id=s.pk, by=staff)


def test_only_checked_in_volunteers_can_be_rated_and_only_by_served_or_organiser(tree) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    a = make_activity(tree.community, capacity=2, by=staff)
    vol, stranger = quick_user(), quick_user()
    s, _ = services.signup_create(activity_id=a.pk, user=vol)
    with pytest.raises(Conflict):
        services.rating_create(signup_id=s.pk, by=staff, score=4)
    with pytest.raises(Forbidden):
        services.rating_create(signup_id=s.pk, by=stranger, score=4)


def test_no_shows_recorded_after_the_end(tree) -> None:
    a = make_activity(tree.community, capacity=2, starts_in_h=2, hours=1)
    u1, u2 = quick_user(), quick_user()
    services.signup_create(activity_id=a.pk, user=u1)
    services.signup_create(activity_id=a.pk, user=u2)
    services.signup_check_in(activity_id=a.pk, user=u2, code=a.checkin_code, now=a.starts_at)
    result = tasks.tick(a.ends_at + dt.timedelta(minutes=1))
    assert result["no_shows"] == 1
    assert _statuses(a) == ["no_show", "checked_out"]
    a.refresh_from_db()
    assert a.status == "closed"


def test_check_in_within_distance(tree) -> None:
    a = make_activity(
        tree.community, capacity=2, starts_in_h=0.2, lat=32.505, lng=120.405, checkin_radius_m=200
    )
    vol = quick_user()
    services.signup_create(activity_id=a.pk, user=vol)
    with pytest.raises(InvalidInput):
        services.signup_check_in(activity_id=a.pk, user=vol, code=a.checkin_code, lat=32.52, lng=120.405)
    s = services.signup_check_in(activity_id=a.pk, user=vol, code=a.checkin_code, lat=32.5051, lng=120.4051)
    assert s.status == "checked_in"


def test_eligibility_and_scope(tree) -> None:
    staff_other = make_user(Role.COMMUNITY_STAFF, tree.other_community)
    with pytest.raises(Forbidden):
        make_activity(tree.community, by=staff_other)
    a = make_activity(tree.community, eligible_kinds=["in_service_party"])
    vol = quick_user()
    with pytest.raises(Forbidden):
        services.signup_create(activity_id=a.pk, user=vol)
    services.member_update(user=vol, by=vol, kind="in_service_party")
    s, _ = services.signup_create(activity_id=a.pk, user=vol)
    assert s.status == "confirmed"


def test_double_report_and_unit_agreement(tree) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    unit = Unit.objects.create(name="供电公司", kind=Unit.Kind.CO_BUILDING)
    vol = quick_user()
    member = services.member_update(user=vol, by=vol, kind="in_service_party", unit=unit)
    # The unit confirms its member (self-declared units count for nothing).
    member = services.member_unit_confirm(member=member, by=make_user(Role.VOLUNTEER, unit=unit))
    r1 = services.community_report(member=member, community=tree.community, by=vol)
    r2 = services.community_report(member=member, community=tree.community, by=vol)
    assert r1.pk == r2.pk and r1.unit == unit
    ag = services.unit_agreement_sign(
        unit=unit, community=tree.community, by=staff, people=10, rooms="会议室"
    )
    assert ag.people == 10
    with pytest.raises(Conflict):
        services.unit_agreement_sign(unit=unit, community=tree.community, by=staff)
    post = services.service_post_create(community=tree.community, title="楼道长助理", places=1, by=staff)
    services.service_post_claim(post=post, by=vol)
    with pytest.raises(Conflict):
        services.service_post_claim(post=post, by=quick_user())


def test_micro_project_points_follow_the_rating_times_the_hours(tree) -> None:
    vol, resident = quick_user(), quick_user(Role.RESIDENT)
    p = services.micro_project_create(user=vol, title="义务理发", community=tree.community)
    b = services.booking_create(project=p, resident=resident, wanted_at=timezone.now() + dt.timedelta(days=1))
    services.booking_transition(booking_id=b.pk, by=vol, to="accepted")
    with pytest.raises(Forbidden):  # rating before it is done, by the wrong person: refused
        services.booking_rate(booking_id=b.pk, by=vol, score=5)
    with pytest.raises(Conflict):
        services.booking_rate(booking_id=b.pk, by=resident, score=5)
    with pytest.raises(InvalidInput):
        services.booking_transition(booking_id=b.pk, by=vol, to="done", hours=9)
    services.booking_transition(booking_id=b.pk, by=vol, to="done", hours=2)
    assert points_balance(vol) == 0  # paid when rated
    with pytest.raises(Conflict):
        services.booking_transition(booking_id=b.pk, by=vol, to="done")
    with pytest.raises(InvalidInput):
        services.booking_rate(booking_id=b.pk, by=resident, score=6)
    b = services.booking_rate(booking_id=b.pk, by=resident, score=5, comment="剪得好")
    # volunteer_hour: 10 points an hour × 2 hours × 1.2 (five stars) = 24
    assert (b.points_awarded, points_balance(vol)) == (24, 24)
    with pytest.raises(Conflict):
        services.booking_rate(booking_id=b.pk, by=resident, score=1)
    assert points_balance(vol) == 24


def test_a_low_rating_pays_less(tree) -> None:
    vol, resident = quick_user(), quick_user(Role.RESIDENT)
    p = services.micro_project_create(user=vol, title="手机使用辅导", community=tree.community)
    b = services.booking_create(project=p, resident=resident, wanted_at=timezone.now() + dt.timedelta(days=1))
    services.booking_transition(booking_id=b.pk, by=vol, to="accepted")
    services.booking_transition(booking_id=b.pk, by=vol, to="done", hours=1.5)
    services.booking_rate(booking_id=b.pk, by=resident, score=2)
    assert points_balance(vol) == 12  # 10 × 1.5 × 0.8


def test_offer_is_notified(tree) -> None:
    from wangge.notifications.models import Notification

    a = make_activity(tree.community, capacity=1)
    u1, u2 = quick_user(), quick_user()
    s1, _ = services.signup_create(activity_id=a.pk, user=u1)
    services.signup_create(activity_id=a.pk, user=u2)
    services.signup_cancel(signup_id=s1.pk, by=u1, reason="有事")
    assert Notification.objects.filter(user=u2, event="volunteers.offer").count() == 1


def test_community_sees_who_reported_from_which_unit_and_what_they_did(tree) -> None:
    from wangge.volunteers import selectors

    staff = make_user(Role.COMMUNITY_STAFF, tree.community)
    unit = Unit.objects.create(name="税务局", kind=Unit.Kind.CO_BUILDING)
    vol = quick_user()
    member = services.member_update(user=vol, by=vol, kind="in_service_party", unit=unit)
    services.community_report(member=member, community=tree.community, by=vol)
    services.member_unit_confirm(member=member, by=staff)  # the community confirms (the member reported here)
    a = make_activity(tree.grid_a, by=staff, starts_in_h=-2, hours=1)
    Signup.objects.create(activity=a, member=member, status="checked_out", hours="1.50")
    other = make_activity(tree.grid_c, starts_in_h=-2, hours=1)
    Signup.objects.create(activity=other, member=member, status="checked_out", hours="1.00")
    rows = selectors.report_list(viewer=staff)
    assert len(rows) == 1 and rows[0]["report"].unit == unit
    assert rows[0]["tasks"] == 1 and float(rows[0]["hours"]) == 1.5


def test_a_published_task_reaches_members_reported_to_the_community_whose_skills_fit(tree) -> None:
    from wangge.notifications.models import Notification

    medic, barber, elsewhere, unreported = quick_user(), quick_user(), quick_user(), quick_user()
    services.member_update(
        user=medic, by=medic, skills=["医疗", "急救"], home_community=tree.community, report_home=True
    )
    services.member_update(
        user=barber, by=barber, skills=["理发"], home_community=tree.community, report_home=True
    )
    services.member_update(
        user=elsewhere, by=elsewhere, skills=["医疗"], home_community=tree.other_community, report_home=True
    )
    services.member_update(user=unreported, by=unreported, skills=["医疗"])
    a = make_activity(tree.community, title="义诊", skills=["急救"])
    told = set(
        Notification.objects.filter(event="volunteers.published", object_id=str(a.pk)).values_list(
            "user_id", flat=True
        )
    )
    assert told == {medic.pk}
    b = make_activity(tree.community, title="清洁家园")  # no skills named: every reported member
    told = set(
        Notification.objects.filter(event="volunteers.published", object_id=str(b.pk)).values_list(
            "user_id", flat=True
        )
    )
    assert told == {medic.pk, barber.pk}
