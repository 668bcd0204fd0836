"""Roles and what each may do. Area scope (which records) is separate: see ``wangge.core.scoping``.

A permission is a plain string ``<context>.<verb>``. Apps check them with ``user_can(user, perm)``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RESIDENT = "resident", _("居民")
    GRID_WORKER = "grid_worker", _("网格员")
    COMMUNITY_STAFF = "community_staff", _("社区工作人员")
    STREET_STAFF = "street_staff", _("街道工作人员")
    DISTRICT = "district", _("区指挥中心")
    DEPARTMENT_STAFF = "department_staff", _("职能部门人员")
    PROPERTY_STAFF = "property_staff", _("物业人员")
    VOLUNTEER = "volunteer", _("志愿者/党员")
    ADMIN = "admin", _("系统管理员")


_STAFF_READ = {
    "areas.read",
    "registry.read",
    "registry.export",
    "appeals.read",
    "mobilisation.read",
    "projects.read",
    "assessment.read",
}
_AREA_STAFF = _STAFF_READ | {
    "registry.write",
    "registry.import",
    "registry.approve",
    "pii.reveal",
    "appeals.submit",
    "appeals.dispatch",
    "appeals.handle",
    "appeals.check",
    "appeals.supervise",
    "mobilisation.manage",
    "deliberation.manage",
    "places.manage",
    "projects.manage",
    "attendance.manage",
    "attendance.checkin",
    "assessment.manage",
    "assessment.confirm",
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.RESIDENT: frozenset({"appeals.submit", "mobilisation.participate"}),
    Role.VOLUNTEER: frozenset({"appeals.submit", "mobilisation.participate"}),
    Role.GRID_WORKER: frozenset(
        (
            _AREA_STAFF
            - {
                "appeals.supervise",
                "registry.approve",
                "projects.manage",
                "attendance.manage",
                "assessment.manage",
                "assessment.confirm",
            }
        )
        | {"mobilisation.participate"}
    ),
    Role.COMMUNITY_STAFF: frozenset(_AREA_STAFF),
    Role.STREET_STAFF: frozenset(_AREA_STAFF | {"projects.approve"}),
    Role.DISTRICT: frozenset(_AREA_STAFF | {"audit.read", "metrics.read_all", "projects.approve"}),
    # Dispatched cadres (第一书记/下沉干部) mostly come from departments and agencies: they check in.
    Role.DEPARTMENT_STAFF: frozenset({"appeals.read", "appeals.handle", "attendance.checkin"}),
    Role.PROPERTY_STAFF: frozenset({"appeals.read", "appeals.handle"}),
    Role.ADMIN: frozenset(
        _AREA_STAFF
        | {
            "audit.read",
            "areas.write",
            "config.write",
            "metrics.read_all",
            "mobilisation.participate",
            "projects.approve",
        }
    ),
}


def user_can(user, perm: str) -> bool:  # type: ignore[no-untyped-def]
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return perm in ROLE_PERMISSIONS.get(user.role, frozenset())
