"""The one mechanism for area scope. Every selector that lists or gets area-bound records calls
``scope_for(viewer).q("<path to the area code>")``.

Area codes are hierarchical (GB/T 30428.1): a subtree is a code prefix, so the scope of a user is the set
of codes of the areas they hold posts in, and "inside the scope" is ``code startswith`` one of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from wangge.accounts.roles import Role

# Roles whose area scope comes from their posts. Administrators see everything; other roles (residents,
# volunteers, departments, property companies) have no area scope and reach records through their own links.
AREA_ROLES = {Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.DISTRICT}


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    codes: tuple[str, ...] = ()

    def q(self, code_path: str) -> Q:
        """A filter for records whose area code (at ``code_path``) lies inside the scope."""
        if self.everything:
            return Q()
        if not self.codes:
            return Q(pk__in=[])
        q = Q()
        for code in self.codes:
            q |= Q(**{f"{code_path}__startswith": code})
        return q

    def contains(self, code: str | None) -> bool:
        if self.everything:
            return True
        return bool(code) and any(code.startswith(c) for c in self.codes)  # type: ignore[union-attr]

    @property
    def empty(self) -> bool:
        return not self.everything and not self.codes


def _minimal(codes: set[str]) -> tuple[str, ...]:
    """Drop codes already covered by a shorter prefix in the set."""
    out: list[str] = []
    for code in sorted(codes, key=len):
        if not any(code.startswith(c) for c in out):
            out.append(code)
    return tuple(sorted(out))


def scope_for(user) -> Scope:  # type: ignore[no-untyped-def]
    """The area scope of ``user``, cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope()
    cached = getattr(user, "_wangge_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser or user.role == Role.ADMIN:
        scope = Scope(everything=True)
    elif user.role in AREA_ROLES:
        codes = set(user.posts.filter(active=True).values_list("area__code", flat=True))
        scope = Scope(codes=_minimal(codes))
    else:
        scope = Scope()
    user._wangge_scope = scope
    return scope
