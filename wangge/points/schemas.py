from datetime import datetime

from ninja import Field, Schema

from wangge.core.bounded import Code, Id, Line, Name, Text


class BalanceOut(Schema):
    balance: int
    earned_total: int


class EntryOut(Schema):
    id: int
    kind: str
    points: int
    balance_after: int
    rule_code: str
    source_key: str
    quantity: float
    factor: float
    reason: str
    created_at: datetime


class RewardOut(Schema):
    id: int
    name: str
    description: str
    price: int
    stock: int
    per_person_limit: int | None = None
    area: str | None = None
    area_name: str | None = None
    unit: str | None = None
    active: bool


class RewardIn(Schema):
    name: Name
    price: int = Field(ge=1, le=1_000_000)
    stock: int = Field(ge=0, le=1_000_000)
    description: Text = ""
    area: Code | None = None
    unit_id: Id | None = None
    per_person_limit: int | None = Field(None, ge=1, le=1_000)


class RedeemIn(Schema):
    quantity: int = Field(1, ge=1, le=1_000)


class RedemptionOut(Schema):
    id: int
    reward_id: int
    reward_name: str
    quantity: int
    points: int
    status: str
    created_at: datetime
    balance: int


class CancelIn(Schema):
    reason: Line
