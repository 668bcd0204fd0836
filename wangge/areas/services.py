"""Writes for the area tree. Boundaries are validated here; every boundary change bumps the index version."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from wangge.accounts.roles import user_can
from wangge.core.audit import audit
from wangge.core.errors import Forbidden, InvalidInput, from_django_validation

from . import geo
from .models import CHILD_LEVEL, CODE_LENGTH, Area, AreaIndexState, Level


def bump_index_version() -> None:
    """Tell every process to rebuild its point-in-grid index (this one at once, others within seconds)."""
    from .selectors import invalidate_index

    updated = AreaIndexState.objects.filter(pk=1).update(version=F("version") + 1)
    if not updated:
        AreaIndexState.objects.get_or_create(pk=1, defaults={"version": 1})
    invalidate_index()


def _check_boundary(area: Area, boundary: Any) -> Any:
    try:
        geom = geo.parse_boundary(boundary)
        if area.parent_id and area.parent and area.parent.boundary:
            geo.check_inside(
                geom, geo.parse_boundary(area.parent.boundary), settings.WANGGE_BOUNDARY_OUTSIDE_TOLERANCE_M2
            )
        siblings = Area.objects.filter(parent_id=area.parent_id, level=area.level, boundary__isnull=False)
        if area.pk:
            siblings = siblings.exclude(pk=area.pk)
        geo.check_no_overlap(
            geom,
            ((s.name, geo.parse_boundary(s.boundary)) for s in siblings),
            settings.WANGGE_BOUNDARY_OVERLAP_TOLERANCE_M2,
        )
    except geo.BoundaryError as exc:
        raise InvalidInput.field("boundary", str(exc)) from exc
    return geom


def _check_code(*, code: str, level: str, parent: Area | None) -> None:
    if level not in CODE_LENGTH:
        raise InvalidInput.field("level", f"未知层级 {level}")
    if len(code) != CODE_LENGTH[Level(level)] or not code.isdigit():
        raise InvalidInput.field("code", f"{Level(level).label}编码须为{CODE_LENGTH[Level(level)]}位数字")
    if parent is None:
        if level != Level.DISTRICT:
            raise InvalidInput.field("parent", "只有区县可以没有上级")
        return
    if CHILD_LEVEL.get(Level(parent.level)) != level:
        raise InvalidInput.field("level", f"{parent.get_level_display()}的下级不能是{Level(level).label}")
    if not code.startswith(parent.code):
        raise InvalidInput.field("code", f"编码须以上级编码 {parent.code} 开头")


@transaction.atomic
def area_create(
    *,
    code: str,
    name: str,
    level: str,
    parent: Area | None,
    by: Any,
    boundary: Any = None,
    grid_type: str = "",
    dedicated_kind: str = "",
    validate_boundary: bool = True,
) -> Area:
    """Create an area. ``validate_boundary=False`` is for bulk loaders that validated the tiling themselves."""
    if by is not None and not user_can(by, "areas.write"):
        raise Forbidden("无权维护区域")
    _check_code(code=code, level=level, parent=parent)
    if level == Level.GRID and not grid_type:
        grid_type = Area.GridType.COMPREHENSIVE
    area = Area(
        code=code, name=name, level=level, parent=parent, grid_type=grid_type, dedicated_kind=dedicated_kind
    )
    if boundary is not None:
        geom = _check_boundary(area, boundary) if validate_boundary else geo.parse_boundary(boundary)
        area.boundary = boundary
        c = geom.representative_point()
        area.center_lat, area.center_lng = c.y, c.x
    try:
        area.full_clean()
    except ValidationError as exc:
        raise from_django_validation(exc) from exc
    area.save()
    if boundary is not None:
        bump_index_version()
    audit("create", area, by=by)
    return area


@transaction.atomic
def area_set_boundary(*, area: Area, boundary: Any, by: Any) -> Area:
    if not user_can(by, "areas.write"):
        raise Forbidden("无权维护区域")
    geom = _check_boundary(area, boundary)
    area.boundary = boundary
    c = geom.representative_point()
    area.center_lat, area.center_lng = c.y, c.x
    area.save(update_fields=["boundary", "center_lat", "center_lng", "updated_at"])
    bump_index_version()
    audit("update", area, by=by, changes={"boundary": "(changed)"})
    return area
