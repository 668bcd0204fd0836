"""Who is told what at each step of the case loop: one table, event → recipient rule → message.

Every service of the loop calls ``send(event, appeal, ...)``; nothing else in the loop picks recipients.
The rule is "notify whoever must act next" (or, for the resident, whoever waits for the outcome), and every
message carries the case number and its title (``#12《3单元楼道灯不亮》``) and links to the case.

``tests/test_notify_table.py`` walks the loop over the API and checks, for each row, exactly who got it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from wangge.accounts.models import User
from wangge.accounts.roles import user_can
from wangge.notifications.services import notify

from . import routing
from .models import LEVEL_ORDER, Appeal, Assignment, Level

log = logging.getLogger("wangge.appeals")

Recipients = Callable[[Appeal, dict[str, Any]], list[User]]

TITLE_LENGTH = 20


def case_number(appeal: Appeal) -> str:
    return f"#{appeal.pk}"


def case_title(appeal: Appeal) -> str:
    """A short title for messages: the start of the description (one line), else the category."""
    text = " ".join((appeal.description or "").split())
    if not text:
        return appeal.category.name if appeal.category_id else ""
    return text if len(text) <= TITLE_LENGTH else text[:TITLE_LENGTH] + "…"


def case_ref(appeal: Appeal) -> str:
    return f"{case_number(appeal)}《{case_title(appeal)}》"


# --- recipient rules -------------------------------------------------------------------------------------


def reporters(appeal: Appeal, ctx: dict[str, Any]) -> list[User]:
    """The reporter and the reporters of every case merged into this one: they share the outcome."""
    users = [appeal.reporter] if appeal.reporter_id and appeal.reporter else []
    users += [
        m.reporter
        for m in Appeal.objects.filter(merged_into=appeal, reporter__isnull=False).select_related("reporter")
    ]
    return [u for u in users if u is not None]


def own_reporter(appeal: Appeal, ctx: dict[str, Any]) -> list[User]:
    """Only this case's reporter (a merged duplicate's reporter, told about the merge)."""
    return [appeal.reporter] if appeal.reporter_id and appeal.reporter else []


def lead(appeal: Appeal, ctx: dict[str, Any]) -> list[User]:
    """The person leading the case, or every active member of the leading unit."""
    if appeal.lead_user_id:
        return [appeal.lead_user] if appeal.lead_user else []
    if appeal.lead_unit_id:
        return list(User.objects.filter(unit_id=appeal.lead_unit_id, is_active=True))
    return []


def handlers(appeal: Appeal, ctx: dict[str, Any]) -> list[User]:
    """The lead and the active co-handlers (people and the staff of their units)."""
    users = lead(appeal, ctx)
    for a in appeal.assignments.filter(active=True, role=Assignment.Role.CO).select_related("user"):
        if a.user is not None:
            users.append(a.user)
        elif a.unit_id:
            users += list(User.objects.filter(unit_id=a.unit_id, is_active=True))
    return users


def dispatchers(appeal: Appeal, ctx: dict[str, Any]) -> list[User]:
    """Staff of the area at the case's current level (grid workers for grid matters, community staff …)."""
    if not appeal.area_code:
        return []
    return routing.staff_of_area(routing.level_area_code(appeal.area_code, appeal.handling_level))


def handlers_or_dispatchers(appeal: Appeal, ctx: dict[str, Any]) -> list[User]:
    return handlers(appeal, ctx) or dispatchers(appeal, ctx)


def lead_or_dispatchers(appeal: Appeal, ctx: dict[str, Any]) -> list[User]:
    return lead(appeal, ctx) or dispatchers(appeal, ctx)


def _levels_from(level: str) -> list[str]:
    return [str(lv) for lv in LEVEL_ORDER[LEVEL_ORDER.index(Level(level)) :]]


def checkers(appeal: Appeal, ctx: dict[str, Any]) -> list[User]:
    """待核查: the staff who may check the case (``permissions.may_check``: in scope, and not on its handling
    side), at the nearest level from the case's own upwards where there is anyone."""
    from .permissions import may_check

    if not appeal.area_code:
        return []
    start = Level.GRID if appeal.handling_level == Level.GRID else appeal.handling_level
    for level in _levels_from(start):
        staff = routing.staff_of_area(routing.level_area_code(appeal.area_code, level))
        able = [u for u in staff if may_check(u, appeal)]
        if able:
            return able
    return []


def supervisors(appeal: Appeal, ctx: dict[str, Any]) -> list[User]:
    """Those who may supervise the case at its level (a grid matter's supervisor is the community)."""
    if not appeal.area_code:
        return []
    level = appeal.handling_level if appeal.handling_level != Level.GRID else Level.COMMUNITY
    staff = routing.staff_of_area(routing.level_area_code(appeal.area_code, level))
    return [u for u in staff if user_can(u, "appeals.supervise")]


def overdue_recipients(appeal: Appeal, ctx: dict[str, Any]) -> list[User]:
    """超期: the supervisor of the level the case was raised to, and the lead who let it run over."""
    return supervisors(appeal, ctx) + lead(appeal, ctx)


def summoned(appeal: Appeal, ctx: dict[str, Any]) -> list[User]:
    """吹哨: the handling staff of each summoned department (never anyone else who happens to share the unit),
    and the staff of the summoned level."""
    units = list(ctx.get("units") or [])
    users = [
        u
        for u in User.objects.filter(unit__in=units, is_active=True).order_by("pk")
        if user_can(u, "appeals.handle")
    ]
    area = ctx.get("area")
    if area is not None:
        users += routing.staff_of_area(area.code)
    return users


def late_reporters(appeal: Appeal, ctx: dict[str, Any]) -> list[User]:
    """A report-in past its time: the summoned department's own staff (it is theirs to do), and whoever blew
    the whistle (so they can chase it)."""
    report = ctx["report"]
    users = summoned(appeal, {"units": [report.unit] if report.unit_id else [], "area": report.area})
    blower = report.whistle.blown_by if report.whistle_id else None
    return users + ([blower] if blower is not None else [])


def whistle_lead(appeal: Appeal, ctx: dict[str, Any]) -> list[User]:
    """报到: the case's lead; before any lead, whoever blew the whistle."""
    users = lead(appeal, ctx)
    if users:
        return users
    blower = ctx.get("blower")
    return [blower] if blower is not None else dispatchers(appeal, ctx)


# --- the table -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    event: str  # stored as ``appeal.<event>``
    who: str  # the recipient rule in words (shown in docs/tests)
    recipients: Recipients
    # Formatted with ``ref`` (``#12《…》``), ``number``, ``title`` and the caller's context.
    title: str
    channels: tuple[str, ...] = ("inapp", "sms")


RULES: tuple[Rule, ...] = (
    Rule("submitted", "受理人（当前层级工作人员）", dispatchers, "新诉求待受理：{ref}", ("inapp",)),
    Rule("accepted", "居民", reporters, "您的诉求 {number}《{title}》已受理立案"),
    Rule("cancelled", "居民", reporters, "您的诉求 {ref} 未予立案"),
    Rule(
        "merged",
        "居民（被合并诉求的上报人）",
        own_reporter,
        "您的诉求 {ref} 已与同一问题的诉求 {target} 合并办理",
    ),
    Rule("dispatched", "承办人（承办单位人员）", handlers, "新派单：{ref}，请签收"),
    Rule("acknowledged", "居民", reporters, "您的诉求 {ref} 已有专人签收办理"),
    Rule("returned", "派遣人（当前层级工作人员）", dispatchers, "诉求 {ref} 被退单，请重新派遣"),
    Rule("whistled", "被吹哨部门人员", summoned, "吹哨报到：诉求 {ref} 请于 {due} 前报到"),
    Rule("reported_in", "主办人", whistle_lead, "诉求 {ref}：{who} 已报到"),
    Rule("report_in_late", "未报到部门人员与吹哨人", late_reporters, "诉求 {ref}：{who} 未按时报到"),
    Rule("urged", "承办人", handlers_or_dispatchers, "督办：诉求 {ref}"),
    Rule("check_needed", "核查人（可核查且未参与办理）", checkers, "待核查：诉求 {ref} 已办结"),
    Rule("resolved", "居民", reporters, "您的诉求 {ref} 已办结{next}"),
    Rule("checked", "居民", reporters, "您的诉求 {ref} 已核查办结，请评价"),
    Rule("rework", "承办人", handlers_or_dispatchers, "诉求 {ref} 需返工重办"),
    Rule("closed", "居民", reporters, "您的诉求 {ref} 已结案"),
    Rule("extend_requested", "审批人（上级）", supervisors, "诉求 {ref} 申请延期，待审批"),
    Rule("hold_requested", "审批人（上级）", supervisors, "诉求 {ref} 申请缓办，待审批"),
    Rule("time_decided", "主办人", lead, "诉求 {ref} 的{label}申请{verdict}"),
    Rule("resumed", "承办人", handlers, "诉求 {ref} 恢复办理"),
    Rule("warned", "主办人", lead_or_dispatchers, "临期预警：诉求 {ref} 将于 {due} 到期"),
    Rule("escalated", "该层级督办人与主办人", overdue_recipients, "超期升级：诉求 {ref}（{card}）"),
)

BY_EVENT: dict[str, Rule] = {r.event: r for r in RULES}


def recipients_for(event: str, appeal: Appeal, **ctx: Any) -> list[User]:
    return _unique(BY_EVENT[event].recipients(appeal, ctx))


def _unique(users: Iterable[User | None]) -> list[User]:
    seen: set[int] = set()
    out = []
    for u in users:
        if u is not None and u.pk not in seen:
            seen.add(u.pk)
            out.append(u)
    return out


def send(
    event: str,
    appeal: Appeal,
    *,
    body: str = "",
    plain: bool = False,
    stored_as: str | None = None,
    **ctx: Any,
) -> None:
    """Notify the recipients of ``event`` (a row of ``RULES``) about ``appeal``.

    ``plain``: plain inserts in the caller's transaction, no savepoint (the hot submission path: a failure
    fails the submission, which the client retries with its idempotency key). Otherwise a notification
    failure is logged and never undoes the step."""
    rule = BY_EVENT[event]
    try:
        users = recipients_for(event, appeal, **ctx)
        if not users:
            return
        fields = {"ref": case_ref(appeal), "number": case_number(appeal), "title": case_title(appeal), **ctx}
        kwargs: dict[str, Any] = {
            "users": users,
            "event": f"appeal.{stored_as or event}",
            "title": rule.title.format(**fields),
            "body": body,
            "link": f"/appeals/{appeal.pk}/",
            "obj": appeal,
            "channels": rule.channels,
        }
    except Exception:
        if plain:
            raise
        log.exception("notify failed for appeal %s (%s)", appeal.pk, event)
        return
    if plain:
        notify(**kwargs, savepoint=False)
        return
    try:
        notify(**kwargs)
    except Exception:  # a notification failure must never undo a step of the loop
        log.exception("notify failed for appeal %s (%s)", appeal.pk, event)


__all__ = ["BY_EVENT", "RULES", "Rule", "case_ref", "recipients_for", "send"]
