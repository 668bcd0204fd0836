"""Reads for the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from wangge.core.errors import Forbidden
from wangge.core.roles import user_can

from .models import AuditLog


def audit_list(
    *,
    viewer: Any,
    actor: str | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditLog]:
    if not user_can(viewer, "audit.read"):
        raise Forbidden("仅管理员可查看审计日志")
    qs = AuditLog.objects.all()
    if actor:
        qs = qs.filter(actor_name=actor)
    if action:
        qs = qs.filter(action=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if since:
        qs = qs.filter(at__gte=since)
    if until:
        qs = qs.filter(at__lt=until)
    return qs
