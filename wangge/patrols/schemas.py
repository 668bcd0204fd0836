from datetime import date, datetime
from typing import Any

from ninja import Field, Schema

ClientId = Field(..., min_length=1, max_length=64)


class PatrolStartIn(Schema):
    client_id: str = ClientId  # the phone's id for this patrol: a re-send lands once
    area: str | None = Field(None, max_length=17)  # the grid's code (default: the worker's only grid)
    started_at: datetime | None = None


class PatrolPointIn(Schema):
    recorded_at: datetime  # the fix's time on the phone: a re-sent point lands once
    lat: float = Field(..., ge=-90, le=90)
    lng: float = Field(..., ge=-180, le=180)
    accuracy_m: float = Field(..., ge=0, le=100_000)
    coord_system: str = Field("wgs84", max_length=8)  # wgs84 | gcj02 (WeChat, Chinese map SDKs)


class PatrolPointsIn(Schema):
    points: list[PatrolPointIn] = Field(..., max_length=5000)  # the service refuses more than the setting


class PatrolStopIn(Schema):
    ended_at: datetime | None = None
    checklist: dict[str, str] = {}  # item code → ok | issue | na
    notes: str = Field("", max_length=2000)


class PatrolDiscoveryIn(Schema):
    client_id: str = ClientId  # the phone's id for this discovery: a re-send lands once
    category: str = Field(..., max_length=16)  # a case sub-category code
    description: str = Field(..., max_length=2000)
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)
    coord_system: str = Field("wgs84", max_length=8)
    checklist_code: str = Field("", max_length=40)  # the checklist item it concerns, if any
    found_at: datetime | None = None


class PatrolFilter(Schema):
    worker: int | None = None
    area: str | None = Field(None, max_length=17)
    state: str | None = Field(None, max_length=10)
    date_from: date | None = Field(None, alias="from")
    date_to: date | None = Field(None, alias="to")


class PatrolOut(Schema):
    id: int
    client_id: str
    area_code: str
    worker_id: int
    worker_name: str
    state: str
    started_at: datetime
    ended_at: datetime | None = None
    auto_closed: bool
    point_count: int
    discovery_count: int
    buildings_passed: int

    @staticmethod
    def resolve_worker_name(obj: Any) -> str:
        return obj.worker.display_name or obj.worker.username


class PatrolChecklistItemOut(Schema):
    code: str
    label: str


class PatrolDiscoveryOut(Schema):
    id: int
    client_id: str
    patrol_id: int
    appeal_id: int
    category: str
    category_name: str
    description: str
    case_state: str
    checklist_code: str
    lat: float | None = None
    lng: float | None = None
    found_at: datetime

    @staticmethod
    def resolve_category(obj: Any) -> str:
        return str(obj.appeal.category.code)

    @staticmethod
    def resolve_category_name(obj: Any) -> str:
        return str(obj.appeal.category.name)

    @staticmethod
    def resolve_description(obj: Any) -> str:
        return str(obj.appeal.description)

    @staticmethod
    def resolve_case_state(obj: Any) -> str:
        return str(obj.appeal.state)


class PatrolDetailOut(Schema):
    id: int
    client_id: str
    area_code: str
    area_name: str
    worker_id: int
    worker_name: str
    state: str
    started_at: datetime
    ended_at: datetime | None = None
    auto_closed: bool
    checklist: dict[str, str]
    notes: str
    point_count: int
    good_point_count: int
    distance_m: int
    duration_minutes: int
    buildings_passed: int
    buildings_total: int
    coverage: float | None = None
    checklist_items: list[PatrolChecklistItemOut]
    discoveries: list[PatrolDiscoveryOut]


class PatrolPointOut(Schema):
    recorded_at: datetime
    lat: float
    lng: float
    accuracy_m: float
    good: bool


class PatrolPointsResultOut(Schema):
    patrol_id: int
    accepted: int  # new points stored
    duplicates: int  # already stored (a re-sent batch)
    outside: int  # skipped: outside the patrol's time
    good: int  # of the new points, those accurate enough to count
    buildings_passed: int  # buildings newly passed by this batch
    point_count: int  # the patrol's points now


class PatrolLogItemOut(Schema):
    code: str
    label: str
    value: str
    value_label: str


class PatrolLogDiscoveryOut(Schema):
    appeal_id: int
    category_name: str
    description: str
    case_state: str


class PatrolLogRowOut(Schema):
    id: int
    area_code: str
    grid: str
    state: str
    started_at: datetime
    ended_at: datetime | None = None
    auto_closed: bool
    duration_minutes: int
    distance_m: int
    point_count: int
    good_point_count: int
    buildings_passed: int
    buildings_total: int
    coverage: float | None = None
    notes: str
    checklist: list[PatrolLogItemOut]
    discoveries: list[PatrolLogDiscoveryOut]


class PatrolLogGridOut(Schema):
    code: str
    buildings_passed: int
    buildings_total: int
    coverage: float | None = None


class PatrolLogWorkerOut(Schema):
    id: int
    name: str


class PatrolLogOut(Schema):
    day: date
    worker: PatrolLogWorkerOut
    patrols: list[PatrolLogRowOut]
    grids: list[PatrolLogGridOut]
    total_minutes: int
    total_distance_m: int
    discovery_count: int


class PatrolLogFilter(Schema):
    worker: int | None = None
    day: date | None = Field(None, alias="date")


class PatrolMetricsFilter(Schema):
    area: str | None = Field(None, max_length=17)
    date_from: date | None = Field(None, alias="from")
    date_to: date | None = Field(None, alias="to")


class PatrolFiguresOut(Schema):
    buildings: int
    buildings_passed: int
    coverage: float | None = None
    daily_coverage: float | None = None
    patrols: int
    discoveries: int


class PatrolAreaFiguresOut(PatrolFiguresOut):
    code: str
    name: str


class PatrolAreaRefOut(Schema):
    code: str
    name: str
    level: str


class PatrolMetricsOut(Schema):
    area: PatrolAreaRefOut
    date_from: date = Field(..., alias="from")
    date_to: date = Field(..., alias="to")
    total: PatrolFiguresOut
    by_area: list[PatrolAreaFiguresOut]
