"""Services: each state change, its permission, and 404 out of scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from wangge.accounts.roles import Role
from wangge.appeals.models import Appeal
from wangge.appeals.services import appeal_submit
from wangge.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from wangge.core.models import AuditLog
from wangge.notifications.models import Notification
from wangge.testing import make_user

from .. import selectors, services
from ..models import (
    Acknowledgment,
    AgendaItem,
    Attendance,
    Convention,
    Dispute,
    FollowUp,
    Meeting,
    Proposal,
    Resolution,
    Support,
)
from .helpers import soon

pytestmark = pytest.mark.django_db


def _meeting(world, council=None, hours: float = 1, **kw):
    council = council or world.grid_council
    by = kw.pop("by", world.grid_worker)
    return services.meeting_create(
        council=council, title="五月网格议事会", starts_at=soon(hours), place="网格党群服务站", by=by, **kw
    )


def _case(world):
    appeal, _ = appeal_submit(
        by=world.grid_worker,
        category="SQ0401",
        description="小区内犬只未拴绳，多次惊吓老人小孩",
        channel=Appeal.Channel.STAFF_ENTRY,
        area_code=world.tree.grid_a.code,
    )
    return appeal


# --- councils ---------------------------------------------------------------------------------------------


def test_staff_create_councils_only_in_scope(world) -> None:
    with pytest.raises(Forbidden):
        services.council_create(name="西园议事会", area=world.tree.grid_c, by=world.staff)
    with pytest.raises(Forbidden):
        services.council_create(name="x", area=world.tree.grid_a, by=world.residents_a[0])
    with pytest.raises(InvalidInput) as e:
        services.council_create(name=" ", area=world.tree.grid_b, by=world.staff)
    assert e.value.errors[0]["field"] == "name"
    with pytest.raises(InvalidInput) as e:
        services.council_create(name="x", area=world.tree.grid_b, proposal_threshold=0, by=world.staff)
    assert e.value.errors[0]["field"] == "proposal_threshold"


def test_member_added_once_and_only_by_staff(world) -> None:
    with pytest.raises(Conflict):
        services.council_member_add(council=world.grid_council, user=world.residents_a[0], by=world.staff)
    with pytest.raises(Forbidden):
        services.council_member_add(
            council=world.grid_council, user=world.residents_a[1], by=world.residents_a[1]
        )


def test_out_of_scope_council_is_404_and_residents_see_their_areas(world) -> None:
    with pytest.raises(NotFound):
        selectors.council_get(viewer=world.other_staff, pk=world.grid_council.pk)
    assert selectors.council_get(viewer=world.residents_a[2], pk=world.grid_council.pk) == world.grid_council
    # A resident of grid_b sees the community council but not grid_a's.
    with pytest.raises(NotFound):
        selectors.council_get(viewer=world.resident_b, pk=world.grid_council.pk)
    assert selectors.council_get(viewer=world.resident_b, pk=world.community_council.pk)
    assert list(selectors.council_list(viewer=world.resident_c)) == []


def test_threshold_set_by_convenor_not_by_member(world) -> None:
    services.council_set_threshold(council=world.grid_council, threshold=7, by=world.grid_worker)
    assert world.grid_council.__class__.objects.get(pk=world.grid_council.pk).proposal_threshold == 7
    with pytest.raises(Forbidden):
        services.council_set_threshold(council=world.grid_council, threshold=2, by=world.residents_a[0])


# --- meetings ---------------------------------------------------------------------------------------------


def test_meeting_create_checks_input_and_permission(world) -> None:
    with pytest.raises(Forbidden):
        _meeting(world, by=world.residents_a[0])
    with pytest.raises(InvalidInput) as e:
        services.meeting_create(
            council=world.grid_council, title="x", starts_at=soon(1), by=world.grid_worker
        )
    assert e.value.errors[0]["field"] == "place"
    with pytest.raises(InvalidInput) as e:
        services.meeting_create(
            council=world.grid_council, title="x", starts_at=soon(-48), place="a", by=world.grid_worker
        )
    assert e.value.errors[0]["field"] == "starts_at"


def test_agenda_from_a_case_the_convenor_can_see(world) -> None:
    m = _meeting(world)
    appeal = _case(world)
    item = services.agenda_add(meeting=m, title="", appeal_id=appeal.pk, by=world.grid_worker)
    assert item.source == AgendaItem.Source.CASE and item.appeal == appeal and "养犬" in item.title
    with pytest.raises(Conflict):
        services.agenda_add(meeting=m, title="", appeal_id=appeal.pk, by=world.grid_worker)
    # A case outside the convenor's sight is refused as if it did not exist.
    other = make_user(Role.COMMUNITY_STAFF, world.tree.other_community)
    c_council = services.council_create(name="西园议事会", area=world.tree.grid_c, by=other)
    m2 = services.meeting_create(council=c_council, title="西园", starts_at=soon(), place="站", by=other)
    with pytest.raises(InvalidInput) as e:
        services.agenda_add(meeting=m2, title="", appeal_id=appeal.pk, by=other)
    assert e.value.errors[0]["field"] == "appeal_id"


def test_notice_goes_to_every_member(world) -> None:
    m = _meeting(world)
    n = services.meeting_notify(meeting=m, by=world.grid_worker)
    assert n == 2
    assert Notification.objects.filter(event="deliberation.meeting_notice").count() == 2
    m.refresh_from_db()
    assert m.status == Meeting.Status.NOTICED and m.noticed_at
    with pytest.raises(Forbidden):
        services.meeting_notify(meeting=m, by=world.residents_a[0])


def test_sign_in_by_code_once_within_the_window(world) -> None:
    m = _meeting(world)
    member = world.residents_a[0]
    at = m.starts_at
    with pytest.raises(InvalidInput) as e:
        services.meeting_sign_in(meeting=m, by=member, code="", now=at)
    assert e.value.errors[0]["field"] == "code"
    wrong = "000000" if m.signin_code != "000000" else "111111"
    with pytest.raises(InvalidInput):
        services.meeting_sign_in(meeting=m, by=member, code=wrong, now=at)
    with pytest.raises(InvalidInput):  # too early
        services.meeting_sign_in(meeting=m, by=member, code=m.signin_code, now=at - dt.timedelta(hours=2))
    with pytest.raises(InvalidInput):  # too late
        services.meeting_sign_in(meeting=m, by=member, code=m.signin_code, now=at + dt.timedelta(hours=7))
    with pytest.raises(Forbidden):  # not a member
        services.meeting_sign_in(meeting=m, by=world.residents_a[1], code=m.signin_code, now=at)
    a = services.meeting_sign_in(meeting=m, by=member, code=m.signin_code, now=at)
    assert a.mode == Attendance.Mode.IN_PERSON
    with pytest.raises(Conflict):
        services.meeting_sign_in(meeting=m, by=member, code=m.signin_code, now=at)
    # Online only where the meeting has a link.
    with pytest.raises(InvalidInput) as e:
        services.meeting_sign_in(meeting=m, by=world.grid_worker, mode="online", now=at)
    assert e.value.errors[0]["field"] == "mode"
    m2 = _meeting(world, online_url="https://meet.example/abc")
    assert (
        services.meeting_sign_in(meeting=m2, by=world.grid_worker, mode="online", now=m2.starts_at).mode
        == "online"
    )


def test_minutes_make_the_meeting_held_and_cancel_only_before(world) -> None:
    m = _meeting(world)
    with pytest.raises(InvalidInput):
        services.meeting_record_minutes(meeting=m, minutes="纪要", by=world.grid_worker)  # not started yet
    Meeting.objects.filter(pk=m.pk).update(starts_at=timezone.now() - dt.timedelta(hours=1))
    m.refresh_from_db()
    with pytest.raises(InvalidInput):
        services.meeting_record_minutes(meeting=m, minutes="  ", by=world.grid_worker)
    services.meeting_record_minutes(meeting=m, minutes="到会9人，议定养犬公约。", by=world.grid_worker)
    m.refresh_from_db()
    assert m.status == Meeting.Status.HELD and m.held_at
    with pytest.raises(Conflict):
        services.meeting_cancel(meeting=m, reason="天气", by=world.grid_worker)
    m2 = _meeting(world)
    with pytest.raises(InvalidInput):
        services.meeting_cancel(meeting=m2, reason="", by=world.grid_worker)
    assert services.meeting_cancel(meeting=m2, reason="暴雨", by=world.grid_worker).status == "cancelled"


def test_out_of_scope_meeting_is_404(world) -> None:
    m = _meeting(world)
    with pytest.raises(NotFound):
        selectors.meeting_get(viewer=world.other_staff, pk=m.pk)
    with pytest.raises(NotFound):
        selectors.meeting_get(viewer=world.resident_c, pk=m.pk)
    assert selectors.meeting_get(viewer=world.residents_a[3], pk=m.pk) == m


# --- resolutions ------------------------------------------------------------------------------------------


def _resolution(world, text="集中建设电动车充电棚"):
    m = _meeting(world, council=world.community_council, by=world.staff)
    r = services.resolution_add(
        meeting=m, text=text, votes_for=9, votes_against=1, by=world.staff, now=m.starts_at
    )
    return m, r


def test_resolution_needs_a_started_meeting_and_text(world) -> None:
    m = _meeting(world)
    with pytest.raises(InvalidInput):
        services.resolution_add(meeting=m, text="x", by=world.grid_worker)
    with pytest.raises(InvalidInput):
        services.resolution_add(meeting=m, text=" ", by=world.grid_worker, now=m.starts_at)
    with pytest.raises(InvalidInput):
        services.resolution_add(meeting=m, text="x", votes_for=-1, by=world.grid_worker, now=m.starts_at)
    with pytest.raises(Forbidden):
        services.resolution_add(meeting=m, text="x", by=world.residents_a[0], now=m.starts_at)


def test_resolution_becomes_a_case_once_and_shows_its_progress(world) -> None:
    m, r = _resolution(world)
    appeal = services.resolution_to_case(resolution=r, category="SJ0101", by=world.staff)
    r.refresh_from_db()
    assert r.outcome == "case" and r.appeal == appeal
    assert appeal.channel == Appeal.Channel.STAFF_ENTRY and appeal.area_code == world.tree.community.code
    assert appeal.state == "opened"  # staff entry in scope opens at once
    pr = selectors.resolution_progress(selectors.resolution_list(meeting=m)[0])
    assert pr["kind"] == "case" and pr["state"] == "opened" and pr["state_display"] == "已立案"
    Appeal.objects.filter(pk=appeal.pk).update(state="resolved")
    assert selectors.resolution_progress(selectors.resolution_list(meeting=m)[0])["done"] is True
    with pytest.raises(Conflict):
        services.resolution_to_case(resolution=r, category="SJ0101", by=world.staff)
    with pytest.raises(Conflict):
        services.resolution_follow_up(
            resolution=r, owner=world.staff, due_on=timezone.localdate(), by=world.staff
        )
    assert Appeal.objects.count() == 1


def test_resolution_to_case_needs_a_valid_category_and_writes_nothing_otherwise(world) -> None:
    _m, r = _resolution(world)
    with pytest.raises(InvalidInput):
        services.resolution_to_case(resolution=r, category="nope", by=world.staff)
    r.refresh_from_db()
    assert r.outcome == "" and Appeal.objects.count() == 0


def test_resolution_to_case_is_for_staff_only(world) -> None:
    _m, r = _resolution(world)
    with pytest.raises(Forbidden):
        services.resolution_to_case(resolution=r, category="SJ0101", by=world.other_staff)


def test_resolution_becomes_a_volunteer_task(world) -> None:
    _m, r = _resolution(world, text="组织志愿者清理楼道杂物")
    start = soon(48)
    task = services.resolution_to_task(
        resolution=r, starts_at=start, ends_at=start + dt.timedelta(hours=2), capacity=6, by=world.staff
    )
    r = selectors.resolution_list(meeting=r.meeting)[0]
    assert r.activity == task and task.area == world.tree.community
    pr = selectors.resolution_progress(r)
    assert pr["kind"] == "task" and "0/6" in pr["state_display"]


def test_follow_up_with_owner_deadline_and_states(world) -> None:
    m, r = _resolution(world)
    owner = world.staff
    with pytest.raises(InvalidInput) as e:
        services.resolution_follow_up(resolution=r, owner=owner, due_on=None, by=world.staff)
    assert e.value.errors[0]["field"] == "due_on"
    due = timezone.localdate(m.starts_at) + dt.timedelta(days=14)
    f = services.resolution_follow_up(resolution=r, owner=owner, due_on=due, by=world.staff)
    assert Notification.objects.filter(event="deliberation.follow_up", user=owner).exists()
    with pytest.raises(Forbidden):
        services.follow_up_update(follow_up=f, state="done", by=world.residents_a[0])
    with pytest.raises(InvalidInput):
        services.follow_up_update(follow_up=f, state="dropped", by=owner)  # a reason is required
    services.follow_up_update(follow_up=f, state="in_progress", note="已联系供电公司", by=owner)
    f = services.follow_up_update(follow_up=f, state="done", note="充电棚建成", by=owner)
    assert f.state == "done" and f.done_at and "供电公司" in f.note
    with pytest.raises(Conflict):
        services.follow_up_update(follow_up=f, state="in_progress", by=owner)
    r = selectors.resolution_list(meeting=m)[0]
    pr = selectors.resolution_progress(r)
    assert pr["kind"] == "follow_up" and pr["done"] and pr["owner"] == str(owner)
    # Overdue when past the deadline and not done.
    FollowUp.objects.filter(pk=f.pk).update(state="open")
    r = selectors.resolution_list(meeting=m)[0]
    assert selectors.resolution_progress(r, today=due + dt.timedelta(days=1))["overdue"] is True


# --- proposals --------------------------------------------------------------------------------------------


def test_only_registered_residents_propose_and_input_is_checked(world) -> None:
    with pytest.raises(Forbidden):
        services.proposal_create(by=world.staff, title="x", body="一二三四五六七八九十", scope="grid")
    r = world.residents_a[1]
    with pytest.raises(InvalidInput) as e:
        services.proposal_create(by=r, title="", body="一二三四五六七八九十")
    assert e.value.errors[0]["field"] == "title"
    with pytest.raises(InvalidInput) as e:
        services.proposal_create(by=r, title="短", body="太短")
    assert e.value.errors[0]["field"] == "body"
    with pytest.raises(InvalidInput) as e:
        services.proposal_create(by=world.resident_c, title="x", body="一二三四五六七八九十", scope="grid")
    assert e.value.errors[0]["field"] == "scope"  # no council for grid_c
    assert Proposal.objects.count() == 0


def _proposal(world, scope="grid"):
    return services.proposal_create(
        by=world.residents_a[1],
        title="规范小区养犬",
        body="建议制定网格养犬公约，遛狗拴绳、及时清理粪便",
        scope=scope,
    )


def test_support_once_per_resident_of_the_area(world) -> None:
    p = _proposal(world)
    services.proposal_support(proposal=p, by=world.residents_a[0])
    with pytest.raises(Conflict):
        services.proposal_support(proposal=p, by=world.residents_a[0])
    with pytest.raises(Forbidden):  # lives in grid_b: not this grid's matter
        services.proposal_support(proposal=p, by=world.resident_b)
    with pytest.raises(Forbidden):
        services.proposal_support(proposal=p, by=world.staff)
    p.refresh_from_db()
    assert p.support_count == 1 == Support.objects.filter(proposal=p).count()


def test_threshold_puts_the_proposal_on_the_next_meeting_once(world) -> None:
    later = _meeting(world, hours=72)
    nxt = _meeting(world, hours=24)
    p = _proposal(world)
    crossed = [services.proposal_support(proposal=p, by=u)[1] for u in world.residents_a[:3]]
    assert crossed == [False, False, True]
    p.refresh_from_db()
    assert p.status == Proposal.Status.ON_AGENDA and p.reached_at and p.support_count == 3
    item = AgendaItem.objects.get(proposal=p)
    assert item.meeting == nxt and item.source == "proposal"
    assert not later.agenda.exists()
    assert Notification.objects.filter(
        event="deliberation.proposal_threshold", user=world.residents_a[1]
    ).exists()
    # A fourth support counts but does not place it again.
    _p, again = services.proposal_support(proposal=p, by=world.residents_a[3])
    assert again is False and AgendaItem.objects.filter(proposal=p).count() == 1


def test_without_a_meeting_the_proposal_waits_for_the_next_one_called(world) -> None:
    p = _proposal(world)
    for u in world.residents_a[:3]:
        services.proposal_support(proposal=p, by=u)
    p.refresh_from_db()
    assert p.status == Proposal.Status.QUEUED
    m = _meeting(world)
    assert AgendaItem.objects.get(proposal=p).meeting == m
    p.refresh_from_db()
    assert p.status == Proposal.Status.ON_AGENDA
    # Cancelling that meeting sends it back to wait for the next.
    services.meeting_cancel(meeting=m, reason="改期", by=world.grid_worker)
    p.refresh_from_db()
    assert p.status == Proposal.Status.QUEUED
    m2 = _meeting(world, hours=30)
    assert AgendaItem.objects.get(proposal=p).meeting == m2


def test_resolution_on_a_proposal_decides_it_and_ends_support(world) -> None:
    m = _meeting(world)
    p = _proposal(world)
    for u in world.residents_a[:3]:
        services.proposal_support(proposal=p, by=u)
    item = AgendaItem.objects.get(proposal=p)
    services.resolution_add(
        meeting=m, agenda_item=item, text="同意制定养犬公约", by=world.grid_worker, now=m.starts_at
    )
    p.refresh_from_db()
    assert p.status == Proposal.Status.DECIDED
    assert Notification.objects.filter(event="deliberation.proposal_decided", user=p.author).exists()
    with pytest.raises(Conflict):
        services.proposal_support(proposal=p, by=world.residents_a[3])


def test_withdraw_by_author_while_open(world) -> None:
    p = _proposal(world)
    with pytest.raises(Forbidden):
        services.proposal_withdraw(proposal=p, by=world.residents_a[0])
    assert services.proposal_withdraw(proposal=p, by=world.residents_a[1]).status == "withdrawn"
    with pytest.raises(Conflict):
        services.proposal_withdraw(proposal=p, by=world.residents_a[1])


def test_proposal_visibility(world) -> None:
    p = _proposal(world)
    with pytest.raises(NotFound):
        selectors.proposal_get(viewer=world.resident_b, pk=p.pk)
    with pytest.raises(NotFound):
        selectors.proposal_get(viewer=world.other_staff, pk=p.pk)
    assert selectors.proposal_get(viewer=world.staff, pk=p.pk) == p
    big = _proposal(world, scope="community")
    assert selectors.proposal_get(viewer=world.resident_b, pk=big.pk) == big
    assert [x.pk for x in selectors.proposal_list(viewer=world.resident_b)] == [big.pk]


# --- conventions ------------------------------------------------------------------------------------------

DOG = "一、遛犬须拴绳，牵引绳不超过1.5米；\n二、及时清理犬只粪便；\n三、大型犬、烈性犬不得饲养。"


def _convention(world):
    return services.convention_create(
        council=world.grid_council, title="网格养犬公约", text=DOG, by=world.grid_worker
    )


def test_convention_versions_adoption_and_publication(world) -> None:
    c = _convention(world)
    with pytest.raises(NotFound):  # a draft is not public
        selectors.convention_get(viewer=world.residents_a[1], pk=c.pk)
    v2 = services.convention_revise(
        convention=c, text=DOG + "\n四、犬只须办证并接种疫苗。", note="增加第四条", by=world.grid_worker
    )
    assert v2.number == 2
    with pytest.raises(InvalidInput) as e:
        services.convention_adopt(convention=c, by=world.grid_worker)
    assert e.value.errors[0]["field"] == "resolution"
    # A resolution of another council cannot adopt it.
    _m, foreign = _resolution(world)
    with pytest.raises(InvalidInput):
        services.convention_adopt(convention=c, resolution=foreign, by=world.grid_worker)
    m = _meeting(world)
    r = services.resolution_add(
        meeting=m, text="通过网格养犬公约", votes_for=11, by=world.grid_worker, now=m.starts_at
    )
    c = services.convention_adopt(convention=c, resolution=r, by=world.grid_worker)
    assert (
        c.status == "published" and c.adopted_version == v2 and c.adopted_by_resolution == r and c.adopted_at
    )
    with pytest.raises(Conflict):
        services.convention_revise(convention=c, text="改", by=world.grid_worker)
    with pytest.raises(Conflict):
        services.convention_adopt(convention=c, resolution=r, by=world.grid_worker)
    seen = selectors.convention_get(viewer=world.residents_a[1], pk=c.pk)
    assert "疫苗" in selectors.convention_text(seen)


def test_convention_adopted_by_a_vote_elsewhere(world) -> None:
    c = _convention(world)
    c = services.convention_adopt(convention=c, adopted_ref="voting.vote:12", by=world.grid_worker)
    assert c.adopted_ref == "voting.vote:12" and c.adopted_by_resolution is None


def test_acknowledge_once_by_residents_of_the_area(world) -> None:
    c = _convention(world)
    with pytest.raises(Conflict):
        services.convention_acknowledge(convention=c, by=world.residents_a[0])  # not published yet
    c = services.convention_adopt(convention=c, adopted_ref="grid council 2025-05", by=world.grid_worker)
    ack = services.convention_acknowledge(convention=c, by=world.residents_a[0])
    assert ack.version == c.adopted_version
    with pytest.raises(Conflict):
        services.convention_acknowledge(convention=c, by=world.residents_a[0])
    with pytest.raises(Forbidden):
        services.convention_acknowledge(convention=c, by=world.resident_b)
    assert Acknowledgment.objects.count() == 1
    assert selectors.convention_get(viewer=world.residents_a[0], pk=c.pk).acknowledged is True


def test_convention_create_permission_and_area(world) -> None:
    with pytest.raises(Forbidden):
        services.convention_create(council=world.grid_council, title="x", text="y", by=world.residents_a[0])
    with pytest.raises(InvalidInput):
        services.convention_create(
            council=world.grid_council, title="x", text="y", area=world.tree.grid_b, by=world.grid_worker
        )
    assert Convention.objects.count() == 0


# --- mediation --------------------------------------------------------------------------------------------

PARTIES = [
    {"name": "赵建国", "phone": "13912345678", "side": "applicant"},
    {"name": "钱立新", "phone": "13887654321", "side": "respondent"},
]


def _dispute(world, **kw):
    kw.setdefault("kind", "neighbour")
    return services.dispute_open(
        area=world.tree.grid_a, matter="楼上漏水殃及楼下", parties=PARTIES, by=world.grid_worker, **kw
    )


def test_dispute_open_checks_scope_parties_and_phone(world) -> None:
    with pytest.raises(Forbidden):
        services.dispute_open(
            area=world.tree.grid_c, kind="neighbour", matter="x", parties=PARTIES, by=world.staff
        )
    with pytest.raises(InvalidInput) as e:
        services.dispute_open(
            area=world.tree.grid_a, kind="neighbour", matter="x", parties=PARTIES[:1], by=world.staff
        )
    assert e.value.errors[0]["field"] == "parties"
    bad = [PARTIES[0], {**PARTIES[1], "phone": "12345"}]
    with pytest.raises(InvalidInput) as e:
        services.dispute_open(
            area=world.tree.grid_a, kind="neighbour", matter="x", parties=bad, by=world.staff
        )
    assert e.value.errors[0]["field"] == "parties.1.phone"
    with pytest.raises(InvalidInput) as e:
        services.dispute_open(
            area=world.tree.community, kind="neighbour", matter="x", parties=PARTIES, by=world.staff
        )
    assert e.value.errors[0]["field"] == "area"
    assert Dispute.objects.count() == 0


def test_phone_is_encrypted_at_rest(world) -> None:
    from django.db import connection

    d = _dispute(world)
    with connection.cursor() as cur:
        cur.execute("SELECT phone FROM deliberation_party WHERE dispute_id = %s", [d.pk])
        stored = [row[0] for row in cur.fetchall()]
    assert stored and all("139" not in s and "138" not in s for s in stored)
    assert sorted(p.phone for p in d.parties.all()) == ["13887654321", "13912345678"]


def test_mediation_flow_sessions_agreement_and_visit(world) -> None:
    d = _dispute(world)
    elder = make_user(Role.VOLUNTEER, display_name="陈评理")
    services.mediator_add(dispute=d, kind="elder_arbiter", user=elder, lead=True, by=world.grid_worker)
    # The mediator now reaches the dispute and records sessions on it.
    assert selectors.dispute_get(viewer=elder, pk=d.pk) == d
    with pytest.raises(InvalidInput):  # an agreement needs a session first
        services.dispute_close(dispute=d, outcome="agreement", terms="赔偿", by=elder)
    services.session_record(dispute=d, notes="双方到场，查明漏水点为楼上卫生间防水层", by=elder)
    d.refresh_from_db()
    assert d.status == "mediating"
    with pytest.raises(InvalidInput) as e:
        services.dispute_close(dispute=d, outcome="agreement", terms="", by=elder)
    assert e.value.errors[0]["field"] == "terms"
    with pytest.raises(Conflict):
        services.visit_record(dispute=d, note="x", by=elder)  # not closed yet
    d = services.dispute_close(
        dispute=d, outcome="agreement", terms="楼上一周内修复防水，赔偿楼下800元", by=elder
    )
    assert d.status == "closed" and d.closed_at
    with pytest.raises(Conflict):
        services.session_record(dispute=d, notes="再谈", by=elder)
    v = services.visit_record(dispute=d, note="已修复并付款，邻里和好", by=elder)
    assert v.kept is True
    # Someone else is neither mediator nor staff in scope.
    with pytest.raises(Forbidden):
        services.visit_record(dispute=d, note="x", by=world.other_staff)


def test_referral_needs_a_destination(world) -> None:
    d = _dispute(world, kind="company")
    with pytest.raises(InvalidInput) as e:
        services.dispute_close(dispute=d, outcome="referred_court", by=world.grid_worker)
    assert e.value.errors[0]["field"] == "referred_to"
    d = services.dispute_close(
        dispute=d, outcome="referred_court", referred_to="海安市人民法院", by=world.grid_worker
    )
    assert d.outcome == "referred_court"


def test_dispute_out_of_scope_is_404(world) -> None:
    d = _dispute(world)
    with pytest.raises(NotFound):
        selectors.dispute_get(viewer=world.other_staff, pk=d.pk)
    with pytest.raises(NotFound):
        selectors.dispute_get(viewer=world.residents_a[0], pk=d.pk)


def test_reveal_is_audited_and_limited(world) -> None:
    d = _dispute(world)
    party = d.parties.get(side="applicant")
    assert services.party_reveal(party=party, by=world.grid_worker) == {
        "name": "赵建国",
        "phone": "13912345678",
    }
    assert AuditLog.objects.filter(action="reveal", object_id=str(party.pk)).count() == 1
    with pytest.raises(Forbidden):
        services.party_reveal(party=party, by=world.other_staff)


def test_resolution_outcome_constraint_holds_in_the_database(world) -> None:
    from django.db import IntegrityError, transaction

    _m, r = _resolution(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        Resolution.objects.filter(pk=r.pk).update(outcome="follow_up", appeal=_case(world))
