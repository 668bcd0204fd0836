from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema


class RuleSetOut(Schema):
    id: int
    name: str
    city: str
    thresholds: dict[str, Any]
    non_voters_follow_majority: bool
    basis: str


class VoteIn(Schema):
    title: str
    matter: str
    area: str  # community or grid code
    rule_set_id: int
    opens_at: datetime
    closes_at: datetime
    scope: str = "community"
    building_id: int | None = None
    entrance: int | None = None
    description: str = ""
    committee: list[int] = []


class VoteOpenIn(Schema):
    must_consent: list[int] = []


class VoteOut(Schema):
    id: int
    title: str
    matter: str
    matter_label: str = Field(..., alias="get_matter_display")
    matter_class: str
    area_code: str = Field(..., alias="area.code")
    scope: str
    electorate: str = Field(..., alias="electorate_label")
    building_id: int | None = None
    entrance: int | None = None
    rule_set: str = Field(..., alias="rule_set.name")
    opens_at: datetime
    closes_at: datetime
    status: str
    passed: bool | None = None
    published_at: datetime | None = None


class CheckOut(Schema):
    key: str
    label: str
    value: int | str
    base: int | str
    base_kind: str
    ratio: str
    percent: str
    required: str
    passed: bool


class TallyOut(Schema):
    heads: int
    area: str


class ResultOut(Schema):
    electorate: TallyOut
    participants: TallyOut
    approve: TallyOut
    reject: TallyOut
    abstain: TallyOut
    none: TallyOut
    checks: list[CheckOut]
    passed: bool
    failed: list[str]
    non_voters_added_to: str
    vetoes: list[str]


class MyVoterOut(Schema):
    voter_id: int
    label: str
    units: int
    area: Decimal
    voted: bool
    choice: str | None = None
    channel: str | None = None


class VoteDetailOut(VoteOut):
    description: str
    result: ResultOut | None = Field(None, alias="live_result")
    me: list[MyVoterOut] = Field([], alias="my_voters")


class BallotIn(Schema):
    choice: str
    voter_id: int | None = None


class BallotReceiptOut(Schema):
    id: int
    vote_id: int
    voter_id: int
    choice: str
    channel: str
    cast_at: datetime


class BallotOut(BallotReceiptOut):
    voter: str = Field(..., alias="voter.label")
    units: int = Field(..., alias="voter.units")
    area_centi: int = Field(..., alias="voter.area_centi")
    signer: str
    photo: str | None = None
    cast_by: str | None = None

    @staticmethod
    def resolve_photo(obj: Any) -> str | None:
        return obj.photo.name or None

    @staticmethod
    def resolve_cast_by(obj: Any) -> str | None:
        return str(obj.cast_by) if obj.cast_by_id else None


class VoterOut(Schema):
    id: int
    label: str
    units: int
    area_centi: int
    developer: bool
    must_consent: bool
    voted: bool

    @staticmethod
    def resolve_voted(obj: Any) -> bool:
        return hasattr(obj, "ballot")


# --- surveys ------------------------------------------------------------------------------------------


class QuestionIn(Schema):
    kind: str
    text: str
    options: list[str] = []
    rating_max: int = 5
    required: bool = True


class SurveyIn(Schema):
    title: str
    area: str
    opens_at: datetime
    closes_at: datetime
    questions: list[QuestionIn]
    building_id: int | None = None
    per: str = "resident"
    anonymous: bool = False
    description: str = ""


class QuestionOut(Schema):
    id: int
    order: int
    kind: str
    text: str
    options: list[str]
    rating_max: int
    required: bool


class SurveyOut(Schema):
    id: int
    title: str
    description: str
    area_code: str = Field(..., alias="area.code")
    building_id: int | None = None
    per: str
    anonymous: bool
    opens_at: datetime
    closes_at: datetime
    status: str


class SurveyDetailOut(SurveyOut):
    questions: list[QuestionOut]
    answered: bool = Field(False, alias="viewer_answered")


class ResponseIn(Schema):
    answers: dict[str, Any]


class PaperResponseIn(ResponseIn):
    household_id: int
    resident_id: int | None = None


class ResponseOut(Schema):
    id: int
    survey_id: int
    channel: str
    submitted_at: datetime


class ModerateIn(Schema):
    approve: bool


class ModerateOut(Schema):
    id: int
    moderation: str
