from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema


class CommitmentIn(Schema):
    company_id: int
    group: str
    text: str
    category_ids: list[int]
    time_limit_hours: int
    order: int = 0


class CommitmentOut(Schema):
    id: int
    company_id: int
    company: str = Field(..., alias="company.name")
    group: str
    text: str
    time_limit_hours: int
    categories: list[str]
    published_at: datetime
    active: bool

    @staticmethod
    def resolve_categories(obj: Any) -> list[str]:
        return [c.code for c in obj.categories.all()]


class MonthOut(Schema):
    month: str
    judged: int
    met: int
    missed: int
    pending: int
    percent: str | None = None


class ComplianceOut(Schema):
    commitment_id: int
    text: str
    time_limit_hours: int
    months: list[MonthOut]


class EvaluationIn(Schema):
    company_id: int
    scores: dict[str, int]
    comment: str = ""


class ScoreOut(Schema):
    group: str
    score: int


class EvaluationOut(Schema):
    id: int
    company_id: int
    community: str = Field(..., alias="community.code")
    year: int
    quarter: int
    comment: str
    reply: str
    replied_at: datetime | None = None
    submitted_at: datetime
    scores: list[ScoreOut]

    @staticmethod
    def resolve_scores(obj: Any) -> list[dict[str, Any]]:
        return [{"group": s.group, "score": s.score} for s in obj.scores.all()]


class ReplyIn(Schema):
    reply: str
