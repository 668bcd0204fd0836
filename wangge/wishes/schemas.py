from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from wangge.core.bounded import Code, Day, Id, Latitude, Line, Longitude, Name, Text


class WishIn(Schema):
    title: Name
    reason: Text = ""
    estimated_value: Decimal = Field(Decimal(0), ge=0, le=Decimal("1000000"), max_digits=9, decimal_places=2)
    kind: Code = "goods"
    deadline: Day | None = None
    beneficiary_id: Id | None = None
    season: int | None = Field(None, ge=1, le=32767)
    draft: bool = False


class ReviewIn(Schema):
    approve: bool
    note: Line = ""
    public_category: Code | None = None
    public_title: Name | None = None


class ClaimIn(Schema):
    as_unit: bool = False


class ConfirmIn(Schema):
    accept: bool = True
    note: Line = ""


class WishReasonIn(Schema):
    reason: Line = ""


class CloseIn(Schema):
    note: Line


class ContactViewOut(Schema):
    """One look at a beneficiary's contact (from the audit log)."""

    id: int
    at: datetime
    actor_id: int | None
    actor: str
    actor_name: str
    wish_id: int
    wish_label: str
    as_claimant: bool
    ip: str | None = None


class WishPublicOut(Schema):
    """The public view: no name, phone, address or health detail."""

    id: int
    label: str
    title: str
    category: str
    kind: str
    kind_display: str
    estimated_value: Decimal
    deadline: date | None
    status: str
    status_display: str
    season: str
    community: str
    opened_at: datetime | None
    fulfilled_at: datetime | None
    claimant: str


class ClaimOut(Schema):
    id: int
    wish_id: int
    status: str
    claimant: str
    active: bool
    created_at: datetime
    delivered_at: datetime | None = None
    delivery_note: str = ""
    has_photo: bool = False
    disputed: bool = False
    dispute_note: str = ""
    confirmed_at: datetime | None = None
    auto_confirmed: bool = False


class ContactOut(Schema):
    name: str
    phone: str
    address: str


class WishDetailOut(WishPublicOut):
    private: dict[str, Any] | None = None
    contact: ContactOut | None = None
    my_claim: ClaimOut | None = None
    claim: ClaimOut | None = None


class WishStaffOut(Schema):
    id: int
    status: str
    title: str
    label: str
    kind: str
    estimated_value: Decimal
    deadline: date | None
    area_code: str
    beneficiary: str
    on_behalf: bool
    created_at: datetime


class RankOut(Schema):
    name: str
    kind: str
    fulfilled: int


class FiguresOut(Schema):
    posted: int
    open: int
    claimed: int
    fulfilled: int
    fulfilled_value: Decimal
    ranking: list[RankOut]


class ResourceIn(Schema):
    unit_id: Id
    community: Code
    title: Name
    kind: Code = "goods"
    description: Line = ""
    quantity: int = Field(1, ge=1, le=1_000_000)
    lat: Latitude | None = None
    lng: Longitude | None = None


class ResourceOut(Schema):
    id: int
    unit: str
    community: str
    kind: str
    title: str
    description: str
    quantity: int


class MatchOut(Schema):
    resource_id: int
    unit: str
    title: str
    distance_m: int | None


class NeedOut(Schema):
    wish: WishStaffOut
    matches: list[MatchOut]


class ListsOut(Schema):
    needs: list[NeedOut]
    resources: list[ResourceOut]
    projects: list[ClaimOut]


class SeasonOut(Schema):
    id: int
    number: int
    name: str
    starts_on: date
    ends_on: date | None
    active: bool
    auto_confirm_days: int
    claim_lapse_days: int
