"""The case loop's API shapes. Every input is bounded (issue 7: no server errors): ids are positive
64-bit integers, coordinates finite and on the globe, texts limited in length and free of NUL bytes and
lone surrogates (PostgreSQL refuses both), lists short."""

from typing import Annotated, Any

from ninja import Schema
from pydantic import AfterValidator, Field

MAX_ID = 2**63 - 1
MAX_VERSION = 2**31 - 1


def clean_text(value: str) -> str:
    """Refuse what no database stores (NUL) and what is no text (a lone UTF-16 surrogate)."""
    if "\x00" in value:
        raise ValueError("不能包含空字符（NUL）")
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValueError("包含无效的字符")
    return value


_Clean = AfterValidator(clean_text)
Code = Annotated[str, Field(max_length=16), _Clean]
Short = Annotated[str, Field(max_length=20), _Clean]
Name = Annotated[str, Field(max_length=50), _Clean]
Ref = Annotated[str, Field(max_length=64), _Clean]
Line = Annotated[str, Field(max_length=200), _Clean]
AreaCode = Annotated[str, Field(max_length=17), _Clean]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Version = Annotated[int | None, Field(None, ge=0, le=MAX_VERSION, description="乐观锁：期望的版本号")]
Note = Annotated[str, Field(max_length=2000), _Clean]


class AppealIn(Schema):
    kind: Code = "problem"
    category: Code = Field(..., description="小类编码")
    description: Note
    lat: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False)
    lng: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False)
    coord_system: Code = Field("wgs84", description="wgs84 | cgcs2000 | gcj02")
    channel: Short = "resident_web"
    address: Line = ""
    anonymous: bool = False
    external_ref: Ref = Field("", description="12345 热线工单号")
    reporter_name: Name = Field("", description="工作人员代录时：反映人姓名")
    reporter_phone: Short = Field("", description="工作人员代录时：反映人电话")
    area: AreaCode | None = Field(None, description="无坐标时（工作人员代录）：区域编码")


class StepIn(Schema):
    note: Note = ""
    version: Version = None


class ReasonIn(Schema):
    reason: Note
    version: Version = None


class MergeIn(Schema):
    into: Id
    note: Note = ""
    version: Version = None


class DispatchIn(Schema):
    lead_unit_id: Id | None = None
    lead_user_id: Id | None = None
    co_unit_ids: list[Id] = Field([], max_length=50)
    co_user_ids: list[Id] = Field([], max_length=50)
    note: Note = ""
    version: Version = None


class ResolveIn(Schema):
    note: Note
    attachment_ids: list[Id] = Field([], max_length=50)
    version: Version = None


class CheckIn(Schema):
    passed: bool
    note: Note = ""
    attachment_ids: list[Id] = Field([], max_length=50)
    version: Version = None


class RateIn(Schema):
    satisfaction: Code = Field(..., description="satisfied | basically | dissatisfied")
    solved: bool
    comment: Note = ""
    version: Version = None


class ExtendIn(Schema):
    action: Code = Field("request", description="request | approve | reject")
    amount: float | None = Field(None, gt=0, le=10_000, allow_inf_nan=False)
    unit: Code | None = Field(None, description="working_hours | working_days | clock_hours")
    reason: Note = ""
    version: Version = None


class HoldIn(Schema):
    action: Code = Field("request", description="request | approve | reject | resume")
    reason: Note = ""
    version: Version = None


class WhistleIn(Schema):
    reason: Note
    unit_ids: list[Id] = Field([], max_length=50)
    next_level: bool = False
    version: Version = None


class UrgeIn(Schema):
    note: Note
    level: Code | None = Field(None, description="yellow | red")
    version: Version = None


class CategoryOut(Schema):
    code: str
    name: str
    parent: str | None = None
    level: str
    handler_type: str
    department_name: str
    response_amount: float
    response_unit: str
    resolve_amount: float
    resolve_unit: str
    needs_onsite_check: bool
    severity: str
    open_condition: str
    close_condition: str


class AppealPage(Schema):
    count: int
    items: list[dict[str, Any]]
