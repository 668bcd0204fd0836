from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema


class ProjectMilestoneOut(Schema):
    id: int
    title: str
    due_on: date
    done_on: date | None
    evidence: str
    overdue: bool


class ProjectOut(Schema):
    id: int
    area_code: str
    area_name: str
    title: str
    kind: str
    kind_display: str
    description: str
    owner: str
    unit: str
    budget_yuan: Decimal
    state: str
    state_display: str
    stop_reason: str
    milestones_total: int
    milestones_done: int
    milestones_overdue: int
    progress: float | None
    approved_at: datetime | None
    done_at: datetime | None


class ProjectDetailOut(ProjectOut):
    milestones: list[ProjectMilestoneOut]


class ProjectMilestoneIn(Schema):
    title: str = Field(..., max_length=120)
    due_on: date


class ProjectIn(Schema):
    area: str = Field(..., max_length=20)
    title: str = Field(..., max_length=120)
    kind: str = Field(..., max_length=12)
    description: str = Field("", max_length=5000)
    budget_yuan: Decimal = Field(Decimal(0), ge=0, lt=Decimal("1e12"), max_digits=14, decimal_places=2)
    owner_id: int | None = Field(None, ge=1)
    unit_id: int | None = Field(None, ge=1)
    milestones: list[ProjectMilestoneIn] = Field(default_factory=list, max_length=30)


class ProjectStopIn(Schema):
    reason: str = Field(..., max_length=200)


class ProjectMilestoneDoneIn(Schema):
    evidence: str = Field(..., max_length=2000)
    done_on: date | None = None


class ProjectFilter(Schema):
    area: str | None = Field(None, max_length=20)
    state: str | None = Field(None, max_length=12)
    kind: str | None = Field(None, max_length=12)
