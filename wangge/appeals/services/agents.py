"""红色代办员: the community appoints volunteers who take its service cases (代办/陪办/上门办)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from wangge.accounts.models import User
from wangge.accounts.roles import user_can
from wangge.areas.models import Area
from wangge.core.audit import audit
from wangge.core.errors import Forbidden, InvalidInput
from wangge.core.scoping import scope_for

from ..models import ErrandAgent


@transaction.atomic
def errand_agent_appoint(*, user_id: int, area_code: str, by: Any, active: bool = True) -> ErrandAgent:
    """Appoint (or, with ``active=False``, stand down) a volunteer as the community's 红色代办员. Only the
    community's staff (mobilisation managers in scope) may; the person must be a volunteer/party member."""
    if not user_can(by, "mobilisation.manage"):
        raise Forbidden("无权任命红色代办员")
    area = Area.objects.filter(code=str(area_code or "")[:17]).first()
    if area is None or not scope_for(by).contains(area.code):
        raise InvalidInput.field("area_code", "社区不存在或不在您的管辖范围内")
    if area.level != "community":
        raise InvalidInput.field("area_code", "红色代办员按社区任命")
    user = User.objects.filter(pk=user_id, is_active=True).first() if 0 < user_id < 2**63 else None
    if user is None or not user_can(user, "mobilisation.participate") or user_can(user, "appeals.handle"):
        raise InvalidInput.field("user_id", "只能任命志愿者/党员为红色代办员")
    agent, _created = ErrandAgent.objects.select_for_update().get_or_create(
        user=user, area=area, defaults={"appointed_by": by, "active": active}
    )
    if agent.active != active:
        agent.active = active
        agent.appointed_by = by
        agent.save(update_fields=["active", "appointed_by", "updated_at"])
    audit("update", agent, by=by, changes={"active": active})
    return agent
