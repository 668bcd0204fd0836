"""Attendance API: assignments in scope (with this week's status), a cadre's monthly record, dispatching a
cadre (staff) and checking in (the cadre)."""

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status

from wangge.accounts.models import User
from wangge.areas.models import Area
from wangge.core.errors import InvalidInput
from wangge.core.schemas import ErrorOut
from wangge.core.scoping import get_visible_or_404

from . import selectors, services
from .models import CadreAssignment, CheckIn
from .schemas import (
    AttendanceCheckInIn,
    AttendanceMonthOut,
    CadreAssignmentIn,
    CadreAssignmentOut,
    CheckInOut,
)

router = Router(tags=["attendance"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def assignment_out(a: CadreAssignment, week: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": a.pk,
        "user_id": a.user_id,
        "name": str(a.user),
        "role": a.role,
        "role_display": str(a.get_role_display()),
        "unit_name": a.unit_name,
        "area_code": a.area.code,
        "area_name": a.area.name,
        "starts_on": a.starts_on,
        "ends_on": a.ends_on,
        "days_per_week": a.days_per_week,
        "this_week": week,
    }


def check_in_out(c: CheckIn) -> dict[str, Any]:
    return {
        "id": c.pk,
        "assignment_id": c.assignment_id,
        "at": c.at,
        "day": c.day,
        "method": c.method,
        "place_id": c.place_id,
        "place_name": c.place.name if c.place_id and c.place else None,
        "distance_m": c.distance_m,
        "counted": c.counted,
    }


@router.get("/attendance", response={200: list[CadreAssignmentOut], **ERRORS})
def attendance_list(  # type: ignore[no-untyped-def]
    request: HttpRequest, area: str | None = None, mine: bool = False, current: bool = True,
    limit: int = 100, offset: int = 0,
):  # fmt: skip
    """Dispatched cadres the viewer sees (their scope's; a cadre their own), with this week's status."""
    if area is not None and (len(area) > 17 or not area.isdigit()):
        raise InvalidInput.field("area", "区域编码须为数字", label="区域编码")
    if not (1 <= limit <= 500 and 0 <= offset <= 1_000_000):
        raise InvalidInput.field("limit", "limit 须在1到500之间，offset 不超过1000000", label="分页")
    today = timezone.localdate()
    rows = list(
        selectors.assignment_list(viewer=request.user, area=area, mine=mine, on=today if current else None)[
            offset : offset + limit
        ]
    )
    weeks = selectors.this_week(rows, today)
    return [assignment_out(a, weeks[a.pk]) for a in rows]


@router.get("/attendance/{int:assignment_id}", response={200: AttendanceMonthOut, **ERRORS})
def attendance_record(request: HttpRequest, assignment_id: int, month: str | None = None):  # type: ignore[no-untyped-def]
    """A cadre's record for one month (``YYYY-MM``, this month by default): days present, the month's ISO
    weeks (those whose Thursday is in the month) met or not, and every check-in."""
    a = selectors.assignment_get(viewer=request.user, pk=assignment_id)
    ym = selectors.parse_month(month)
    if ym is None:
        raise InvalidInput.field("month", "月份格式须为 YYYY-MM（2000至2100年）", label="月份")
    rec = selectors.month_record(a, *ym)
    return {
        "assignment": assignment_out(a, selectors.this_week([a])[a.pk]),
        "month": f"{ym[0]:04d}-{ym[1]:02d}",
        "days_present": rec.days_present,
        "weeks_met": rec.weeks_met,
        "weeks_not_met": rec.weeks_not_met,
        "weeks": [
            {
                "week_start": w.monday,
                "iso_week": w.iso[1],
                "days": w.days,
                "required": w.required,
                "judged": w.judged,
                "closed": w.closed,
                "met": w.met,
                "flagged": bool(w.record and w.record.flagged_at),
            }  # fmt: skip
            for w in rec.weeks
        ],
        "check_ins": [check_in_out(c) for c in rec.check_ins],
    }


@router.post("/attendance", response={201: CadreAssignmentOut, **ERRORS})
def attendance_assign(request: HttpRequest, data: CadreAssignmentIn):  # type: ignore[no-untyped-def]
    """Dispatch a cadre to a community for a period with the weekly rule (staff of the community)."""
    area = get_visible_or_404(Area, request.user, code=data.area)
    user = User.objects.filter(pk=data.user_id).first()
    if user is None:
        raise InvalidInput.field("user_id", "未找到该账号", label="干部")
    a = services.assignment_create(
        by=request.user, user=user, area=area, role=data.role, starts_on=data.starts_on, ends_on=data.ends_on,
        days_per_week=data.days_per_week, unit_name=data.unit_name,
    )  # fmt: skip
    a = selectors.assignment_get(viewer=request.user, pk=a.pk)
    return Status(201, assignment_out(a, selectors.this_week([a])[a.pk]))


@router.post("/attendance/check-ins", response={201: CheckInOut, **ERRORS})
def attendance_check_in(request: HttpRequest, data: AttendanceCheckInIn):  # type: ignore[no-untyped-def]
    """Check in at the community: by location (WGS84 unless ``coord_system`` says gcj02) within the distance
    setting of the community's boundary, centre or places, or by a station's ``code``. A day counts once:
    a second check-in the same day is kept with ``counted: false``."""
    c = services.check_in(
        by=request.user, assignment_id=data.assignment_id, lat=data.lat, lng=data.lng,
        accuracy_m=data.accuracy_m, coord_system=data.coord_system, code=data.code,
    )  # fmt: skip
    return Status(201, check_in_out(c))
