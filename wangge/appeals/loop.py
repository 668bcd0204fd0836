"""The case loop as one table: each step's name (its URL slug), label, the states it may start from, the
permission predicate (``permissions.py``) that guards it, its API input schema and its service.

Read by the service guard (``services._common.step_guard``), ``selectors.allowed_actions`` (what is offered),
the pages (labels, which forms to show) and the API (one POST endpoint per step with a schema, generated
from this table). Adding a step: one row here and one service function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import permissions as p
from . import schemas
from .models import Appeal, State, TimeRequest

ACTIVE_STATES = (State.DISPATCHED, State.ACKNOWLEDGED, State.IN_PROGRESS)
OPEN_STATES = (State.SUBMITTED, State.OPENED, *ACTIVE_STATES, State.RESOLVED)

Predicate = Callable[[Any, Appeal], bool]


@dataclass(frozen=True)
class Step:
    name: str
    label: Promise
    states: tuple[str, ...]
    allowed: Predicate
    service: str  # the function's name in ``wangge.appeals.services``
    schema: type[schemas.Schema] | None = None  # None: no endpoint of its own (reached via another's action)
    # An extra condition on the case for *offering* the step (the service decides with its own message).
    when: Callable[[Appeal], bool] | None = None
    # Why the predicate refuses, when there is a reason worth telling (else "无权执行此操作").
    refusal: Callable[[Any, Appeal], str | None] | None = None
    rename: dict[str, str] = field(default_factory=dict)  # payload field → service keyword
    fixed: dict[str, Any] = field(default_factory=dict)  # service keywords the page form does not carry
    doc: str = ""

    def offered(self, user: Any, appeal: Appeal) -> bool:
        if appeal.state not in self.states:
            return False
        if self.when is not None and not self.when(appeal):
            return False
        return bool(self.allowed(user, appeal))

    def refusal_for(self, user: Any, appeal: Appeal) -> str:
        return (self.refusal(user, appeal) if self.refusal else None) or "无权执行此操作"


def _pending(kind: str | None) -> Callable[[Appeal], bool]:
    def check(appeal: Appeal) -> bool:
        qs = TimeRequest.objects.filter(appeal=appeal, status=TimeRequest.Status.PENDING)
        if kind is None:
            return not qs.exists()
        return qs.filter(kind=kind).exists()

    return check


def _no_pending_and_not_held(appeal: Appeal) -> bool:
    return not appeal.on_hold and _pending(None)(appeal)


def _close_offered(appeal: Appeal) -> bool:
    return appeal.state != State.OPENED or appeal.kind in (Appeal.Kind.QUESTION, Appeal.Kind.SUGGESTION)


STEPS: tuple[Step, ...] = (
    Step("accept", _("立案"), (State.SUBMITTED,), p.can_dispatch, "appeal_accept", schemas.StepIn),
    Step(
        "cancel",
        _("作废"),
        (State.SUBMITTED, State.OPENED),
        p.can_dispatch,
        "appeal_cancel",
        schemas.ReasonIn,
    ),
    Step(
        "merge",
        _("合并重复"),
        (State.SUBMITTED, State.OPENED),
        p.can_dispatch,
        "appeal_merge",
        schemas.MergeIn,
        rename={"into": "into_id"},
    ),
    Step("dispatch", _("派遣"), (State.OPENED,), p.can_dispatch, "appeal_dispatch", schemas.DispatchIn),
    Step("acknowledge", _("签收"), (State.DISPATCHED,), p.is_lead, "appeal_acknowledge", schemas.StepIn),
    Step(
        "return",
        _("退单"),
        (State.DISPATCHED, State.ACKNOWLEDGED),
        p.is_lead,
        "appeal_return",
        schemas.ReasonIn,
    ),
    Step("start", _("开始处置"), (State.ACKNOWLEDGED,), p.is_lead, "appeal_start", schemas.StepIn),
    Step(
        "resolve",
        _("办结"),
        (State.ACKNOWLEDGED, State.IN_PROGRESS),
        p.is_lead,
        "appeal_resolve",
        schemas.ResolveIn,
    ),
    Step(
        "extend",
        _("申请延期"),
        ACTIVE_STATES,
        p.is_lead,
        "appeal_extend",
        schemas.ExtendIn,
        when=_pending(None),
        fixed={"action": "request"},
        doc="延期: ``action`` request (the lead, with amount + unit + reason), approve or reject (a supervisor).",
    ),
    Step(
        "hold",
        _("申请缓办"),
        ACTIVE_STATES,
        p.is_lead,
        "appeal_hold",
        schemas.HoldIn,
        when=_no_pending_and_not_held,
        fixed={"action": "request"},
        doc="缓办: ``action`` request, approve, reject or resume; the clock pauses while on hold.",
    ),
    Step(
        "decide-extend",
        _("审批延期"),
        ACTIVE_STATES,
        p.can_supervise,
        "appeal_extend",
        when=_pending(TimeRequest.Kind.EXTEND),
    ),
    Step(
        "decide-hold",
        _("审批缓办"),
        ACTIVE_STATES,
        p.can_supervise,
        "appeal_hold",
        when=_pending(TimeRequest.Kind.HOLD),
    ),
    Step(
        "resume",
        _("恢复办理"),
        ACTIVE_STATES,
        p.lead_or_supervisor,
        "appeal_hold",
        when=lambda a: a.on_hold,
        fixed={"action": "resume"},
    ),
    Step(
        "whistle",
        _("吹哨"),
        (State.OPENED, *ACTIVE_STATES),
        p.can_dispatch_or_supervise,
        "appeal_whistle",
        schemas.WhistleIn,
    ),
    Step(
        "report-in",
        _("报到"),
        (State.OPENED, *ACTIVE_STATES),
        p.has_pending_report_in,
        "appeal_report_in",
        schemas.StepIn,
    ),
    Step("urge", _("督办"), (State.OPENED, *ACTIVE_STATES), p.can_supervise, "appeal_urge", schemas.UrgeIn),
    Step(
        "check",
        _("现场核查"),
        (State.RESOLVED,),
        p.may_check,
        "appeal_check",
        schemas.CheckIn,
        when=lambda a: not a.check_passed,
        refusal=p.check_refusal,
    ),
    Step(
        "rate",
        _("评价"),
        (State.RESOLVED,),
        p.may_rate,
        "appeal_rate",
        schemas.RateIn,
        refusal=p.rate_refusal,
    ),
    Step(
        "reopen",
        _("重新办理"),
        (State.RESOLVED, State.CLOSED),
        p.may_reopen,
        "appeal_reopen",
        schemas.ReasonIn,
    ),
    Step(
        "close",
        _("结案"),
        (State.RESOLVED, State.OPENED),
        p.can_dispatch,
        "appeal_close",
        schemas.StepIn,
        when=_close_offered,
    ),
)

BY_NAME: dict[str, Step] = {s.name: s for s in STEPS}


def step(name: str) -> Step:
    return BY_NAME[name]


def offered_steps(user: Any, appeal: Appeal) -> list[str]:
    """The steps ``user`` could take now, in the table's order."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return [s.name for s in STEPS if s.offered(user, appeal)]


def service_for(s: Step) -> Callable[..., Any]:
    from . import services

    return getattr(services, s.service)  # type: ignore[no-any-return]


def service_kwargs(s: Step, payload: dict[str, Any]) -> dict[str, Any]:
    """A payload (the API schema's or a page form's fields) as the service's keywords."""
    out = {s.rename.get(k, k): v for k, v in payload.items()}
    for k, v in s.fixed.items():
        out.setdefault(k, v)
    return out
