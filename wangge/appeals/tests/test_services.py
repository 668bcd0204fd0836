"""The steps of the loop as services on fixed clocks: returns, rework, rating reopen, whistle and report-in,
merge and duplicates, holds and extensions, and the periodic job (warnings, escalation, auto-close)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from wangge.appeals import services as s
from wangge.appeals.models import Appeal, AppealEvent, Assignment, Rating, State, TimeRequest
from wangge.appeals.selectors import can_view, probable_duplicates
from wangge.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from wangge.notifications.models import Notification
from wangge.workdays.calendar import add_working_time, working_hours_between

from .conftest import MONDAY, World, submit_kwargs

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


def opened(world: World, now: dt.datetime = MONDAY, by: Any = None, **kw: Any) -> Appeal:
    appeal, created = s.appeal_submit(by=by or world.resident, now=now - H, **submit_kwargs(world, **kw))
    assert created
    return s.appeal_accept(appeal_id=appeal.pk, by=world.community, now=now - H / 2)


def dispatched(world: World, now: dt.datetime = MONDAY, **kw: Any) -> Appeal:
    appeal = opened(world, now, **kw)
    return s.appeal_dispatch(
        appeal_id=appeal.pk, by=world.community, lead_unit_id=world.property_co.pk, now=now
    )


def events(appeal: Appeal) -> list[str]:
    return list(AppealEvent.objects.filter(appeal=appeal).order_by("at", "id").values_list("kind", flat=True))


def test_dispatch_deadlines_come_from_the_category_in_working_time(world: World) -> None:
    lamp = dispatched(world)  # corridor lamp: response 2 clock hours, resolution 8 clock hours
    assert lamp.response_due_at == MONDAY + 2 * H
    assert lamp.resolve_due_at == MONDAY + 8 * H
    rubbish = s.appeal_dispatch(
        appeal_id=opened(world, category="SJ0101").pk,
        by=world.community,
        lead_user_id=world.grid_worker.pk,
        now=MONDAY,
    )
    assert rubbish.resolve_due_at == add_working_time(MONDAY, 4, "working_hours")
    construction = s.appeal_dispatch(
        appeal_id=opened(world, category="SJ0301").pk,
        by=world.community,
        lead_unit_id=world.department.pk,
        now=MONDAY,
    )
    assert construction.resolve_due_at == add_working_time(MONDAY, 15, "working_days")
    assert construction.resolve_due_at > MONDAY + dt.timedelta(days=20)  # 15 working days span three weekends


def test_return_goes_back_to_the_dispatcher_with_the_reason(world: World) -> None:
    appeal = opened(world)
    s.appeal_dispatch(appeal_id=appeal.pk, by=world.community, lead_unit_id=world.department.pk, now=MONDAY)
    with pytest.raises(InvalidInput):
        s.appeal_return(appeal_id=appeal.pk, by=world.department_staff, reason="  ", now=MONDAY + H)
    with pytest.raises(NotFound):  # the property company is not involved yet: it cannot even see the case
        s.appeal_return(appeal_id=appeal.pk, by=world.property_staff, reason="x", now=MONDAY + H)
    back = s.appeal_return(
        appeal_id=appeal.pk, by=world.department_staff, reason="属物业管辖", now=MONDAY + H
    )
    assert back.state == State.OPENED and back.return_count == 1 and back.lead_unit is None
    assert not Assignment.objects.filter(appeal=appeal, active=True).exists()
    assert Notification.objects.filter(user=world.grid_worker, event="appeal.returned").exists() or (
        Notification.objects.filter(user=world.community, event="appeal.returned").exists()
    )
    again = s.appeal_dispatch(
        appeal_id=appeal.pk, by=world.community, lead_unit_id=world.property_co.pk, now=MONDAY + 2 * H
    )
    assert again.state == State.DISPATCHED
    assert again.resolve_due_at == MONDAY + 8 * H  # the resolution clock started at the first dispatch
    assert again.response_due_at == MONDAY + 4 * H  # the new unit gets its own response time
    assert events(appeal)[-3:] == ["dispatched", "returned", "dispatched"]


def test_dissatisfied_reopens_once_then_closes(world: World) -> None:
    appeal = dispatched(world)
    for round_ in range(2):
        s.appeal_acknowledge(appeal_id=appeal.pk, by=world.property_staff, now=MONDAY + H)
        s.appeal_resolve(appeal_id=appeal.pk, by=world.property_staff, note="换了灯泡", now=MONDAY + 2 * H)
        rated = s.appeal_rate(
            appeal_id=appeal.pk,
            by=world.resident,
            satisfaction="dissatisfied",
            solved=False,
            now=MONDAY + 3 * H,
        )
        if round_ == 0:
            assert rated.state == State.DISPATCHED and rated.rework_count == 1 and rated.rating == ""
    assert rated.state == State.CLOSED and rated.rating == "dissatisfied" and rated.solved is False
    assert Rating.objects.filter(appeal=appeal).count() == 2
    assert events(appeal).count("reopened") == 1


def test_dissatisfied_reopen_is_configurable(world: World, settings: Any) -> None:
    settings.WANGGE_APPEALS_DISSATISFIED_REOPENS = 0
    appeal = dispatched(world)
    s.appeal_acknowledge(appeal_id=appeal.pk, by=world.property_staff, now=MONDAY + H)
    s.appeal_resolve(appeal_id=appeal.pk, by=world.property_staff, note="done", now=MONDAY + 2 * H)
    rated = s.appeal_rate(
        appeal_id=appeal.pk, by=world.resident, satisfaction="dissatisfied", solved=False, now=MONDAY + 3 * H
    )
    assert rated.state == State.CLOSED


def test_only_the_reporter_rates_and_only_once(world: World) -> None:
    appeal = dispatched(world)
    s.appeal_acknowledge(appeal_id=appeal.pk, by=world.property_staff, now=MONDAY + H)
    s.appeal_resolve(appeal_id=appeal.pk, by=world.property_staff, note="done", now=MONDAY + 2 * H)
    with pytest.raises(NotFound):
        s.appeal_rate(appeal_id=appeal.pk, by=world.resident2, satisfaction="satisfied", solved=True)
    with pytest.raises(Forbidden):
        s.appeal_rate(appeal_id=appeal.pk, by=world.property_staff, satisfaction="satisfied", solved=True)
    s.appeal_rate(appeal_id=appeal.pk, by=world.resident, satisfaction="satisfied", solved=True)
    with pytest.raises(Conflict):
        s.appeal_rate(appeal_id=appeal.pk, by=world.resident, satisfaction="satisfied", solved=True)


def test_reopen_after_close_counts_as_rework(world: World) -> None:
    appeal = dispatched(world)
    s.appeal_acknowledge(appeal_id=appeal.pk, by=world.property_staff, now=MONDAY + H)
    s.appeal_resolve(appeal_id=appeal.pk, by=world.property_staff, note="done", now=MONDAY + 2 * H)
    s.appeal_rate(
        appeal_id=appeal.pk, by=world.resident, satisfaction="satisfied", solved=True, now=MONDAY + 3 * H
    )
    again = s.appeal_reopen(appeal_id=appeal.pk, by=world.resident, reason="灯又坏了", now=MONDAY + 5 * H)
    assert again.state == State.DISPATCHED and again.rework_count == 1 and again.closed_at is None
    with pytest.raises(Conflict):
        s.appeal_reopen(appeal_id=appeal.pk, by=world.resident, reason="again", now=MONDAY + 6 * H)


def test_whistle_summons_departments_and_the_next_level_who_report_in_as_co_handlers(world: World) -> None:
    appeal = dispatched(world, category="SQ0301")  # charging: a community-level matter
    assert appeal.handling_level == "community"
    assert not can_view(world.department_staff, appeal)
    with pytest.raises(InvalidInput):
        s.appeal_whistle(appeal_id=appeal.pk, by=world.community, reason="需要部门", now=MONDAY + H)
    w = s.appeal_whistle(
        appeal_id=appeal.pk,
        by=world.community,
        reason="充电桩需要住建和供电到场",
        unit_ids=[world.department.pk, world.other_department.pk],
        next_level=True,
        now=MONDAY + H,
    )
    assert w.report_ins.count() == 3
    assert {r.area.code for r in w.report_ins.filter(area__isnull=False)} == {world.tree.street.code}
    assert Notification.objects.filter(user=world.department_staff, event="appeal.whistled").exists()
    assert Notification.objects.filter(user=world.street, event="appeal.whistled").exists()
    assert can_view(world.department_staff, appeal)  # summoned: may read before reporting in
    with pytest.raises(NotFound):
        s.appeal_report_in(appeal_id=appeal.pk, by=world.resident2, now=MONDAY + 2 * H)
    s.appeal_report_in(appeal_id=appeal.pk, by=world.department_staff, note="已到场", now=MONDAY + 2 * H)
    with pytest.raises(Conflict):
        s.appeal_report_in(appeal_id=appeal.pk, by=world.department_staff, now=MONDAY + 2 * H)
    s.appeal_report_in(appeal_id=appeal.pk, by=world.street, now=MONDAY + 2 * H)
    co = Assignment.objects.filter(appeal=appeal, role="co", active=True, via="whistle")
    assert {(a.unit_id, a.area_id) for a in co} == {(world.department.pk, None), (None, world.tree.street.pk)}
    assert s.is_handler(world.department_staff, appeal) and not s.is_lead(world.department_staff, appeal)
    # The water bureau never reports in: the periodic job flags it once.
    late = w.report_ins.get(unit=world.other_department).due_at + H
    assert s.appeals_tick(late)["report_in_late"] == 1
    assert s.appeals_tick(late + H)["report_in_late"] == 0
    assert events(appeal).count("reported_in") == 2


def test_probable_duplicates_and_merge_share_the_outcome(world: World) -> None:
    first = opened(world)
    near = s.appeal_submit(by=world.resident2, now=MONDAY, **submit_kwargs(world, lat=32.5052, lng=120.405))[
        0
    ]
    far = s.appeal_submit(by=world.resident2, now=MONDAY, **submit_kwargs(world, lat=32.506, lng=120.405))[0]
    other_cat = s.appeal_submit(
        by=world.resident2, now=MONDAY, **submit_kwargs(world, category="SQ0501", lat=32.5051, lng=120.405)
    )[0]
    old = s.appeal_submit(
        by=world.resident2,
        now=MONDAY - dt.timedelta(days=4),
        **submit_kwargs(world, lat=32.5051, lng=120.405),
    )[0]
    dups = probable_duplicates(viewer=world.community, appeal=near)
    assert [d.pk for d in dups] == [first.pk]
    assert far.pk not in [d.pk for d in dups] and other_cat.pk not in [d.pk for d in dups]
    assert old.pk not in [d.pk for d in dups]
    with pytest.raises(InvalidInput):
        s.appeal_merge(appeal_id=other_cat.pk, into_id=first.pk, by=world.community)
    merged = s.appeal_merge(appeal_id=near.pk, into_id=first.pk, by=world.community, now=MONDAY)
    assert merged.state == State.MERGED and merged.merged_into_id == first.pk
    assert Notification.objects.filter(user=world.resident2, event="appeal.merged").exists()
    s.appeal_dispatch(appeal_id=first.pk, by=world.community, lead_unit_id=world.property_co.pk, now=MONDAY)
    s.appeal_acknowledge(appeal_id=first.pk, by=world.property_staff, now=MONDAY + H)
    s.appeal_resolve(appeal_id=first.pk, by=world.property_staff, note="修好了", now=MONDAY + 2 * H)
    for user in (world.resident, world.resident2):  # every reporter is told the outcome
        assert Notification.objects.filter(user=user, event="appeal.resolved").exists()


def test_extension_needs_a_supervisor_and_moves_the_deadline(world: World) -> None:
    appeal = dispatched(world)
    s.appeal_acknowledge(appeal_id=appeal.pk, by=world.property_staff, now=MONDAY + H)
    with pytest.raises(InvalidInput):
        s.appeal_extend(appeal_id=appeal.pk, by=world.property_staff, reason="缺配件", now=MONDAY + H)
    s.appeal_extend(
        appeal_id=appeal.pk,
        by=world.property_staff,
        amount=1,
        unit="working_days",
        reason="缺配件",
        now=MONDAY + H,
    )
    with pytest.raises(Conflict):
        s.appeal_extend(
            appeal_id=appeal.pk,
            by=world.property_staff,
            amount=2,
            unit="working_days",
            reason="x",
            now=MONDAY + H,
        )
    with pytest.raises(Forbidden):  # grid workers may not approve (no supervise permission)
        s.appeal_extend(appeal_id=appeal.pk, by=world.grid_worker, action="approve", now=MONDAY + H)
    done = s.appeal_extend(appeal_id=appeal.pk, by=world.community, action="approve", now=MONDAY + 2 * H)
    assert done.extended and done.resolve_due_at == add_working_time(MONDAY + 8 * H, 1, "working_days")
    assert TimeRequest.objects.get(appeal=appeal).status == "approved"
    assert "extended" in events(appeal)


def test_hold_pauses_the_clock_and_resume_moves_the_deadline(world: World) -> None:
    appeal = dispatched(world, category="SJ0101")  # 4 working hours, handled by the lead unit here
    s.appeal_acknowledge(appeal_id=appeal.pk, by=world.property_staff, now=MONDAY + H / 2)
    due = Appeal.objects.get(pk=appeal.pk).resolve_due_at
    s.appeal_hold(appeal_id=appeal.pk, by=world.property_staff, reason="等待业主", now=MONDAY + H)
    held = s.appeal_hold(appeal_id=appeal.pk, by=world.community, action="approve", now=MONDAY + H)
    assert held.on_hold and held.held
    # While on hold, a passed deadline neither warns nor escalates.
    assert s.appeals_tick(due + 3 * H) == {"warned": 0, "escalated": 0, "report_in_late": 0, "auto_closed": 0}
    resume_at = due + 3 * H
    resumed = s.appeal_hold(appeal_id=appeal.pk, by=world.community, action="resume", now=resume_at)
    paused = working_hours_between(MONDAY + H, resume_at)
    assert not resumed.on_hold
    assert resumed.resolve_due_at == add_working_time(due, paused, "working_hours")
    assert events(appeal)[-3:] == ["hold_requested", "hold", "resumed"]


def test_overdue_case_warns_and_escalates_with_no_human_action(world: World) -> None:
    appeal = dispatched(world)  # response due 11:00, resolution due 17:00
    assert s.appeals_tick(MONDAY + H)["warned"] == 0
    assert s.appeals_tick(MONDAY + H + 45 * dt.timedelta(minutes=1))["warned"] == 1  # 10:45: response soon
    assert s.appeals_tick(MONDAY + H + 50 * dt.timedelta(minutes=1))["warned"] == 0  # once per deadline
    r = s.appeals_tick(MONDAY + 2 * H + dt.timedelta(minutes=30))  # 11:30: response passed
    assert r["escalated"] == 1
    a = Appeal.objects.get(pk=appeal.pk)
    assert (a.handling_level, a.supervision_level, a.response_overdue) == ("community", "yellow", True)
    assert s.appeals_tick(MONDAY + 3 * H)["escalated"] == 0  # never twice for the same deadline
    s.appeal_acknowledge(appeal_id=appeal.pk, by=world.property_staff, now=MONDAY + 3 * H)
    assert s.appeals_tick(MONDAY + 6 * H + dt.timedelta(minutes=30))["warned"] == 1  # 15:30: resolution soon
    r = s.appeals_tick(MONDAY + 8 * H + dt.timedelta(minutes=1))  # 17:01: resolution passed
    assert r["escalated"] == 1
    a = Appeal.objects.get(pk=appeal.pk)
    assert (a.handling_level, a.supervision_level, a.overdue, a.escalation_level) == (
        "street",
        "red",
        True,
        2,
    )
    assert s.appeals_tick(MONDAY + 10 * H)["escalated"] == 0
    assert events(appeal).count("escalated") == 2 and events(appeal).count("warned") == 2
    assert Notification.objects.filter(user=world.street, event="appeal.escalated").exists()
    assert Notification.objects.filter(user=world.property_staff, event="appeal.warned").exists()
    # Escalation hands dispatch rights up: the grid worker can no longer urge or whistle, the street can.
    assert not s.can_dispatch(world.grid_worker, a) and s.can_dispatch(world.street, a)


def test_tick_command_runs_the_job(world: World) -> None:
    past = timezone.now() - dt.timedelta(days=3)
    appeal = dispatched(world, now=past)
    call_command("tick", verbosity=0)
    a = Appeal.objects.get(pk=appeal.pk)
    # Both the response and the resolution deadline have passed: one escalation for each.
    assert a.supervision_level == "red" and a.escalation_level == 2 and a.handling_level == "street"


def test_unrated_resolved_cases_close_automatically(world: World, settings: Any) -> None:
    settings.WANGGE_APPEALS_AUTO_CLOSE_DAYS = 7
    appeal = dispatched(world)
    s.appeal_acknowledge(appeal_id=appeal.pk, by=world.property_staff, now=MONDAY + H)
    s.appeal_resolve(appeal_id=appeal.pk, by=world.property_staff, note="done", now=MONDAY + 2 * H)
    assert s.appeals_tick(MONDAY + dt.timedelta(days=6))["auto_closed"] == 0
    assert s.appeals_tick(MONDAY + dt.timedelta(days=8))["auto_closed"] == 1
    a = Appeal.objects.get(pk=appeal.pk)
    assert a.state == State.CLOSED and a.auto_closed
    assert s.appeals_tick(MONDAY + dt.timedelta(days=9))["auto_closed"] == 0


def test_urge_raises_the_card_and_tells_the_handler(world: World) -> None:
    appeal = dispatched(world)
    with pytest.raises(Forbidden):
        s.appeal_urge(appeal_id=appeal.pk, by=world.grid_worker, note="快", level="yellow")
    a = s.appeal_urge(appeal_id=appeal.pk, by=world.community, note="请加快", level="red", now=MONDAY + H)
    assert a.supervision_level == "red"
    a = s.appeal_urge(appeal_id=appeal.pk, by=world.community, note="再催", level="yellow", now=MONDAY + H)
    assert a.supervision_level == "red"  # never lowered
    assert Notification.objects.filter(user=world.property_staff, event="appeal.urged").count() == 2


def test_questions_close_from_opened_with_an_answer(world: World) -> None:
    appeal = opened(world, kind="question")
    with pytest.raises(InvalidInput):
        s.appeal_close(appeal_id=appeal.pk, by=world.community, note="")
    closed = s.appeal_close(appeal_id=appeal.pk, by=world.community, note="已电话答复", now=MONDAY)
    assert closed.state == State.CLOSED
    problem = opened(world)
    with pytest.raises(Conflict):
        s.appeal_close(appeal_id=problem.pk, by=world.community, note="x")


def test_cancel_with_reason(world: World) -> None:
    appeal, _ = s.appeal_submit(by=world.resident, **submit_kwargs(world))
    with pytest.raises(InvalidInput):
        s.appeal_cancel(appeal_id=appeal.pk, by=world.community, reason="")
    c = s.appeal_cancel(appeal_id=appeal.pk, by=world.community, reason="重复反映")
    assert c.state == State.CANCELLED
    assert Notification.objects.filter(user=world.resident, event="appeal.cancelled").exists()


def test_dispatch_in_a_year_the_calendar_lacks_is_flagged(world: World) -> None:
    import warnings

    later = dt.datetime(2031, 3, 3, 9, 0, tzinfo=MONDAY.tzinfo)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        appeal = dispatched(world, now=later, category="SJ0301")
    data = AppealEvent.objects.get(appeal=appeal, kind="dispatched").data
    assert data["calendar_assumed_years"] == [2031]
    current = dispatched(world)
    assert AppealEvent.objects.get(appeal=current, kind="dispatched").data["calendar_assumed_years"] == []


def test_tick_all_runs_every_app_and_survives_one_failing(world: World, monkeypatch: Any) -> None:
    import sys
    import types

    from wangge.core.periodic import run_all

    calls: list[str] = []
    ok = types.ModuleType("wangge.wishes.tasks")
    ok.tick = lambda now: calls.append("wishes") or {"done": 1}  # type: ignore[attr-defined]
    broken = types.ModuleType("wangge.volunteers.tasks")

    def boom(now: dt.datetime) -> None:
        raise RuntimeError("volunteers down")

    broken.tick = boom  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "wangge.wishes.tasks", ok)
    monkeypatch.setitem(sys.modules, "wangge.volunteers.tasks", broken)
    dispatched(world)
    out = run_all(MONDAY + 3 * H)
    assert out["appeals"]["escalated"] == 1
    assert out["wangge.volunteers.tasks"] == "error" and out["wangge.wishes.tasks"] == {"done": 1}
    assert calls == ["wishes"]
