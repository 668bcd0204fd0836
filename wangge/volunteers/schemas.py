from datetime import datetime
from decimal import Decimal

from ninja import Field, Schema

from wangge.core.bounded import Code, Id, Latitude, Line, Longitude, Moment, Name, Text


class MemberOut(Schema):
    id: int
    user_id: int
    name: str
    kind: str
    skills: list[str]
    availability: str
    home_community: str | None = None
    unit: str | None = None
    unit_confirmed: bool = False
    verified: bool = False
    claims_suspended: bool = False


class MemberIn(Schema):
    kind: Code | None = None
    skills: list[Name] | None = Field(None, max_length=20)
    availability: Line | None = None
    home_community: Code | None = None
    unit_id: Id | None = None
    bio: Line | None = None


class VerifyIn(Schema):
    verified: bool = True
    note: Line = ""


class UnitConfirmIn(Schema):
    confirmed: bool = True


class ReportIn(Schema):
    community: Code
    note: Line = ""


class ReportOut(Schema):
    id: int
    member_id: int
    community: str
    unit: str | None = None
    created_at: datetime


class UnitOut(Schema):
    id: int
    name: str
    kind: str
    agreement_count: int
    member_count: int


class AgreementIn(Schema):
    unit_id: Id
    community: Code
    people: int = Field(0, ge=0, le=1_000_000)
    rooms: Line = ""
    funds: int = Field(0, ge=0, le=2_000_000_000)
    skills: Line = ""
    other: Line = ""


class AgreementOut(Schema):
    id: int
    unit_id: int
    unit: str
    community: str
    people: int
    rooms: str
    funds: int
    skills: str
    signed_on: str


class ActivityIn(Schema):
    title: Name
    description: Text = ""
    area: Code
    starts_at: Moment
    ends_at: Moment
    capacity: int = Field(ge=1, le=10_000)
    place: Line = ""
    lat: Latitude | None = None
    lng: Longitude | None = None
    skills: list[Name] = Field([], max_length=20)
    eligible_kinds: list[Code] = Field([], max_length=10)
    visibility: Code = "public"
    organiser_unit_id: Id | None = None
    team: Name = ""
    checkin_radius_m: int | None = Field(None, ge=10, le=100_000)


class ActivityOut(Schema):
    id: int
    title: str
    description: str
    area: str
    area_name: str
    place: str
    lat: float | None = None
    lng: float | None = None
    starts_at: datetime
    ends_at: datetime
    capacity: int
    confirmed_count: int
    places_left: int
    skills: list[str]
    eligible_kinds: list[str]
    visibility: str
    status: str
    distance_m: float | None = None
    checkin_code: str | None = None


class SignupOut(Schema):
    id: int
    activity_id: int
    member_id: int
    name: str
    status: str
    offer_expires_at: datetime | None = None
    checked_in_at: datetime | None = None
    checked_out_at: datetime | None = None
    hours: Decimal | None = None
    hours_approved: bool
    points_awarded: int


class CancelIn(Schema):
    reason: Line


class CheckInIn(Schema):
    code: Code
    lat: Latitude | None = None
    lng: Longitude | None = None


class BulkCheckoutIn(Schema):
    all: bool = True


class ApproveIn(Schema):
    hours: float | None = Field(None, ge=0, le=24, allow_inf_nan=False)


class RatingIn(Schema):
    signup_id: Id
    score: int = Field(ge=1, le=5)
    comment: Line = ""


class RatingOut(Schema):
    id: int
    signup_id: int
    score: int
    comment: str
    on_behalf: bool


class PostOut(Schema):
    id: int
    community: str
    kind: str
    title: str
    description: str
    places: int
    claimed_count: int
    open: bool


class PostIn(Schema):
    community: Code
    title: Name
    kind: Code = "post"
    description: Text = ""
    places: int = Field(1, ge=1, le=10_000)


class MicroProjectIn(Schema):
    title: Name
    community: Code
    description: Text = ""
    schedule: Line = ""


class MicroProjectOut(Schema):
    id: int
    member_name: str
    community: str
    title: str
    description: str
    schedule: str
    active: bool


class BookingIn(Schema):
    wanted_at: Moment
    note: Line = ""


class BookingOut(Schema):
    id: int
    project_id: int
    wanted_at: datetime
    status: str
    note: str
    hours: float | None = None
    score: int | None = None
    points_awarded: int = 0


class BookingDoneIn(Schema):
    hours: float = Field(1.0, ge=0.25, le=8, description="服务时长（小时）")


class BookingRateIn(Schema):
    score: int = Field(..., ge=1, le=5, description="评分 1–5")
    comment: str = Field("", max_length=300)
