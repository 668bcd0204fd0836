from datetime import date, datetime

from ninja import Field, Schema


class AttendanceWeekNowOut(Schema):
    days: int
    required: int
    met: bool
    serving: bool
    flags: int = Field(..., description="Closed weeks below the rule among the last 8.")


class CadreAssignmentOut(Schema):
    id: int
    user_id: int
    name: str
    role: str
    role_display: str
    unit_name: str
    area_code: str
    area_name: str
    starts_on: date
    ends_on: date
    days_per_week: int
    this_week: AttendanceWeekNowOut


class CadreAssignmentIn(Schema):
    user_id: int = Field(..., ge=1, le=2**62)
    area: str = Field(..., min_length=12, max_length=15, description="The community's (or a grid's) code.")
    role: str = Field(..., max_length=20)
    starts_on: date = Field(..., ge=date(2000, 1, 1), le=date(2100, 12, 31))
    ends_on: date = Field(..., ge=date(2000, 1, 1), le=date(2100, 12, 31))
    days_per_week: int | None = Field(None, ge=1, le=7)
    unit_name: str = Field("", max_length=100)


class AttendanceCheckInIn(Schema):
    assignment_id: int | None = Field(None, ge=1, le=2**62)
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)
    accuracy_m: float | None = Field(None, ge=0, le=100_000)
    coord_system: str = Field("wgs84", max_length=10)
    code: str = Field("", max_length=30, description="A station's check-in code instead of the location.")


class CheckInOut(Schema):
    id: int
    assignment_id: int
    at: datetime
    day: date
    method: str
    place_id: int | None
    place_name: str | None
    distance_m: float | None
    counted: bool


class AttendanceWeekOut(Schema):
    week_start: date
    iso_week: int
    days: int
    required: int
    judged: bool
    closed: bool
    met: bool
    flagged: bool


class AttendanceMonthOut(Schema):
    assignment: CadreAssignmentOut
    month: str
    days_present: int
    weeks_met: int
    weeks_not_met: int
    weeks: list[AttendanceWeekOut]
    check_ins: list[CheckInOut]
