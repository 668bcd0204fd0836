"""Every write of the case loop, split by stage; import from here (``from wangge.appeals.services import
appeal_dispatch``) — the stage modules are an inner layout.

- ``intake``: submit, attachments, 立案 / 作废 / 合并;
- ``dispatch``: 派遣, 签收, 退单, 吹哨报到, 督办;
- ``handling``: 开始处置, 办结, 延期 / 缓办;
- ``closing``: 现场核查, 评价, 重办, 结案;
- ``tick``: the periodic job (warnings, escalation, late report-ins, auto-close).

Which step may start from which state and who may take it is the table in ``wangge.appeals.loop``; the
predicates live in ``wangge.appeals.permissions``. All services take an optional ``now`` so demo data and
tests can run the loop on a fixed clock.
"""

from ..loop import ACTIVE_STATES, OPEN_STATES
from ..permissions import can_dispatch, can_supervise, in_scope, is_handler, is_lead
from ._common import (
    RESIDENT_CHANNELS,
    SELF_VERIFIED_CHANNELS,
    STATE_LABELS,
    add_working_time,
    audit_reveal,
    compute_deadline,
    working_hours_between,
)
from .agents import errand_agent_appoint
from .closing import appeal_check, appeal_close, appeal_rate, appeal_reopen
from .dispatch import (
    appeal_acknowledge,
    appeal_dispatch,
    appeal_report_in,
    appeal_return,
    appeal_urge,
    appeal_whistle,
)
from .handling import appeal_extend, appeal_hold, appeal_resolve, appeal_start
from .intake import (
    appeal_accept,
    appeal_cancel,
    appeal_merge,
    appeal_submit,
    attachment_add,
    category_for_report,
)
from .tick import appeals_tick

__all__ = [
    "ACTIVE_STATES",
    "OPEN_STATES",
    "RESIDENT_CHANNELS",
    "SELF_VERIFIED_CHANNELS",
    "STATE_LABELS",
    "add_working_time",
    "appeal_accept",
    "appeal_acknowledge",
    "appeal_cancel",
    "appeal_check",
    "appeal_close",
    "appeal_dispatch",
    "appeal_extend",
    "appeal_hold",
    "appeal_merge",
    "appeal_rate",
    "appeal_reopen",
    "appeal_report_in",
    "appeal_resolve",
    "appeal_return",
    "appeal_start",
    "appeal_submit",
    "appeal_urge",
    "appeal_whistle",
    "appeals_tick",
    "attachment_add",
    "audit_reveal",
    "errand_agent_appoint",
    "can_dispatch",
    "can_supervise",
    "category_for_report",
    "compute_deadline",
    "in_scope",
    "is_handler",
    "is_lead",
    "working_hours_between",
]
