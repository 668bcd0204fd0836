"""Who may take which step of the case loop: one predicate per role in the loop, ``(user, appeal) -> bool``.

``loop.py`` names, for each step, the predicate here that guards it; the services, ``allowed_actions``, the
pages and the API all read that table, so a step is offered exactly to those the service lets through.

Separation of duties (GB/T 30428 separates 监督 from 处置): whoever is on the handling side of a case —
its lead, a co-handler, whoever dispatched it to themselves or resolved it — may neither pass its on-site
check nor rate it. ``WANGGE_APPEALS_ALLOW_SELF_CHECK`` lets a tiny community's handlers check their own
work; such cases are marked ``self_checked`` and counted apart in the figures.
"""

from __future__ import annotations

from typing import Any

from wangge.accounts.roles import user_can
from wangge.core.scoping import scope_for

from . import conf
from .models import LEVEL_CODE_LENGTH, Appeal, EventKind, Level

SEPARATION_REFUSAL = "监督与处置分离：参与办理本诉求的人员不能核查或评价"
NO_RESIDENT_REFUSAL = "该诉求由网格员巡查发现，没有可评价的居民，请核查后直接结案"


def in_scope(user: Any, appeal: Appeal) -> bool:
    scope = scope_for(user)
    return scope.everything or (bool(appeal.area_code) and scope.contains(appeal.area_code))


def can_dispatch(user: Any, appeal: Appeal) -> bool:
    """A dispatcher of the case's current level or above (小事网格议、大事社区议; escalation moves it up)."""
    if not user_can(user, "appeals.dispatch"):
        return False
    scope = scope_for(user)
    if scope.everything:
        return True
    limit = LEVEL_CODE_LENGTH[Level(appeal.handling_level)]
    return any(appeal.area_code.startswith(c) and len(c) <= limit for c in scope.codes)


def can_supervise(user: Any, appeal: Appeal) -> bool:
    return user_can(user, "appeals.supervise") and in_scope(user, appeal)


def can_dispatch_or_supervise(user: Any, appeal: Appeal) -> bool:
    return can_dispatch(user, appeal) or can_supervise(user, appeal)


def is_errand_agent(user: Any, appeal: Appeal) -> bool:
    """红色代办员 of the case's community, for a service case (代办/陪办/上门办)."""
    if appeal.kind != Appeal.Kind.SERVICE or not appeal.area_code:
        return False
    if not user_can(user, "mobilisation.participate"):
        return False
    from .models import ErrandAgent

    return any(
        appeal.area_code.startswith(code)
        for code in ErrandAgent.objects.filter(user_id=user.pk, active=True).values_list(
            "area__code", flat=True
        )
    )


def may_handle(user: Any, appeal: Appeal) -> bool:
    """Handling rights: staff who handle cases, or an appointed 红色代办员 for a service case."""
    return user_can(user, "appeals.handle") or is_errand_agent(user, appeal)


def is_lead(user: Any, appeal: Appeal) -> bool:
    if (
        appeal.lead_user_id
        and appeal.lead_user_id == getattr(user, "pk", None)
        and is_errand_agent(user, appeal)
    ):
        return True
    if not user_can(user, "appeals.handle"):
        return False
    if appeal.lead_user_id and appeal.lead_user_id == user.pk:
        return True
    return bool(appeal.lead_unit_id and user.unit_id and appeal.lead_unit_id == user.unit_id)


def is_handler(user: Any, appeal: Appeal) -> bool:
    """The lead or an active co-handler (a person, a member of a unit, or staff of a summoned area)."""
    if is_lead(user, appeal):
        return True
    if not user_can(user, "appeals.handle"):
        return False
    scope = scope_for(user)
    for a in appeal.assignments.filter(active=True).select_related("area"):
        if a.user_id == user.pk or (a.unit_id and a.unit_id == user.unit_id):
            return True
        if a.area_id and a.area and (scope.everything or any(a.area.code.startswith(c) for c in scope.codes)):
            return True
    return False


def lead_or_supervisor(user: Any, appeal: Appeal) -> bool:
    return can_supervise(user, appeal) or is_lead(user, appeal)


def has_pending_report_in(user: Any, appeal: Appeal) -> bool:
    """A summoned unit's member, or staff of a summoned area, with a report-in still due."""
    scope = scope_for(user)
    for r in appeal.report_ins.filter(reported_at__isnull=True).select_related("area"):
        if r.unit_id and r.unit_id == getattr(user, "unit_id", None):
            return True
        if r.area_id and r.area and (scope.everything or any(r.area.code.startswith(c) for c in scope.codes)):
            return True
    return False


# --- separation of duties ----------------------------------------------------------------------------------


def on_handling_side(user: Any, appeal: Appeal) -> bool:
    """Lead, co-handler, the person the case was dispatched to (also by themselves), or whoever resolved it
    in this round."""
    if user is None or not getattr(user, "pk", None):
        return False
    if appeal.lead_user_id == user.pk or is_handler(user, appeal):
        return True
    return appeal.events.filter(
        kind=EventKind.RESOLVED, actor_id=user.pk, data__round=appeal.rework_count
    ).exists()


def self_check_allowed() -> bool:
    return bool(conf.get("ALLOW_SELF_CHECK"))


def may_check(user: Any, appeal: Appeal) -> bool:
    if not (user_can(user, "appeals.check") and in_scope(user, appeal)):
        return False
    return self_check_allowed() or not on_handling_side(user, appeal)


def may_rate(user: Any, appeal: Appeal) -> bool:
    """The reporter; for a reporter without an account (12345, phone), a dispatcher takes down their rating.
    Never someone on the handling side, and nobody for a patrol find (no resident to ask)."""
    if on_handling_side(user, appeal):
        return False
    if appeal.reporter_id:
        return appeal.reporter_id == user.pk
    if appeal.channel == Appeal.Channel.PATROL:
        return False
    return can_dispatch(user, appeal)


def check_refusal(user: Any, appeal: Appeal) -> str | None:
    if user_can(user, "appeals.check") and in_scope(user, appeal) and on_handling_side(user, appeal):
        return SEPARATION_REFUSAL
    return None


def rate_refusal(user: Any, appeal: Appeal) -> str | None:
    if on_handling_side(user, appeal):
        return SEPARATION_REFUSAL
    if not appeal.reporter_id and appeal.channel == Appeal.Channel.PATROL and can_dispatch(user, appeal):
        return NO_RESIDENT_REFUSAL
    return None


def may_reopen(user: Any, appeal: Appeal) -> bool:
    """重办: a supervisor or dispatcher, or the reporter (the service limits them to a few days after closing)."""
    return can_supervise(user, appeal) or can_dispatch(user, appeal) or appeal.reporter_id == user.pk


def own_case(user: Any, appeal: Appeal) -> bool:
    return getattr(user, "pk", None) in (appeal.reporter_id, appeal.submitted_by_id)
