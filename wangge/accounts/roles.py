"""Roles and permissions live in ``wangge.core.roles`` (core may import no app above it); this module keeps
the old import path working for the apps."""

from wangge.core.roles import ROLE_PERMISSIONS, Role, user_can

__all__ = ["ROLE_PERMISSIONS", "Role", "user_can"]
