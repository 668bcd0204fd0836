from datetime import date, datetime
from typing import Any

from ninja import Field, Schema


class FindingIn(Schema):
    category: str  # a case sub-category code
    description: str


class HouseholdVisitIn(Schema):
    household_id: int
    client_id: str  # the phone's id for this visit: a re-send lands once
    visited_at: datetime | None = None
    kind: str = "routine"  # routine | care | follow_up | case
    duration_minutes: int = 15
    lat: float | None = None
    lng: float | None = None
    accuracy_m: float | None = None
    coord_system: str = "wgs84"  # wgs84 | gcj02 (WeChat, Chinese map SDKs)
    checklist: dict[str, str] = {}  # item code → ok | concern | na
    notes: str = ""
    findings: list[FindingIn] = []
    appeal_id: int | None = None  # the case visited about (kind "case")


class HouseholdVisitOut(Schema):
    id: int
    client_id: str
    household_id: int
    address: str
    area_code: str
    visitor_id: int
    kind: str
    visited_at: datetime
    duration_minutes: int
    lat: float | None = None
    lng: float | None = None
    accuracy_m: float | None = None
    distance_m: float | None = None
    verified: bool
    checklist: dict[str, str]
    notes: str
    appeal_id: int | None = None
    finding_ids: list[int]

    @staticmethod
    def resolve_address(obj: Any) -> str:
        h = obj.household.house
        return f"{h.building.address} {h.entrance}单元 {h.room}"

    @staticmethod
    def resolve_finding_ids(obj: Any) -> list[int]:
        return sorted(a.pk for a in obj.findings.all())


class VisitFilter(Schema):
    household: int | None = None
    visitor: int | None = None
    date_from: date | None = Field(None, alias="from")
    date_to: date | None = Field(None, alias="to")


class MetricsFilter(Schema):
    area: str | None = None
    date_from: date | None = Field(None, alias="from")
    date_to: date | None = Field(None, alias="to")


class DueOut(Schema):
    id: int
    household_id: int
    address: str
    area_code: str
    due_on: date
    closes_on: date
    every_days: int
    special: bool
    state: str
    overdue: bool
    distance_m: float | None = None

    @staticmethod
    def resolve_address(obj: Any) -> str:
        h = obj.household.house
        return f"{h.building.address} {h.entrance}单元 {h.room}"


class VisitCancelIn(Schema):
    reason: str  # moved_out | in_hospital | deceased | other
    note: str = ""


class ScheduledOut(Schema):
    id: int
    household_id: int
    due_on: date
    closes_on: date
    every_days: int
    state: str
    cancel_reason: str
    cancel_note: str


class VisitFiguresOut(Schema):
    due: int
    completed: int
    missed: int
    open: int
    completion: float | None = None
    special_due: int
    special_on_time: int
    special_on_time_rate: float | None = None


class AreaFiguresOut(VisitFiguresOut):
    code: str
    name: str


class WorkerFiguresOut(VisitFiguresOut):
    user_id: int
    name: str
    grids: list[str]
    visits_recorded: int


class AreaRefOut(Schema):
    code: str
    name: str
    level: str


class MetricsOut(Schema):
    area: AreaRefOut
    date_from: date = Field(..., alias="from")
    date_to: date = Field(..., alias="to")
    total: VisitFiguresOut
    by_area: list[AreaFiguresOut]
    by_worker: list[WorkerFiguresOut]
    # The share of the area's buildings passed on patrol in the period; null until the patrols app provides it
    # (``visits.selectors.FIGURE_PROVIDERS``).
    patrol_coverage: float | None = None
