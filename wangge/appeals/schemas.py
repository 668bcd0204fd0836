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


def Text(max_length: int) -> Any:  # noqa: N802 - reads as a type in the schemas below
    return Annotated[str, Field(max_length=max_length), AfterValidator(clean_text)]


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Version = Annotated[int | None, Field(None, ge=0, le=MAX_VERSION, description="乐观锁：期望的版本号")]
Note = Text(2000)


class AppealIn(Schema):
    kind: Text(16) = "problem"
    category: Text(16) = Field(..., description="小类编码")
    description: Text(2000)
    lat: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False)
    lng: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False)
    coord_system: Text(16) = Field("wgs84", description="wgs84 | cgcs2000 | gcj02")
    channel: Text(20) = "resident_web"
    address: Text(200) = ""
    anonymous: bool = False
    external_ref: Text(64) = Field("", description="12345 热线工单号")
    reporter_name: Text(50) = Field("", description="工作人员代录时：反映人姓名")
    reporter_phone: Text(20) = Field("", description="工作人员代录时：反映人电话")
    area: Text(17) | None = Field(None, description="无坐标时（工作人员代录）：区域编码")


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
    satisfaction: Text(16) = Field(..., description="satisfied | basically | dissatisfied")
    solved: bool
    comment: Note = ""
    version: Version = None


class ExtendIn(Schema):
    action: Text(16) = Field("request", description="request | approve | reject")
    amount: float | None = Field(None, gt=0, le=10_000, allow_inf_nan=False)
    unit: Text(16) | None = Field(None, description="working_hours | working_days | clock_hours")
    reason: Note = ""
    version: Version = None


class HoldIn(Schema):
    action: Text(16) = Field("request", description="request | approve | reject | resume")
    reason: Note = ""
    version: Version = None


class WhistleIn(Schema):
    reason: Note
    unit_ids: list[Id] = Field([], max_length=50)
    next_level: bool = False
    version: Version = None


class UrgeIn(Schema):
    note: Note
    level: Text(8) | None = Field(None, description="yellow | red")
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
