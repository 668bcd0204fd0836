from datetime import datetime
from decimal import Decimal

from ninja import Schema


class MemberOut(Schema):
    id: int
    user_id: int
    name: str
    kind: str
    skills: list[str]
    availability: str
    home_community: str | None = None
    unit: str | None = None


class MemberIn(Schema):
    kind: str | None = None
    skills: list[str] | None = None
    availability: str | None = None
    home_community: str | None = None
    unit_id: int | None = None
    bio: str | None = None


class ReportIn(Schema):
    community: str
    note: str = ""


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
    unit_id: int
    community: str
    people: int = 0
    rooms: str = ""
    funds: int = 0
    skills: str = ""
    other: str = ""


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
    title: str
    description: str = ""
    area: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    place: str = ""
    lat: float | None = None
    lng: float | None = None
    skills: list[str] = []
    eligible_kinds: list[str] = []
    visibility: str = "public"
    organiser_unit_id: int | None = None
    team: str = ""
    checkin_radius_m: int | None = None


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
    reason: str


class CheckInIn(Schema):
    code: str
    lat: float | None = None
    lng: float | None = None


class BulkCheckoutIn(Schema):
    all: bool = True


class ApproveIn(Schema):
    hours: float | None = None


class RatingIn(Schema):
    signup_id: int
    score: int
    comment: str = ""


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
    community: str
    title: str
    kind: str = "post"
    description: str = ""
    places: int = 1


class MicroProjectIn(Schema):
    title: str
    community: str
    description: str = ""
    schedule: str = ""


class MicroProjectOut(Schema):
    id: int
    member_name: str
    community: str
    title: str
    description: str
    schedule: str
    active: bool


class BookingIn(Schema):
    wanted_at: datetime
    note: str = ""


class BookingOut(Schema):
    id: int
    project_id: int
    wanted_at: datetime
    status: str
    note: str
