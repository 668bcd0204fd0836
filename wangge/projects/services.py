"""Writes of project lists: declare (staff in scope), approve (the level above, never the declarer), start,
stop with a reason, milestones added and done with evidence (the last one done completes the project), and
the periodic flag of overdue milestones. Each transition is a conditional update: a race is settled by the
database (the loser gets 409)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.models import Unit, User
from wangge.areas.models import Area
from wangge.core.errors import Conflict, Forbidden, InvalidInput
from wangge.core.roles import user_can
from wangge.core.scoping import get_visible_or_404
from wangge.core.transactions import use_case
from wangge.notifications.services import notify

from .models import Milestone, Project

State = Project.State
MAX_MILESTONES = 30


def _text(value: Any, field: str, message: str, max_len: int) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput.field(field, message)
    if len(text) > max_len:
        raise InvalidInput.field(field, _("不能超过%(n)s个字") % {"n": max_len})
    return text


def _date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise InvalidInput.field(field, _("日期格式不正确")) from exc


def _milestones(items: Any) -> list[tuple[str, dt.date]]:
    if not isinstance(items, list) or len(items) > MAX_MILESTONES:
        raise InvalidInput.field("milestones", _("项目节点最多%(n)s个") % {"n": MAX_MILESTONES})
    out = []
    for i, m in enumerate(items):
        if not isinstance(m, dict):
            raise InvalidInput.field(f"milestones.{i}", _("项目节点格式不正确"))
        out.append(
            (
                _text(m.get("title"), f"milestones.{i}.title", _("请填写节点名称"), 120),
                _date(m.get("due_on"), f"milestones.{i}.due_on"),
            )
        )
    return out


@use_case
def project_declare(
    *,
    by: Any,
    area: Area,
    title: str,
    kind: str,
    description: str = "",
    budget_yuan: Any = 0,
    owner_id: int | None = None,
    unit_id: int | None = None,
    milestones: list[dict[str, Any]] | None = None,
    resolution: Any = None,
) -> Project:
    if not user_can(by, "projects.manage"):
        raise Forbidden(_("无权申报项目"))
    get_visible_or_404(Area, by, pk=area.pk)
    if kind not in Project.Kind.values:
        raise InvalidInput.field("kind", _("请选择项目类型"))
    try:
        budget = Decimal(str(budget_yuan)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise InvalidInput.field("budget_yuan", _("预算须为金额")) from exc
    if not Decimal(0) <= budget < Decimal("1e12"):
        raise InvalidInput.field("budget_yuan", _("预算须在0到1万亿元之间"))
    owner = User.objects.filter(pk=owner_id, is_active=True).first() if owner_id else None
    if owner_id and owner is None:
        raise InvalidInput.field("owner_id", _("负责人账号不存在"))
    unit = Unit.objects.filter(pk=unit_id).first() if unit_id else None
    if unit_id and unit is None:
        raise InvalidInput.field("unit_id", _("共建单位不存在"))
    if owner is None and unit is None:
        owner = by  # the declaring secretary owns it unless told otherwise
    steps = _milestones(milestones or [])
    project = Project.objects.create(
        area=area,
        title=_text(title, "title", _("请填写项目名称"), 120),
        kind=kind,
        description=(description or "").strip()[:5000],
        budget_yuan=budget,
        owner=owner,
        unit=unit,
        resolution=resolution,
        created_by=by,
    )
    Milestone.objects.bulk_create([Milestone(project=project, title=t, due_on=d) for t, d in steps])
    return project


def _move(project_id: int, by: Any, frm: tuple[str, ...], to: str, **extra: Any) -> Project:
    moved = Project.objects.filter(pk=project_id, state__in=frm).update(
        state=to, updated_at=timezone.now(), **extra
    )
    project = Project.objects.get(pk=project_id)
    if not moved:
        raise Conflict(
            _("项目当前状态为“%(s)s”，不能执行此操作") % {"s": project.get_state_display()},
            state=project.state,
        )
    return project


@use_case
def project_approve(*, by: Any, project_id: int) -> Project:
    project = get_visible_or_404(Project, by, "manage", pk=project_id)
    if not user_can(by, "projects.approve"):
        raise Forbidden(_("项目须由上级审批立项"))
    if project.created_by_id == by.pk:
        raise Forbidden(_("申报人不能审批自己申报的项目"))
    return _move(
        project.pk, by, (State.DECLARED,), State.APPROVED, approved_by=by, approved_at=timezone.now()
    )


@use_case
def project_start(*, by: Any, project_id: int) -> Project:
    project = get_visible_or_404(Project, by, "manage", pk=project_id)
    _require_manage(by, project)
    return _move(project.pk, by, (State.APPROVED,), State.IN_PROGRESS)


@use_case
def project_stop(*, by: Any, project_id: int, reason: str) -> Project:
    project = get_visible_or_404(Project, by, "manage", pk=project_id)
    _require_manage(by, project)
    text = _text(reason, "reason", _("请填写终止原因"), 200)
    return _move(
        project.pk, by, (State.DECLARED, State.APPROVED, State.IN_PROGRESS), State.STOPPED, stop_reason=text
    )


def _require_manage(by: Any, project: Project) -> None:
    if not (user_can(by, "projects.manage") or project.owner_id == by.pk):
        raise Forbidden(_("无权管理该项目"))


@use_case
def milestone_add(*, by: Any, project_id: int, title: str, due_on: Any) -> Milestone:
    project = get_visible_or_404(Project.objects.select_for_update(), by, "manage", pk=project_id)
    _require_manage(by, project)
    if project.state in (State.DONE, State.STOPPED):
        raise Conflict(_("项目已结束，不能再添加节点"), state=project.state)
    if project.milestones.count() >= MAX_MILESTONES:
        raise InvalidInput.field("title", _("项目节点最多%(n)s个") % {"n": MAX_MILESTONES})
    return Milestone.objects.create(
        project=project, title=_text(title, "title", _("请填写节点名称"), 120), due_on=_date(due_on, "due_on")
    )


@use_case
def milestone_done(
    *, by: Any, project_id: int, milestone_id: int, evidence: str, done_on: Any = None
) -> Milestone:
    """Mark a milestone done with its evidence; the last one done completes a project in progress."""
    project = get_visible_or_404(Project.objects.select_for_update(), by, "manage", pk=project_id)
    if not (user_can(by, "projects.manage") or project.owner_id == by.pk):
        raise Forbidden(_("无权管理该项目"))
    if project.state != State.IN_PROGRESS:
        raise Conflict(_("项目实施中才能登记节点完成"), state=project.state)
    text = _text(evidence, "evidence", _("请填写完成佐证（做了什么、在哪里、谁参与）"), 2000)
    day = _date(done_on, "done_on") if done_on else timezone.localdate()
    if day > timezone.localdate():
        raise InvalidInput.field("done_on", _("完成日期不能晚于今天"))
    updated = Milestone.objects.filter(pk=milestone_id, project=project, done_on__isnull=True).update(
        done_on=day, evidence=text, updated_at=timezone.now()
    )
    milestone = Milestone.objects.filter(pk=milestone_id, project=project).first()
    if milestone is None:
        raise InvalidInput.field("milestone_id", _("节点不存在"))
    if not updated:
        raise Conflict(_("该节点已登记完成"), state="done")
    if not project.milestones.filter(done_on__isnull=True).exists():
        Project.objects.filter(pk=project.pk, state=State.IN_PROGRESS).update(
            state=State.DONE, done_at=timezone.now()
        )
    return milestone


def flag_overdue(now: dt.datetime) -> dict[str, int]:
    """Flag each milestone past its date and not done, once, telling the project's owner."""
    today = timezone.localdate(now)
    due = list(
        Milestone.objects.filter(
            due_on__lt=today, done_on__isnull=True, overdue_flagged_on__isnull=True,
            project__state__in=[State.APPROVED, State.IN_PROGRESS],
        ).select_related("project", "project__owner")[:1000]
    )  # fmt: skip
    flagged = 0
    for m in due:
        claimed = Milestone.objects.filter(pk=m.pk, overdue_flagged_on__isnull=True).update(
            overdue_flagged_on=today
        )
        flagged += claimed
        if claimed and m.project.owner_id:
            notify(
                users=[m.project.owner],
                event="project_milestone_overdue",
                title=_("项目节点逾期：%(p)s · %(m)s") % {"p": m.project.title, "m": m.title},
                body=_("计划 %(d)s 完成，尚未登记完成。") % {"d": m.due_on.isoformat()},
                link=f"/projects/{m.project_id}/",
                obj=m.project,
                channels=("inapp",),
                savepoint=False,
            )
    return {"flagged": flagged}


def progress_of(done: int, total: int) -> float | None:
    return round(done / total, 4) if total else None
