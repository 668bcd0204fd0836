from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema

from wangge.core.bounded import Day, Id, Line, Name

Subject = Literal["grid_worker", "grid", "community", "street"]


class AssessmentFigureOut(Schema):
    key: str
    label: str
    subjects: list[str]


class SchemeItemIn(Schema):
    figure: str = Field(..., max_length=60, pattern=r"^[a-z_.]+$")
    weight: float = Field(..., gt=0, le=100, allow_inf_nan=False)
    formula: Literal["linear", "threshold"] = "linear"
    floor: float = Field(0.0, ge=-1e9, le=1e9, allow_inf_nan=False)
    target: float = Field(1.0, ge=-1e9, le=1e9, allow_inf_nan=False)
    in_sample: bool = True


class SchemeIn(Schema):
    name: Name
    area: str = Field(..., min_length=6, max_length=17, pattern=r"^[0-9]+$")
    subject_kind: Subject
    period: Literal["monthly", "yearly"]
    note: Line = ""
    items: list[SchemeItemIn] = Field(..., min_length=1, max_length=20)


class SchemeItemsIn(Schema):
    items: list[SchemeItemIn] = Field(..., min_length=1, max_length=20)
    note: Line | None = None


class SchemeItemOut(Schema):
    id: int
    figure: str
    label: str
    weight: float
    formula: str
    floor: float
    target: float
    in_sample: bool
    formula_text: str


class SchemeOut(Schema):
    id: int
    name: str
    area_code: str
    area_name: str
    subject_kind: str
    period: str
    version: int
    state: str
    note: str
    activated_at: datetime | None


class SchemeDetailOut(SchemeOut):
    items: list[SchemeItemOut]
    versions: list[SchemeOut]
    periods: list[str]


class ComputeIn(Schema):
    period: str = Field(..., min_length=4, max_length=7, pattern=r"^[0-9]{4}(-[0-9]{2})?$")


class RunOut(Schema):
    id: int
    scheme_id: int
    period: str
    period_start: date
    period_end: date
    computed_at: datetime
    subjects: int


class AssessmentScoreOut(Schema):
    id: int
    scheme_id: int
    period_start: date
    period_end: date
    subject_kind: str
    subject: str
    user_id: int | None
    area_code: str
    total: float
    sample: int
    rank: int | None
    rank_note: str


class RankingOut(Schema):
    run: RunOut
    min_sample: int
    ranked_count: int
    scores: list[AssessmentScoreOut]


class EvidenceOut(Schema):
    kind: str
    id: int
    label: str
    url: str


class ScoreItemOut(Schema):
    id: int
    figure: str
    label: str
    weight: float
    value: float | None
    numerator: int
    denominator: int
    points: float
    formula_text: str
    evidence_count: int
    evidence: list[EvidenceOut]


class ScoreDetailOut(AssessmentScoreOut):
    scheme: str
    scheme_version: int
    grade: str
    items: list[ScoreItemOut]


class EvidencePageOut(Schema):
    count: int
    offset: int
    limit: int
    evidence: list[EvidenceOut]


class GradeIn(Schema):
    post_id: Id
    tier: int = Field(..., ge=1, le=3)
    level: int = Field(..., ge=1, le=6)
    since: Day
    note: Line = ""


class GradeOut(Schema):
    post_id: int
    user_id: int
    name: str
    area_code: str
    tier: int | None
    level: int | None
    grade: str
    since: date | None


class NominationIn(Schema):
    score_id: Id
    reason: Line = ""


class DecisionIn(Schema):
    note: Line = ""


class NominationOut(Schema):
    id: int
    scheme_id: int
    period_start: date
    user_id: int
    name: str
    community_code: str
    score_id: int | None
    state: str
    reason: str
    decided_at: datetime | None
