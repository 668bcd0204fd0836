import datetime as dt
from datetime import datetime
from typing import Any

from ninja import Field, Schema


class PlaceServiceOut(Schema):
    code: str
    name: str
    kind: str


class PlaceOut(Schema):
    id: int
    name: str
    kind: str
    kind_display: str
    area_code: str
    area_name: str
    lat: float
    lng: float
    address: str
    phone: str
    capacity: int
    hours: dict[str, list[list[str]]]
    holiday_hours: list[list[str]]
    services: list[PlaceServiceOut]
    active: bool
    open_now: bool
    opens_at: datetime | None = None


class PlaceNearbyOut(PlaceOut):
    walking_m: int
    in_circle: bool


class PlaceIn(Schema):
    area: str = Field(..., max_length=20, description="The served area's code (a community or a grid).")
    name: str = Field(..., max_length=100)
    kind: str = Field(..., max_length=20)
    lat: float = Field(..., ge=-90, le=90)
    lng: float = Field(..., ge=-180, le=180)
    address: str = Field("", max_length=200)
    phone: str = Field("", max_length=30)
    capacity: int = Field(0, ge=0, le=100_000)
    hours: dict[str, Any] = Field(
        default_factory=dict, description='{"0": [["08:30", "17:30"]], …} Monday is "0".'
    )
    holiday_hours: list[Any] = Field(default_factory=list, max_length=4)
    services: list[str] = Field(default_factory=list, max_length=50)


class PlacePatch(Schema):
    name: str | None = Field(None, max_length=100)
    kind: str | None = Field(None, max_length=20)
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)
    address: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=30)
    capacity: int | None = Field(None, ge=0, le=100_000)
    hours: dict[str, Any] | None = None
    holiday_hours: list[Any] | None = Field(None, max_length=4)
    services: list[str] | None = Field(None, max_length=50)
    active: bool | None = None


class PlaceNearbyFilter(Schema):
    lat: float = Field(..., ge=-90, le=90)
    lng: float = Field(..., ge=-180, le=180)
    kind: str | None = Field(None, max_length=20)
    service: str | None = Field(None, max_length=40)
    include_closed: bool = False
    limit: int = Field(5, ge=1, le=50)


class PlaceRequestIn(Schema):
    service: str = Field(..., max_length=40)
    description: str = Field(..., max_length=1000)


class PlaceRequestOut(Schema):
    id: int
    place_id: int
    service: str
    appeal_id: int
    appeal_number: str
    appeal_status: str


class PlaceCoverageRowOut(Schema):
    grid_code: str
    grid_name: str
    households: int
    covered: int
    rate: float | None
    special: int | None = Field(None, description="Suppressed (null) when below the disclosure minimum.")
    special_covered: int | None = None
    special_rate: float | None = None


class PlaceCoverageOut(Schema):
    area_code: str
    circle_walk_m: float
    circle_radius_m: float
    detour_factor: float
    grids: list[PlaceCoverageRowOut]


class DutyShiftOut(Schema):
    id: int
    date: dt.date
    shift: str
    shift_display: str
    name: str = Field(..., description="The person's name only; never a phone.")


class DutyShiftIn(Schema):
    user_id: int = Field(..., ge=1, le=2**62)
    date: dt.date = Field(..., ge=dt.date(2000, 1, 1), le=dt.date(2100, 12, 31))
    shift: str = Field(..., max_length=10)
