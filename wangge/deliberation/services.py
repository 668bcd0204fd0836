"""Every write of the deliberation context: councils, meetings (agenda, notice, sign-in, minutes,
resolutions and what carries them out), proposals and supports, conventions, mediation.

Who may do what:
- staff with ``deliberation.manage`` act within their area scope; a council's convenor or secretary runs
  its meetings;
- residents (a registry record linked to their account) propose and support in the grid or community they
  live in, and acknowledge its conventions;
- a dispute's mediators record sessions and follow-up visits on it.

Races are decided by the database: one support per user (unique), the proposal row is locked while a
support is counted so the threshold is crossed once, a resolution's outcome is claimed by a conditional
UPDATE, one sign-in and one acknowledgment per person (unique).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.models import User
from wangge.accounts.roles import user_can
from wangge.appeals import selectors as appeal_selectors
from wangge.appeals.models import Appeal
from wangge.appeals.services import appeal_submit
from wangge.areas.models import Area, Level
from wangge.core.audit import audit
from wangge.core.errors import Conflict, Forbidden, InvalidInput, NotFound, from_django_validation
from wangge.core.pii import validate_phone
from wangge.core.scoping import scope_for
from wangge.core.transactions import batch
from wangge.notifications.services import notify
from wangge.volunteers.services import activity_create

from .models import (
    Acknowledgment,
    AgendaItem,
    Attendance,
    Convention,
    ConventionVersion,
    Council,
    CouncilMember,
    Dispute,
    FollowUp,
    FollowUpVisit,
    MediationSession,
    Mediator,
    Meeting,
    Party,
    Proposal,
    Resolution,
    Support,
    home_area_code,
    lives_in,
)
from .routing import route_council

log = logging.getLogger(__name__)
PERM = "deliberation.manage"


def signin_early_minutes() -> int:
    return int(getattr(settings, "WANGGE_DELIBERATION_SIGNIN_EARLY_MINUTES", 60))


def signin_late_hours() -> int:
    return int(getattr(settings, "WANGGE_DELIBERATION_SIGNIN_LATE_HOURS", 6))


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _clean(obj: Any, exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as exc:
        raise from_django_validation(exc) from exc


def _text(value: str | None, field: str, message: str, max_len: int | None = None) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput.field(field, message)
    if max_len and len(value) > max_len:
        raise InvalidInput.field(field, _("不能超过%(len)s个字") % {"len": max_len})
    return value


# --- permissions ----------------------------------------------------------------------------------------


def is_staff_for(user: Any, area_code: str) -> bool:
    return user_can(user, PERM) and scope_for(user).contains(area_code)


def membership(user: Any, council: Council) -> CouncilMember | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return CouncilMember.objects.filter(council=council, user=user, active=True).first()


def can_manage_council(user: Any, council: Council) -> bool:
    """Staff in scope, or the council's convenor or secretary."""
    if is_staff_for(user, council.area.code):
        return True
    m = membership(user, council)
    return m is not None and m.role in (CouncilMember.Role.CONVENOR, CouncilMember.Role.SECRETARY)


def _require_manage(user: Any, council: Council) -> None:
    if not can_manage_council(user, council):
        raise Forbidden(_("只有议事会召集人、记录员或辖区工作人员可以操作"))


def can_mediate(user: Any, dispute: Dispute) -> bool:
    if is_staff_for(user, dispute.area.code):
        return True
    return bool(getattr(user, "is_authenticated", False)) and dispute.mediators.filter(user=user).exists()


# --- councils -------------------------------------------------------------------------------------------


@transaction.atomic
def council_create(
    *,
    name: str,
    area: Area,
    by: Any,
    kind: str = Council.Kind.PARTY_MASSES,
    building: Any = None,
    proposal_threshold: int | None = None,
) -> Council:
    if not is_staff_for(by, area.code):
        raise Forbidden(_("只能在自己负责的区域设立议事会"))
    if kind not in Council.Kind.values:
        raise InvalidInput.field("kind", _("议事会类型无效"))
    if kind == Council.Kind.BUILDING and building is None:
        raise InvalidInput.field("building", _("楼栋议事须选择楼栋"))
    if building is not None and not building.area.code.startswith(area.code):
        raise InvalidInput.field("building", _("楼栋不在该区域内"))
    if proposal_threshold is not None and proposal_threshold < 1:
        raise InvalidInput.field("proposal_threshold", _("门槛至少为1"))
    council = Council(
        name=_text(name, "name", _("请填写议事会名称"), 100),
        kind=kind,
        area=area,
        building=building,
        created_by=by,
    )
    if proposal_threshold is not None:
        council.proposal_threshold = proposal_threshold
    _clean(council, exclude=["created_by"])
    council.save()
    audit("create", council, by=by, changes={"area": area.code, "kind": kind})
    return council


@transaction.atomic
def council_set_threshold(*, council: Council, threshold: int, by: Any) -> Council:
    """The number of supports that puts a proposal on the agenda (applies to proposals made afterwards)."""
    _require_manage(by, council)
    if threshold < 1:
        raise InvalidInput.field("proposal_threshold", _("门槛至少为1"))
    old = council.proposal_threshold
    Council.objects.filter(pk=council.pk).update(proposal_threshold=threshold)
    council.proposal_threshold = threshold
    audit("update", council, by=by, changes={"proposal_threshold": [old, threshold]})
    return council


@transaction.atomic
def council_member_add(
    *, council: Council, user: User, by: Any, role: str = CouncilMember.Role.MEMBER, note: str = ""
) -> CouncilMember:
    if not is_staff_for(by, council.area.code):
        raise Forbidden(_("只有辖区工作人员可以调整议事会成员"))
    if role not in CouncilMember.Role.values:
        raise InvalidInput.field("role", _("角色无效"))
    if user is None or not user.is_active:
        raise InvalidInput.field("user", _("账号不存在"))
    member, created = CouncilMember.objects.get_or_create(
        council=council, user=user, defaults={"role": role, "note": note[:60]}
    )
    if not created:
        if member.active and member.role == role:
            raise Conflict(_("该成员已在议事会中"), state="member")
        member.role, member.active, member.note = role, True, note[:60] or member.note
        member.save()
    audit("create" if created else "update", member, by=by, changes={"council": council.pk, "role": role})
    return member


# --- meetings -------------------------------------------------------------------------------------------


def _next_position(meeting: Meeting) -> int:
    return (meeting.agenda.aggregate(m=Max("position"))["m"] or 0) + 1


@transaction.atomic
def meeting_create(
    *,
    council: Council,
    title: str,
    starts_at: dt.datetime,
    by: Any,
    place: str = "",
    online_url: str = "",
    now: dt.datetime | None = None,
) -> Meeting:
    """Call a meeting. Proposals of the council that reached their threshold and wait for a meeting go on
    its agenda straight away."""
    _require_manage(by, council)
    if not council.active:
        raise Conflict(_("议事会已停用"), state="inactive")
    now = _now(now)
    if starts_at is None:
        raise InvalidInput.field("starts_at", _("请填写开始时间"))
    if starts_at < now - dt.timedelta(days=1):
        raise InvalidInput.field("starts_at", _("开始时间不能早于昨天"))
    if not (place or "").strip() and not (online_url or "").strip():
        raise InvalidInput.field("place", _("请填写地点或线上会议链接"))
    meeting = Meeting(
        council=council,
        title=_text(title, "title", _("请填写会议名称"), 120),
        starts_at=starts_at,
        place=(place or "").strip()[:120],
        online_url=(online_url or "").strip()[:300],
        created_by=by,
    )
    _clean(meeting, exclude=["created_by"])
    meeting.save()
    for proposal in Proposal.objects.select_for_update().filter(
        council=council, status=Proposal.Status.QUEUED
    ):
        _put_on_agenda(proposal, meeting)
    audit("create", meeting, by=by, changes={"council": council.pk, "starts_at": starts_at.isoformat()})
    return meeting


@transaction.atomic
def agenda_add(
    *,
    meeting: Meeting,
    title: str,
    by: Any,
    description: str = "",
    appeal_id: int | None = None,
) -> AgendaItem:
    """Staff or the convenor put an item on the agenda: their own, or a case they can see."""
    _require_manage(by, meeting.council)
    if meeting.status in (Meeting.Status.HELD, Meeting.Status.CANCELLED):
        raise Conflict(_("会议已召开或已取消，不能再增加议程"), state=meeting.status)
    appeal: Appeal | None = None
    if appeal_id is not None:
        try:
            appeal = appeal_selectors.appeal_get(viewer=by, pk=appeal_id)
        except NotFound as exc:
            raise InvalidInput.field("appeal_id", _("诉求不存在或不在您的管辖范围内")) from exc
        title = title or f"诉求#{appeal.pk}：{appeal.category.name}"
        description = description or appeal.description[:500]
    item = AgendaItem(
        meeting=meeting,
        position=_next_position(meeting),
        title=_text(title, "title", _("请填写议题"), 120),
        description=(description or "").strip(),
        source=AgendaItem.Source.CASE if appeal else AgendaItem.Source.STAFF,
        appeal=appeal,
        added_by=by,
    )
    _clean(item, exclude=["added_by", "appeal", "proposal"])
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError as exc:
        raise Conflict(_("该诉求已在本次会议议程中"), state="on_agenda") from exc
    audit("create", item, by=by, changes={"meeting": meeting.pk, "appeal": appeal_id})
    return item


def _meeting_link(meeting: Meeting) -> str:
    return f"/deliberation/meetings/{meeting.pk}/"


@transaction.atomic
def meeting_notify(*, meeting: Meeting, by: Any, now: dt.datetime | None = None) -> int:
    """Send the notice (in-app and SMS) to every active member; returns how many were told. May be sent
    again (a changed time); never for a held or cancelled meeting."""
    _require_manage(by, meeting.council)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status in (Meeting.Status.HELD, Meeting.Status.CANCELLED):
        raise Conflict(_("会议已召开或已取消"), state=meeting.status)
    now = _now(now)
    members = [
        m.user
        for m in CouncilMember.objects.filter(council=meeting.council, active=True).select_related("user")
    ]
    if not members:
        raise InvalidInput.field("members", _("议事会还没有成员"))
    agenda = "；".join(a.title for a in meeting.agenda.all()[:5])
    when = timezone.localtime(meeting.starts_at)
    notify(
        users=members,
        event="deliberation.meeting_notice",
        title=f"议事会议通知：{meeting.title}",
        body=f"{when:%m月%d日 %H:%M}，{meeting.place or '线上'}。议题：{agenda or '待定'}",
        link=_meeting_link(meeting),
        obj=meeting,
    )
    Meeting.objects.filter(pk=meeting.pk, status=Meeting.Status.PLANNED).update(
        status=Meeting.Status.NOTICED, noticed_at=now
    )
    Meeting.objects.filter(pk=meeting.pk).update(noticed_at=now)
    audit("update", meeting, by=by, changes={"noticed": len(members)})
    return len(members)


@transaction.atomic
def meeting_sign_in(
    *,
    meeting: Meeting,
    by: Any,
    mode: str = Attendance.Mode.IN_PERSON,
    code: str = "",
    now: dt.datetime | None = None,
) -> Attendance:
    """A member signs in: in person with the code shown on the convenor's page, or online (a meeting with an
    online link). Once per member; from an hour before the start to six hours after."""
    now = _now(now)
    if membership(by, meeting.council) is None:
        raise Forbidden(_("只有议事会成员可以签到"))
    if mode not in Attendance.Mode.values:
        raise InvalidInput.field("mode", _("签到方式无效"))
    if meeting.status == Meeting.Status.CANCELLED:
        raise Conflict(_("会议已取消"), state=meeting.status)
    if now < meeting.starts_at - dt.timedelta(minutes=signin_early_minutes()):
        raise InvalidInput.field(
            "code", _("会议开始前%(minutes)s分钟起才能签到") % {"minutes": signin_early_minutes()}
        )
    if now > meeting.starts_at + dt.timedelta(hours=signin_late_hours()):
        raise InvalidInput.field("code", _("签到已结束"))
    if mode == Attendance.Mode.IN_PERSON:
        if not (code or "").strip():
            raise InvalidInput.field("code", _("请输入现场签到码"))
        if (code or "").strip() != meeting.signin_code:
            raise InvalidInput.field("code", _("签到码不正确"))
    elif not meeting.online_url:
        raise InvalidInput.field("mode", _("本次会议没有线上参会"))
    try:
        with transaction.atomic():
            attendance = Attendance.objects.create(meeting=meeting, user=by, mode=mode, signed_at=now)
    except IntegrityError as exc:
        raise Conflict(_("您已签到"), state="signed_in") from exc
    return attendance


@transaction.atomic
def meeting_record_minutes(
    *, meeting: Meeting, minutes: str, by: Any, now: dt.datetime | None = None
) -> Meeting:
    """Record (or correct) the minutes; the meeting is then held."""
    _require_manage(by, meeting.council)
    now = _now(now)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status == Meeting.Status.CANCELLED:
        raise Conflict(_("会议已取消"), state=meeting.status)
    if meeting.starts_at > now:
        raise InvalidInput.field("minutes", _("会议尚未开始，不能记录纪要"))
    meeting.minutes = _text(minutes, "minutes", _("请填写会议纪要"))
    meeting.status = Meeting.Status.HELD
    meeting.held_at = meeting.held_at or now
    meeting.save(update_fields=["minutes", "status", "held_at"])
    audit("update", meeting, by=by, changes={"status": meeting.status})
    return meeting


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, reason: str, by: Any) -> Meeting:
    _require_manage(by, meeting.council)
    reason = _text(reason, "reason", _("请填写取消原因"), 200)
    n = Meeting.objects.filter(
        pk=meeting.pk, status__in=[Meeting.Status.PLANNED, Meeting.Status.NOTICED]
    ).update(status=Meeting.Status.CANCELLED)
    if not n:
        raise Conflict(_("会议已召开或已取消"), state=Meeting.objects.get(pk=meeting.pk).status)
    # Proposals waiting on this meeting wait for the next one.
    items = AgendaItem.objects.filter(meeting=meeting, proposal__isnull=False)
    Proposal.objects.filter(pk__in=items.values("proposal_id"), status=Proposal.Status.ON_AGENDA).update(
        status=Proposal.Status.QUEUED
    )
    items.update(proposal=None)
    meeting.refresh_from_db()
    audit("update", meeting, by=by, changes={"status": meeting.status}, note=reason)
    return meeting


# --- resolutions ----------------------------------------------------------------------------------------


@transaction.atomic
def resolution_add(
    *,
    meeting: Meeting,
    text: str,
    by: Any,
    agenda_item: AgendaItem | None = None,
    votes_for: int | None = None,
    votes_against: int | None = None,
    votes_abstain: int | None = None,
    now: dt.datetime | None = None,
) -> Resolution:
    _require_manage(by, meeting.council)
    now = _now(now)
    if meeting.status == Meeting.Status.CANCELLED:
        raise Conflict(_("会议已取消"), state=meeting.status)
    if meeting.starts_at > now:
        raise InvalidInput.field("text", _("会议尚未开始，不能形成决议"))
    if agenda_item is not None and agenda_item.meeting_id != meeting.pk:
        raise InvalidInput.field("agenda_item", _("议题不属于本次会议"))
    for field, value in (
        ("votes_for", votes_for),
        ("votes_against", votes_against),
        ("votes_abstain", votes_abstain),
    ):
        if value is not None and value < 0:
            raise InvalidInput.field(field, _("票数不能为负"))
    resolution = Resolution.objects.create(
        meeting=meeting,
        agenda_item=agenda_item,
        text=_text(text, "text", _("请填写决议内容")),
        votes_for=votes_for,
        votes_against=votes_against,
        votes_abstain=votes_abstain,
        created_by=by,
    )
    if agenda_item is not None and agenda_item.proposal_id:
        Proposal.objects.filter(
            pk=agenda_item.proposal_id, status__in=[Proposal.Status.ON_AGENDA, Proposal.Status.QUEUED]
        ).update(status=Proposal.Status.DECIDED)
        proposal = Proposal.objects.get(pk=agenda_item.proposal_id)
        notify(
            users=[proposal.author],
            event="deliberation.proposal_decided",
            title=f"您的提议已议决：{proposal.title}",
            body=resolution.text[:200],
            link=f"/deliberation/proposals/{proposal.pk}/",
            obj=proposal,
            channels=("inapp",),
        )
    audit("create", resolution, by=by, changes={"meeting": meeting.pk})
    return resolution


def _claim_outcome(resolution: Resolution, outcome: str) -> None:
    """Claim the resolution's single outcome, or Conflict if it already has one (a double click)."""
    n = Resolution.objects.filter(pk=resolution.pk, outcome="").update(
        outcome=outcome, updated_at=timezone.now()
    )
    if not n:
        current = Resolution.objects.filter(pk=resolution.pk).values_list("outcome", flat=True).first()
        raise Conflict(_("该决议已转办"), state=current or "")
    resolution.outcome = outcome


@transaction.atomic
def resolution_to_case(
    *, resolution: Resolution, category: str, by: Any, description: str = "", now: dt.datetime | None = None
) -> Appeal:
    """The resolution becomes a case, entered by staff (the appeals intake: opened at once in their scope)."""
    meeting = resolution.meeting
    if not is_staff_for(by, meeting.council.area.code):
        raise Forbidden(_("只有辖区工作人员可以将决议转为诉求"))
    _claim_outcome(resolution, Resolution.Outcome.CASE)
    appeal, _created = appeal_submit(
        by=by,
        category=category,
        description=(description or "").strip() or f"【议事决议】{meeting.council.name}：{resolution.text}",
        channel=Appeal.Channel.STAFF_ENTRY,
        area_code=meeting.council.area.code,
        idempotency_key=f"deliberation-resolution:{resolution.pk}",
        now=now,
    )
    Resolution.objects.filter(pk=resolution.pk).update(appeal=appeal)
    resolution.appeal = appeal
    audit("update", resolution, by=by, changes={"outcome": "case", "appeal": appeal.pk})
    return appeal


@transaction.atomic
def resolution_to_task(
    *,
    resolution: Resolution,
    by: Any,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    capacity: int,
    title: str = "",
    place: str = "",
) -> Any:
    """The resolution becomes a volunteer task in the council's area."""
    meeting = resolution.meeting
    if not is_staff_for(by, meeting.council.area.code):
        raise Forbidden(_("只有辖区工作人员可以将决议转为志愿任务"))
    _claim_outcome(resolution, Resolution.Outcome.TASK)
    with batch():  # activity_create is a use case of its own: here it is part of this one (a savepoint)
        activity = activity_create(
            title=(title or resolution.text).strip()[:100],
            description=f"{meeting.council.name}决议：{resolution.text}",
            area=meeting.council.area,
            starts_at=starts_at,
            ends_at=ends_at,
            capacity=capacity,
            place=place or meeting.place,
            by=by,
        )
    Resolution.objects.filter(pk=resolution.pk).update(activity=activity)
    resolution.activity = activity
    audit("update", resolution, by=by, changes={"outcome": "task", "activity": activity.pk})
    return activity


@transaction.atomic
def resolution_follow_up(
    *, resolution: Resolution, owner: User | None, due_on: dt.date | None, by: Any, note: str = ""
) -> FollowUp:
    """The resolution is carried out by a named owner by a deadline."""
    _require_manage(by, resolution.meeting.council)
    if owner is None or not owner.is_active:
        raise InvalidInput.field("owner", _("请选择责任人"))
    if due_on is None:
        raise InvalidInput.field("due_on", _("请填写完成期限"))
    if due_on < timezone.localdate(resolution.meeting.starts_at):
        raise InvalidInput.field("due_on", _("完成期限不能早于会议日期"))
    _claim_outcome(resolution, Resolution.Outcome.FOLLOW_UP)
    follow_up = FollowUp.objects.create(resolution=resolution, owner=owner, due_on=due_on, note=note.strip())
    notify(
        users=[owner],
        event="deliberation.follow_up",
        title="议事决议交办",
        body=f"{resolution.text[:100]}（期限 {due_on:%Y-%m-%d}）",
        link=_meeting_link(resolution.meeting),
        obj=follow_up,
        channels=("inapp",),
    )
    audit("create", follow_up, by=by, changes={"owner": owner.pk, "due_on": str(due_on)})
    return follow_up


_FOLLOW_UP_NEXT: dict[str, set[str]] = {
    FollowUp.State.OPEN: {FollowUp.State.IN_PROGRESS, FollowUp.State.DONE, FollowUp.State.DROPPED},
    FollowUp.State.IN_PROGRESS: {FollowUp.State.IN_PROGRESS, FollowUp.State.DONE, FollowUp.State.DROPPED},
}


@transaction.atomic
def follow_up_update(
    *, follow_up: FollowUp, state: str, by: Any, note: str = "", now: dt.datetime | None = None
) -> FollowUp:
    """The owner (or the council's managers) report progress; done and dropped are final."""
    follow_up = (
        FollowUp.objects.select_for_update()
        .select_related("resolution__meeting__council__area")
        .get(pk=follow_up.pk)
    )
    council = follow_up.resolution.meeting.council
    if getattr(by, "pk", None) != follow_up.owner_id and not can_manage_council(by, council):
        raise Forbidden(_("只有责任人或议事会可以更新进展"))
    if state not in FollowUp.State.values:
        raise InvalidInput.field("state", _("进度无效"))
    allowed = _FOLLOW_UP_NEXT.get(follow_up.state, set())
    if state not in allowed:
        raise Conflict(_("该事项已办结或终止"), state=follow_up.state)
    if state == FollowUp.State.DROPPED and not note.strip():
        raise InvalidInput.field("note", _("终止须说明原因"))
    old = follow_up.state
    follow_up.state = state
    if note.strip():
        stamp = timezone.localtime(_now(now)).strftime("%Y-%m-%d")
        follow_up.note = (follow_up.note + "\n" if follow_up.note else "") + f"【{stamp}】{note.strip()}"
    if state == FollowUp.State.DONE:
        follow_up.done_at = _now(now)
    follow_up.save()
    audit("update", follow_up, by=by, changes={"state": [old, state]})
    return follow_up


# --- proposals ------------------------------------------------------------------------------------------


def _put_on_agenda(proposal: Proposal, meeting: Meeting) -> AgendaItem:
    item = AgendaItem.objects.create(
        meeting=meeting,
        position=_next_position(meeting),
        title=proposal.title,
        description=proposal.body,
        source=AgendaItem.Source.PROPOSAL,
        proposal=proposal,
    )
    Proposal.objects.filter(pk=proposal.pk).update(status=Proposal.Status.ON_AGENDA)
    proposal.status = Proposal.Status.ON_AGENDA
    return item


def next_meeting(council: Council, now: dt.datetime) -> Meeting | None:
    return (
        Meeting.objects.filter(
            council=council, status__in=[Meeting.Status.PLANNED, Meeting.Status.NOTICED], starts_at__gt=now
        )
        .order_by("starts_at", "id")
        .first()
    )


@transaction.atomic
def proposal_create(*, by: Any, title: str, body: str, scope: str = Level.GRID) -> Proposal:
    """A resident proposes a matter for their grid (``scope="grid"``) or their whole community; the level
    decides the council (小事网格议、大事社区议)."""
    home = home_area_code(by)
    if not home:
        raise Forbidden(_("只有登记在册的居民可以提议"))
    if scope not in (Level.GRID, Level.COMMUNITY):
        raise InvalidInput.field("scope", _("请选择本网格或本社区"))
    title = _text(title, "title", _("请填写标题"), 80)
    body = _text(body, "body", _("请写明提议内容"))
    if len(body) < 10:
        raise InvalidInput.field("body", _("内容至少10个字，请写清楚要解决什么问题"))
    code = home[:15] if scope == Level.GRID else home[:12]
    area = Area.objects.filter(code=code).first()
    if area is None:  # pragma: no cover - a home is always inside the tree
        raise InvalidInput.field("scope", _("区域不存在"))
    council = route_council(area=area)
    if council is None:
        raise InvalidInput.field("scope", _("该范围还没有议事会"))
    proposal = Proposal.objects.create(
        area=area, council=council, title=title, body=body, author=by, threshold=council.proposal_threshold
    )
    audit("create", proposal, by=by, changes={"area": area.code, "council": council.pk})
    return proposal


@transaction.atomic
def proposal_support(*, proposal: Proposal, by: Any, now: dt.datetime | None = None) -> tuple[Proposal, bool]:
    """A resident of the proposal's area supports it (once). Returns ``(proposal, crossed)``: ``crossed`` is
    True for the one support that reached the threshold, which puts the proposal on the council's next
    meeting's agenda (or queues it for the next meeting called)."""
    now = _now(now)
    # The row lock serialises the supporters of one proposal (SQLite: the IMMEDIATE transaction does).
    locked = Proposal.objects.select_for_update().filter(pk=proposal.pk).first()
    if locked is None:
        raise NotFound(_("提议不存在"))
    if not lives_in(by, locked.area.code):
        raise Forbidden(_("只有该范围内的居民可以支持"))
    if locked.status in (Proposal.Status.DECIDED, Proposal.Status.WITHDRAWN):
        raise Conflict(_("提议已议决或已撤回，不能再支持"), state=locked.status)
    try:
        with transaction.atomic():
            Support.objects.create(proposal=locked, user=by)
    except IntegrityError as exc:
        raise Conflict(_("您已支持过该提议"), state="supported") from exc
    Proposal.objects.filter(pk=locked.pk).update(support_count=F("support_count") + 1)
    locked.refresh_from_db(fields=["support_count", "status"])
    crossed = False
    if locked.status == Proposal.Status.OPEN and locked.support_count >= locked.threshold:
        # Conditional: only the support that moves it out of "open" places it (also without the lock).
        crossed = bool(
            Proposal.objects.filter(pk=locked.pk, status=Proposal.Status.OPEN).update(
                status=Proposal.Status.QUEUED, reached_at=now
            )
        )
        if crossed:
            locked.status, locked.reached_at = Proposal.Status.QUEUED, now
            meeting = next_meeting(locked.council, now)
            if meeting is not None:
                _put_on_agenda(locked, meeting)
            managers = [
                m.user
                for m in CouncilMember.objects.filter(
                    council_id=locked.council_id,
                    active=True,
                    role__in=[CouncilMember.Role.CONVENOR, CouncilMember.Role.SECRETARY],
                ).select_related("user")
            ]
            notify(
                users=[locked.author, *managers],
                event="deliberation.proposal_threshold",
                title=f"提议获得{locked.support_count}人支持：{locked.title}",
                body="已列入下次议事会议议程" if meeting else "已达到门槛，将列入下次议事会议议程",
                link=f"/deliberation/proposals/{locked.pk}/",
                obj=locked,
                channels=("inapp",),
            )
            audit(
                "update",
                locked,
                by=by,
                changes={"status": locked.status, "support_count": locked.support_count},
            )
    return locked, crossed


@transaction.atomic
def proposal_withdraw(*, proposal: Proposal, by: Any) -> Proposal:
    if getattr(by, "pk", None) != proposal.author_id:
        raise Forbidden(_("只有提议人可以撤回"))
    n = Proposal.objects.filter(pk=proposal.pk, status=Proposal.Status.OPEN).update(
        status=Proposal.Status.WITHDRAWN
    )
    if not n:
        raise Conflict(_("提议已进入议程，不能撤回"), state=Proposal.objects.get(pk=proposal.pk).status)
    proposal.refresh_from_db()
    audit("update", proposal, by=by, changes={"status": proposal.status})
    return proposal


# --- conventions ----------------------------------------------------------------------------------------


@transaction.atomic
def convention_create(
    *, council: Council, title: str, text: str, by: Any, area: Area | None = None, note: str = ""
) -> Convention:
    """A council proposes a convention for its area (or an area inside it): version 1, a draft."""
    _require_manage(by, council)
    area = area or council.area
    if not area.code.startswith(council.area.code):
        raise InvalidInput.field("area", _("公约范围须在议事会所在区域内"))
    convention = Convention.objects.create(
        area=area, council=council, title=_text(title, "title", _("请填写公约名称"), 100), created_by=by
    )
    ConventionVersion.objects.create(
        convention=convention,
        number=1,
        text=_text(text, "text", _("请填写公约条文")),
        note=note[:200],
        created_by=by,
    )
    audit("create", convention, by=by, changes={"area": area.code})
    return convention


@transaction.atomic
def convention_revise(*, convention: Convention, text: str, by: Any, note: str = "") -> ConventionVersion:
    _require_manage(by, convention.council)
    convention = Convention.objects.select_for_update().get(pk=convention.pk)
    if convention.status != Convention.Status.DRAFT:
        raise Conflict(_("公约已公布，修订须另立新公约"), state=convention.status)
    number = (convention.versions.aggregate(m=Max("number"))["m"] or 0) + 1
    version = ConventionVersion.objects.create(
        convention=convention,
        number=number,
        text=_text(text, "text", _("请填写公约条文")),
        note=note[:200],
        created_by=by,
    )
    audit("update", convention, by=by, changes={"version": number})
    return version


@transaction.atomic
def convention_adopt(
    *,
    convention: Convention,
    by: Any,
    resolution: Resolution | None = None,
    adopted_ref: str = "",
    now: dt.datetime | None = None,
) -> Convention:
    """Record the adoption of the latest version — by a resolution of one of the council's meetings, or by a
    decision elsewhere (``adopted_ref``, e.g. an owners' vote) — and publish it for its area."""
    _require_manage(by, convention.council)
    now = _now(now)
    convention = Convention.objects.select_for_update().get(pk=convention.pk)
    if convention.status != Convention.Status.DRAFT:
        raise Conflict(_("公约已公布"), state=convention.status)
    if resolution is None and not adopted_ref.strip():
        raise InvalidInput.field("resolution", _("请选择通过该公约的决议"))
    if resolution is not None and resolution.meeting.council_id != convention.council_id:
        raise InvalidInput.field("resolution", _("决议须出自提出该公约的议事会"))
    version = convention.versions.order_by("-number").first()
    convention.adopted_version = version
    convention.adopted_by_resolution = resolution
    convention.adopted_ref = adopted_ref.strip()[:60]
    convention.adopted_at = resolution.meeting.held_at or resolution.meeting.starts_at if resolution else now
    convention.adopted_recorded_by = by
    convention.status = Convention.Status.PUBLISHED
    convention.published_at = now
    convention.save()
    audit(
        "update",
        convention,
        by=by,
        changes={"status": "published", "version": version.number if version else None},
    )
    return convention


@transaction.atomic
def convention_acknowledge(*, convention: Convention, by: Any) -> Acknowledgment:
    """A resident of the convention's area acknowledges the published version (once)."""
    convention = Convention.objects.select_related("area").get(pk=convention.pk)
    if convention.status != Convention.Status.PUBLISHED:
        raise Conflict(_("公约尚未公布"), state=convention.status)
    if not lives_in(by, convention.area.code):
        raise Forbidden(_("只有公约适用范围内的居民可以确认"))
    if convention.adopted_version is None:  # pragma: no cover - a published convention has one (constraint)
        raise Conflict(_("公约尚未公布"), state=convention.status)
    try:
        with transaction.atomic():
            ack = Acknowledgment.objects.create(
                convention=convention, version=convention.adopted_version, user=by
            )
    except IntegrityError as exc:
        raise Conflict(_("您已确认知晓该公约"), state="acknowledged") from exc
    return ack


# --- mediation ------------------------------------------------------------------------------------------


def _party(dispute: Dispute, data: dict[str, Any], i: int) -> Party:
    name = (data.get("name") or "").strip()
    if not name:
        raise InvalidInput.field(f"parties.{i}.name", _("请填写当事人姓名或名称"))
    phone = (data.get("phone") or "").strip()
    if phone and (err := validate_phone(phone)):
        raise InvalidInput.field(f"parties.{i}.phone", err)
    side = data.get("side") or (Party.Side.APPLICANT if i == 0 else Party.Side.RESPONDENT)
    if side not in Party.Side.values:
        raise InvalidInput.field(f"parties.{i}.side", _("立场无效"))
    kind = data.get("kind") or Party.Kind.PERSON
    if kind not in Party.Kind.values:
        raise InvalidInput.field(f"parties.{i}.kind", _("类型无效"))
    return Party(dispute=dispute, name=name[:100], phone=phone, side=side, kind=kind)


@transaction.atomic
def dispute_open(
    *,
    area: Area,
    kind: str,
    matter: str,
    parties: list[dict[str, Any]],
    by: Any,
    description: str = "",
    appeal_id: int | None = None,
    now: dt.datetime | None = None,
) -> Dispute:
    """Staff take a dispute into mediation: at least two parties (or one and a company)."""
    if not is_staff_for(by, area.code):
        raise Forbidden(_("只能受理管辖范围内的纠纷"))
    if not area.is_grid:
        raise InvalidInput.field("area", _("请选择纠纷所在网格"))
    if kind not in Dispute.Kind.values:
        raise InvalidInput.field("kind", _("纠纷类型无效"))
    matter = _text(matter, "matter", _("请填写纠纷事项"), 120)
    if len(parties) < 2:
        raise InvalidInput.field("parties", _("至少需要双方当事人"))
    appeal = None
    if appeal_id is not None:
        try:
            appeal = appeal_selectors.appeal_get(viewer=by, pk=appeal_id)
        except NotFound as exc:
            raise InvalidInput.field("appeal_id", _("诉求不存在或不在您的管辖范围内")) from exc
    dispute = Dispute.objects.create(
        area=area,
        kind=kind,
        matter=matter,
        description=description.strip(),
        appeal=appeal,
        opened_at=_now(now),
        created_by=by,
    )
    rows = [_party(dispute, p, i) for i, p in enumerate(parties)]
    if {p.side for p in rows} != {Party.Side.APPLICANT, Party.Side.RESPONDENT}:
        raise InvalidInput.field("parties", _("须有申请方和被申请方"))
    Party.objects.bulk_create(rows)
    audit("create", dispute, by=by, changes={"area": area.code, "kind": kind, "parties": len(rows)})
    return dispute


@transaction.atomic
def mediator_add(
    *, dispute: Dispute, kind: str, by: Any, user: User | None = None, name: str = "", lead: bool = False
) -> Mediator:
    if not is_staff_for(by, dispute.area.code):
        raise Forbidden(_("只有辖区工作人员可以安排调解人"))
    if dispute.status == Dispute.Status.CLOSED:
        raise Conflict(_("纠纷已结案"), state=dispute.status)
    if kind not in Mediator.Kind.values:
        raise InvalidInput.field("kind", _("调解力量类型无效"))
    name = (name or (str(user) if user else "")).strip()
    if not name:
        raise InvalidInput.field("name", _("请填写调解人姓名"))
    if lead:
        Mediator.objects.filter(dispute=dispute, lead=True).update(lead=False)
    mediator = Mediator.objects.create(dispute=dispute, kind=kind, user=user, name=name[:50], lead=lead)
    audit("create", mediator, by=by, changes={"dispute": dispute.pk, "kind": kind})
    return mediator


@transaction.atomic
def session_record(
    *, dispute: Dispute, notes: str, by: Any, held_at: dt.datetime | None = None, place: str = ""
) -> MediationSession:
    if not can_mediate(by, dispute):
        raise Forbidden(_("只有调解人或辖区工作人员可以记录调解"))
    now = timezone.now()
    held_at = held_at or now
    if held_at > now + dt.timedelta(minutes=5):
        raise InvalidInput.field("held_at", _("调解时间不能晚于现在"))
    if held_at < dispute.opened_at - dt.timedelta(minutes=5):
        raise InvalidInput.field("held_at", _("调解时间不能早于受理时间"))
    n = Dispute.objects.filter(
        pk=dispute.pk, status__in=[Dispute.Status.OPEN, Dispute.Status.MEDIATING]
    ).update(status=Dispute.Status.MEDIATING)
    if not n:
        raise Conflict(_("纠纷已结案"), state=Dispute.Status.CLOSED)
    session = MediationSession.objects.create(
        dispute=dispute,
        held_at=held_at,
        place=place.strip()[:100],
        notes=_text(notes, "notes", _("请填写调解记录")),
        recorded_by=by,
    )
    dispute.status = Dispute.Status.MEDIATING
    audit("create", session, by=by, changes={"dispute": dispute.pk})
    return session


@transaction.atomic
def dispute_close(
    *,
    dispute: Dispute,
    outcome: str,
    by: Any,
    terms: str = "",
    referred_to: str = "",
    now: dt.datetime | None = None,
) -> Dispute:
    """Close with the outcome: an agreement (调解协议, its terms required) or a referral (to whom)."""
    if not can_mediate(by, dispute):
        raise Forbidden(_("只有调解人或辖区工作人员可以结案"))
    if outcome not in Dispute.Outcome.values or not outcome:
        raise InvalidInput.field("outcome", _("请选择调解结果"))
    dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
    if dispute.status == Dispute.Status.CLOSED:
        raise Conflict(_("纠纷已结案"), state=dispute.status)
    if outcome == Dispute.Outcome.AGREEMENT:
        terms = _text(terms, "terms", _("达成协议须写明协议内容"))
        if not dispute.sessions.exists():
            raise InvalidInput.field("outcome", _("尚无调解记录，不能达成协议"))
    if outcome in (Dispute.Outcome.REFERRED_DEPARTMENT, Dispute.Outcome.REFERRED_COURT):
        referred_to = _text(referred_to, "referred_to", _("请填写转交的部门或法院"), 100)
    dispute.status = Dispute.Status.CLOSED
    dispute.outcome = outcome
    dispute.terms = terms.strip()
    dispute.referred_to = referred_to.strip()
    dispute.closed_at = _now(now)
    dispute.save()
    audit("update", dispute, by=by, changes={"status": "closed", "outcome": outcome})
    return dispute


@transaction.atomic
def visit_record(
    *, dispute: Dispute, note: str, by: Any, kept: bool = True, visited_at: dt.datetime | None = None
) -> FollowUpVisit:
    """A follow-up visit after closing: is the agreement kept, are the neighbours at peace?"""
    dispute = Dispute.objects.select_related("area").get(
        pk=dispute.pk
    )  # the current state, not the caller's copy
    if not can_mediate(by, dispute):
        raise Forbidden(_("只有调解人或辖区工作人员可以回访"))
    if dispute.status != Dispute.Status.CLOSED:
        raise Conflict(_("结案后才能回访"), state=dispute.status)
    visited_at = visited_at or timezone.now()
    if dispute.closed_at and visited_at < dispute.closed_at:
        raise InvalidInput.field("visited_at", _("回访时间不能早于结案时间"))
    visit = FollowUpVisit.objects.create(
        dispute=dispute,
        visited_at=visited_at,
        note=_text(note, "note", _("请填写回访情况")),
        kept=kept,
        recorded_by=by,
    )
    audit("create", visit, by=by, changes={"dispute": dispute.pk, "kept": kept})
    return visit


def party_reveal(*, party: Party, by: Any) -> dict[str, str]:
    """A party's full name and phone, for a mediator of the dispute or staff in scope with ``pii.reveal``
    (mediators must call the parties). Each reveal is audited."""
    dispute = party.dispute
    mediator = bool(getattr(by, "is_authenticated", False)) and dispute.mediators.filter(user=by).exists()
    if not mediator and not (user_can(by, "pii.reveal") and is_staff_for(by, dispute.area.code)):
        raise Forbidden(_("无权查看当事人完整信息"))
    audit("reveal", party, by=by, changes={"dispute": dispute.pk}, note="查看当事人姓名和联系电话")
    return {"name": party.name, "phone": party.phone}
