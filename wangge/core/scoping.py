"""The one mechanism for area scope. Every selector that lists or gets area-bound records calls
``scope_for(viewer).q("<path to the area code>")``.

Area codes are hierarchical (GB/T 30428.1): a subtree is a code prefix, so the scope of a user is the set
of codes of the areas they hold posts in, and "inside the scope" is ``code startswith`` one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.cache import VersionedCache
from wangge.core.roles import Role

ALWAYS = ~Q(pk__in=[])  # matches every row; unlike ``Q()`` it survives being OR-ed with another Q
NEVER = Q(pk__in=[])

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
            return ALWAYS
        if not self.codes:
            return NEVER
        q = Q()
        for code in self.codes:
            q |= Q(**{f"{code_path}__startswith": code})
        return q

    def range_q(self, code_path: str) -> Q:
        """Like ``q``, as index ranges: ``code >= prefix AND code < prefix-with-its-last-character-bumped``
        (in byte order, exactly the strings starting with the prefix). A plain b-tree index on the code
        serves it on any collation, and serves ``ORDER BY code`` at the same time; ``LIKE 'prefix%'`` needs
        the C collation or a pattern-ops index, which then cannot serve the order."""
        if self.everything:
            return ALWAYS
        if not self.codes:
            return NEVER
        q = Q()
        for code in self.codes:
            q |= prefix_range(code_path, code)
        return q

    def contains(self, code: str | None) -> bool:
        if self.everything:
            return True
        return bool(code) and any(code.startswith(c) for c in self.codes)  # type: ignore[union-attr]

    @property
    def empty(self) -> bool:
        return not self.everything and not self.codes


def prefix_range(path: str, prefix: str) -> Q:
    """``path`` starts with ``prefix``, as a range an ordinary b-tree index serves."""
    if not prefix:
        return ALWAYS
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return Q(**{f"{path}__gte": prefix, f"{path}__lt": upper})


def _minimal(codes: set[str]) -> tuple[str, ...]:
    """Drop codes already covered by a shorter prefix in the set."""
    out: list[str] = []
    for code in sorted(codes, key=len):
        if not any(code.startswith(c) for c in out):
            out.append(code)
    return tuple(sorted(out))


def _active_post_codes(user) -> set[str]:  # type: ignore[no-untyped-def]
    return set(user.posts.filter(active=True).values_list("area__code", flat=True))


# A staff member's minimal post codes, per process: flushed when any post, user or area changes (the
# database's change stamps, see wangge.core.cache), so a new or ended post is seen by the next request.
_post_codes: VersionedCache[tuple[str, ...]] = VersionedCache(["post", "user", "area"])


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
        scope = Scope(codes=_post_codes.get(user.pk, lambda: _minimal(_active_post_codes(user))))
    else:
        scope = Scope()
    user._wangge_scope = scope
    return scope


# --- scope as a queryset method -------------------------------------------------------------------------
#
# Each area-bound model declares its scope once (NetBox's ``restrict(user, action)`` is the model):
#
#     class Building(ScopedModel):
#         scope_path = "area__code"
#         objects = ScopedManager()
#
# and may widen it for records people reach through their own links (a resident's own case) by overriding
# ``visible_q``. Every selector, view and API look-up starts from ``Model.objects.visible_to(viewer)`` or
# ``get_visible_or_404``: out of scope answers 404, exactly as missing.


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, viewer, action: str = "view"):  # type: ignore[no-untyped-def]
        """The rows ``viewer`` may see (or act on, for another ``action``)."""
        return self.filter(self.model.visible_q(viewer, action))


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)


class ScopedModel(models.Model):
    """An area-bound model: ``scope_path`` leads from the row to its area's code."""

    scope_path: ClassVar[str] = "area__code"
    # True when ``scope_path`` is a denormalised code column with a b-tree index: filtered as ranges.
    scope_ranged: ClassVar[bool] = False
    objects = ScopedManager()

    class Meta:
        abstract = True

    @classmethod
    def visible_q(cls, viewer, action: str = "view") -> Q:  # type: ignore[no-untyped-def]
        """The filter for rows ``viewer`` may see. Override to add the viewer's own links (OR them in)."""
        scope = scope_for(viewer)
        return scope.range_q(cls.scope_path) if cls.scope_ranged else scope.q(cls.scope_path)


def get_visible_or_404(source, viewer, action: str = "view", **lookup):  # type: ignore[no-untyped-def]
    """The one row matching ``lookup`` that ``viewer`` may see, or NotFound (404) — the same for out of
    scope as for missing, so ids cannot be probed. ``source`` is a scoped model or one of its querysets."""
    from wangge.core.errors import NotFound

    qs = source if isinstance(source, models.QuerySet) else source._default_manager.all()
    try:
        return qs.visible_to(viewer, action).get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(str(_("未找到"))) from None
    except qs.model.MultipleObjectsReturned:  # pragma: no cover - lookups are by unique keys
        raise NotFound(str(_("未找到"))) from None


def scoped_models() -> list[type[models.Model]]:
    """Every model that declares a scope (the role-matrix tests walk these)."""
    from django.apps import apps

    return [m for m in apps.get_models() if isinstance(m._default_manager.all(), ScopedQuerySet)]
