"""Places API: list and read (public information to the signed-in), the nearest open places to a point,
5-minute-circle coverage per grid, staff edits in scope, and service requests made at a place."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from wangge.areas.models import Area
from wangge.core.errors import InvalidInput
from wangge.core.schemas import ErrorOut
from wangge.core.scoping import get_visible_or_404
from wangge.workdays.selectors import calendar_current

from . import geo, selectors, services
from .models import Place
from .schemas import (
    DutyShiftIn,
    DutyShiftOut,
    PlaceCoverageOut,
    PlaceIn,
    PlaceNearbyFilter,
    PlaceNearbyOut,
    PlaceOut,
    PlacePatch,
    PlaceRequestIn,
    PlaceRequestOut,
)

router = Router(tags=["places"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def place_out(p: Place, *, at: Any = None, cal: Any = None) -> dict[str, Any]:
    at = at or timezone.now()
    open_now = selectors.is_open(p, at, cal)
    return {
        "id": p.pk,
        "name": p.name,
        "kind": p.kind,
        "kind_display": str(p.get_kind_display()),
        "area_code": p.area.code,
        "area_name": p.area.name,
        "lat": p.lat,
        "lng": p.lng,
        "address": p.address,
        "phone": p.phone,
        "capacity": p.capacity,
        "hours": p.hours or {},
        "holiday_hours": p.holiday_hours or [],
        "services": [{"code": s.code, "name": s.name, "kind": s.kind} for s in p.services.all()],
        "active": p.active,
        "open_now": open_now,
        "opens_at": None if open_now else selectors.next_opening(p, at, cal),
    }


def _area(request: HttpRequest, code: str | None) -> Area:
    if not code:
        area = selectors.home_area(request.user)
        if area is None:
            raise InvalidInput.field("area", "请选择区域")
        return area
    return get_visible_or_404(Area, request.user, code=code)


@router.get("/places", response={200: list[PlaceOut], **ERRORS})
def places_list(  # type: ignore[no-untyped-def]
    request: HttpRequest, area: str | None = None, kind: str | None = None, limit: int = 50, offset: int = 0
):
    """Places the viewer may see (every active place; staff also the inactive ones of their scope)."""
    now = timezone.now()
    cal = calendar_current()
    qs = selectors.place_list(request.user, area=area, kind=kind)[offset : offset + limit]
    return [place_out(p, at=now, cal=cal) for p in qs]


@router.get("/places/nearest", response={200: list[PlaceNearbyOut], **ERRORS})
def places_nearest(request: HttpRequest, filters: Query[PlaceNearbyFilter]):  # type: ignore[no-untyped-def]
    """The nearest places to a WGS84 point by walking distance (straight line × detour factor), open now
    unless ``include_closed``; ``in_circle`` says whether the point lies in the place's 5-minute circle."""
    f = filters
    now = timezone.now()
    found = selectors.nearest(
        request.user, f.lat, f.lng, at=now, kind=f.kind, service=f.service, open_only=not f.include_closed,
        limit=f.limit,
    )  # fmt: skip
    return [
        {**place_out(n.place, at=now), "walking_m": round(n.walking_m), "in_circle": n.in_circle}
        for n in found
    ]


@router.get("/places/coverage", response={200: PlaceCoverageOut, **ERRORS})
def places_coverage(request: HttpRequest, area: str | None = None):  # type: ignore[no-untyped-def]
    """Per grid under ``area``: the share of households, and of special households, inside some place's
    5-minute circle. Special-household counts below the disclosure minimum are withheld (null)."""
    target = _area(request, area)
    minimum = int(getattr(settings, "WANGGE_MAP_SUPPRESS_BELOW", 5))
    rows = []
    for g in selectors.coverage(request.user, target):
        shown = g.special >= minimum
        rows.append(
            {
                "grid_code": g.grid.code,
                "grid_name": g.grid.name,
                "households": g.households,
                "covered": g.covered,
                "rate": g.rate,
                "special": g.special if shown else None,
                "special_covered": g.special_covered if shown else None,
                "special_rate": g.special_rate if shown else None,
            }
        )
    return {
        "area_code": target.code,
        "circle_walk_m": geo.circle_walk_m(),
        "circle_radius_m": round(geo.circle_radius_m(), 1),
        "detour_factor": geo.detour_factor(),
        "grids": rows,
    }


@router.get("/places/{int:pk}", response={200: PlaceOut, **ERRORS})
def places_get(request: HttpRequest, pk: int):  # type: ignore[no-untyped-def]
    return place_out(selectors.place_get(request.user, pk))


@router.post("/places", response={201: PlaceOut, **ERRORS})
def places_create(request: HttpRequest, data: PlaceIn):  # type: ignore[no-untyped-def]
    fields = data.dict()
    area = get_visible_or_404(Area, request.user, code=fields.pop("area"))
    place = services.place_create(by=request.user, area=area, data=fields)
    return Status(201, place_out(selectors.place_get(request.user, place.pk)))


@router.patch("/places/{int:pk}", response={200: PlaceOut, **ERRORS})
def places_update(request: HttpRequest, pk: int, data: PlacePatch):  # type: ignore[no-untyped-def]
    fields = data.dict(exclude_unset=True)
    for key in ("name", "kind", "lat", "lng", "active"):
        if key in fields and fields[key] is None:
            raise InvalidInput.field(key, "不能为空")
    services.place_update(by=request.user, place_id=pk, data=fields)
    return place_out(selectors.place_get(request.user, pk))


@router.post("/places/{int:pk}/requests", response={201: PlaceRequestOut, **ERRORS})
def places_request(request: HttpRequest, pk: int, data: PlaceRequestIn):  # type: ignore[no-untyped-def]
    """Ask a place for one of its errand services (代办/陪办/上门办): a case of kind service at the place."""
    r = services.place_request(
        by=request.user, place_id=pk, service=data.service, description=data.description
    )
    return Status(
        201,
        {
            "id": r.pk,
            "place_id": r.place_id,
            "service": r.service.code,
            "appeal_id": r.appeal_id,
            "appeal_number": f"#{r.appeal_id}",
            "appeal_status": r.appeal.state,
        },
    )


def duty_out(d: Any) -> dict[str, Any]:
    return {
        "id": d.pk,
        "date": d.date,
        "shift": d.shift,
        "shift_display": str(d.get_shift_display()),
        "name": str(d.user),
    }


@router.get("/places/{int:pk}/duties", response={200: list[DutyShiftOut], **ERRORS})
def places_duties(request: HttpRequest, pk: int, days: int = 14):  # type: ignore[no-untyped-def]
    """A place's duty roster (值班表) from today for ``days`` days: who is on duty at which shift, by name."""
    if not 1 <= days <= 62:
        raise InvalidInput.field("days", "天数须在1到62之间", label="天数")
    place = selectors.place_get(request.user, pk)
    return [duty_out(d) for d in selectors.duty_list(place, days=days)]


@router.post("/places/{int:pk}/duties", response={201: DutyShiftOut, **ERRORS})
def places_duty_add(request: HttpRequest, pk: int, data: DutyShiftIn):  # type: ignore[no-untyped-def]
    """Put a person on the roster (staff of the place's area); the same person at the same shift elsewhere is 409."""
    d = services.duty_add(
        by=request.user, place_id=pk, user_id=data.user_id, date=data.date, shift=data.shift
    )
    return Status(201, duty_out(d))


@router.delete("/places/{int:pk}/duties/{int:duty_id}", response={204: None, **ERRORS})
def places_duty_remove(request: HttpRequest, pk: int, duty_id: int):  # type: ignore[no-untyped-def]
    services.duty_remove(by=request.user, place_id=pk, duty_id=duty_id)
    return Status(204, None)
