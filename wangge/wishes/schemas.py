from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Schema


class WishIn(Schema):
    title: str
    reason: str = ""
    estimated_value: Decimal = Decimal(0)
    kind: str = "goods"
    deadline: date | None = None
    beneficiary_id: int | None = None
    season: int | None = None
    draft: bool = False


class ReviewIn(Schema):
    approve: bool
    note: str = ""
    public_category: str | None = None
    public_title: str | None = None


class ClaimIn(Schema):
    as_unit: bool = False


class ConfirmIn(Schema):
    accept: bool = True
    note: str = ""


class WishReasonIn(Schema):
    reason: str = ""


class CloseIn(Schema):
    note: str


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
    unit_id: int
    community: str
    title: str
    kind: str = "goods"
    description: str = ""
    quantity: int = 1
    lat: float | None = None
    lng: float | None = None


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
