"""Routing: which grid (by the location), which unit type (by the category), who (the grid's roster, the
building's property company, the department register, the community) and at which level (小事网格议、
大事社区议: by the category's severity)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wangge.accounts.models import Post, Unit, User
from wangge.areas.geo import distance_m
from wangge.areas.models import Area
from wangge.core.cache import VersionedCache, instance

from .models import Appeal, Category, HandlerType, Level, Severity

GRID_POSTS: list[str] = [Post.Kind.GRID_WORKER, Post.Kind.GRID_HEAD]
COMMUNITY_POSTS: list[str] = [Post.Kind.COMMUNITY_STAFF, Post.Kind.COMMUNITY_SECRETARY]


@dataclass
class Suggestion:
    """A suggested lead handler: a unit or a person (or neither when the register has nobody)."""

    level: str
    handler_type: str
    unit: Unit | None = None
    user: User | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "handler_type": self.handler_type,
            "unit": {"id": self.unit.pk, "name": self.unit.name} if self.unit else None,
            "user": {"id": self.user.pk, "name": str(self.user)} if self.user else None,
            "reason": self.reason,
        }


def initial_level(category: Category) -> str:
    return Level.COMMUNITY if category.severity == Severity.LARGE else Level.GRID


def _post_holder(area_code: str, kinds: list[str]) -> User | None:
    post = (
        Post.objects.filter(area__code=area_code, kind__in=kinds, active=True, user__is_active=True)
        .select_related("user")
        .order_by("kind", "id")
        .first()
    )
    return post.user if post else None


def property_company_for(appeal: Appeal) -> Unit | None:
    """The property company of the nearest building (with one) in the case's grid."""
    from wangge.registry.models import Building

    if not appeal.grid_id:
        return None
    buildings = list(
        Building.objects.filter(area_id=appeal.grid_id, property_company__isnull=False)
        .select_related("property_company")
        .only("lat", "lng", "property_company")
    )
    if not buildings:
        return None
    if appeal.lat is not None and appeal.lng is not None:
        located = [b for b in buildings if b.lat is not None and b.lng is not None]
        if located:
            best = min(located, key=lambda b: distance_m(appeal.lat, appeal.lng, b.lat, b.lng))  # type: ignore[arg-type]
            return best.property_company
    return buildings[0].property_company


def department_for(category: Category, area_code: str) -> Unit | None:
    """The department named by the category (a local unit's full name contains it, e.g. 海安市城市管理局 for
    城市管理局); one serving an area that contains the case wins."""
    if not category.department_name:
        return None
    units = list(
        Unit.objects.filter(
            kind=Unit.Kind.DEPARTMENT, name__contains=category.department_name
        ).select_related("area")
    )
    serving = [u for u in units if u.area is None or area_code.startswith(u.area.code)]
    serving.sort(key=lambda u: -(len(u.area.code) if u.area else 0))
    best = serving or units
    return best[0] if best else None


def suggest_handler(appeal: Appeal) -> Suggestion:
    category = appeal.category
    level = appeal.handling_level or initial_level(category)
    code = appeal.area_code or ""
    kind = category.handler_type
    if kind == HandlerType.PROPERTY:
        unit = property_company_for(appeal)
        if unit:
            return Suggestion(level, kind, unit=unit, reason="楼栋所属物业公司")
    elif kind == HandlerType.DEPARTMENT:
        unit = department_for(category, code)
        if unit:
            return Suggestion(level, kind, unit=unit, reason=f"部门名录：{category.department_name}")
    elif kind == HandlerType.GRID and level == Level.GRID and len(code) >= 15:
        user = _post_holder(code[:15], GRID_POSTS)
        if user:
            return Suggestion(level, kind, user=user, reason="网格员")
    # Community-level matters, and the fallback when the register names nobody: the community itself.
    if len(code) >= 12:
        user = _post_holder(code[:12], COMMUNITY_POSTS)
        if user:
            return Suggestion(level, HandlerType.COMMUNITY, user=user, reason="社区兜底")
    return Suggestion(level, kind, reason="未找到处置人，请手动指定")


def level_area_code(area_code: str, level: str) -> str:
    """The code of the area at ``level`` containing ``area_code`` (a prefix)."""
    from .models import LEVEL_CODE_LENGTH

    return area_code[: LEVEL_CODE_LENGTH[Level(level)]]


def staff_of_area(area_code: str) -> list[User]:
    """Active post holders of exactly this area (who gets told when a case lands at their level)."""
    if not area_code:
        return []
    rows = _staff.get(
        area_code,
        lambda: list(
            User.objects.filter(posts__area__code=area_code, posts__active=True, is_active=True)
            .distinct()
            .values(*_USER_FIELDS)
        ),
    )
    return [instance(User, values) for values in rows]


_USER_FIELDS = [f.attname for f in User._meta.concrete_fields]
# An area's active post holders, per process; flushed when any post or any user's role/activity changes.
_staff: VersionedCache[list[dict[str, Any]]] = VersionedCache(["post", "user"])


def area_by_code(code: str) -> Area | None:
    return Area.objects.filter(code=code).first()
