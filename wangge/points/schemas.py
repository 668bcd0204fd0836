from datetime import datetime

from ninja import Schema


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
    name: str
    price: int
    stock: int
    description: str = ""
    area: str | None = None
    unit_id: int | None = None
    per_person_limit: int | None = None


class RedeemIn(Schema):
    quantity: int = 1


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
    reason: str
