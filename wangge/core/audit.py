"""Writing to the audit log. Called by services (and by selectors for reveals), never by views."""

from __future__ import annotations

from typing import Any

from django.db import models

from .middleware import current_ip
from .models import AuditLog


def audit(
    action: str,
    obj: models.Model | None = None,
    *,
    by: Any,
    object_type: str | None = None,
    object_id: str | int | None = None,
    changes: dict[str, Any] | None = None,
    note: str = "",
    actor_name: str = "",
) -> AuditLog:
    """``actor_name`` names an actor who has no account row, e.g. the login typed in a failed attempt."""
    actor = by if getattr(by, "pk", None) else None
    return AuditLog.objects.create(
        actor=actor,
        actor_name=(actor_name or getattr(by, "username", "") or "system")[:150],
        action=action,
        object_type=object_type or (obj._meta.label_lower if obj is not None else ""),
        object_id=str(object_id if object_id is not None else (obj.pk if obj is not None else "")),
        object_repr=str(obj)[:200] if obj is not None else "",
        changes=changes or {},
        ip=current_ip.get(),
        note=note[:300],
    )


def changed_fields(
    before: dict[str, Any], after: dict[str, Any], *, secret: frozenset[str] = frozenset()
) -> dict:
    """The fields that differ; secret fields are recorded as changed without their values."""
    out: dict[str, Any] = {}
    for key, new in after.items():
        old = before.get(key)
        if old != new:
            out[key] = "(changed)" if key in secret else [_plain(old), _plain(new)]
    return out


def _plain(v: Any) -> Any:
    return v if isinstance(v, (str, int, float, bool, type(None))) else str(v)
