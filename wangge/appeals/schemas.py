from typing import Any

from ninja import Schema
from pydantic import Field


class AppealIn(Schema):
    kind: str = "problem"
    category: str = Field(..., description="小类编码")
    description: str
    lat: float | None = None
    lng: float | None = None
    coord_system: str = Field("wgs84", description="wgs84 | cgcs2000 | gcj02")
    channel: str = "resident_web"
    address: str = ""
    anonymous: bool = False
    external_ref: str = Field("", description="12345 热线工单号")
    reporter_name: str = Field("", description="工作人员代录时：反映人姓名")
    reporter_phone: str = Field("", description="工作人员代录时：反映人电话")
    area: str | None = Field(None, description="无坐标时（工作人员代录）：区域编码")


class StepIn(Schema):
    note: str = ""
    version: int | None = Field(None, description="乐观锁：期望的版本号")


class ReasonIn(Schema):
    reason: str
    version: int | None = None


class MergeIn(Schema):
    into: int
    note: str = ""
    version: int | None = None


class DispatchIn(Schema):
    lead_unit_id: int | None = None
    lead_user_id: int | None = None
    co_unit_ids: list[int] = []
    co_user_ids: list[int] = []
    note: str = ""
    version: int | None = None


class ResolveIn(Schema):
    note: str
    attachment_ids: list[int] = []
    version: int | None = None


class CheckIn(Schema):
    passed: bool
    note: str = ""
    attachment_ids: list[int] = []
    version: int | None = None


class RateIn(Schema):
    satisfaction: str = Field(..., description="satisfied | basically | dissatisfied")
    solved: bool
    comment: str = ""
    version: int | None = None


class ExtendIn(Schema):
    action: str = Field("request", description="request | approve | reject")
    amount: float | None = None
    unit: str | None = Field(None, description="working_hours | working_days | clock_hours")
    reason: str = ""
    version: int | None = None


class HoldIn(Schema):
    action: str = Field("request", description="request | approve | reject | resume")
    reason: str = ""
    version: int | None = None


class WhistleIn(Schema):
    reason: str
    unit_ids: list[int] = []
    next_level: bool = False
    version: int | None = None


class UrgeIn(Schema):
    note: str
    level: str | None = Field(None, description="yellow | red")
    version: int | None = None


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
