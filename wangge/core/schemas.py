from datetime import datetime
from typing import Any, ClassVar

from ninja import Schema
from pydantic import ConfigDict, GetJsonSchemaHandler, ValidationInfo, field_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema


class FieldErrorOut(Schema):
    """One problem: the field (dotted path, "" for the whole request) and the reason. Imports add ``row``,
    ``column`` and ``value``."""

    model_config = ConfigDict(extra="allow")

    field: str
    message: str


class ErrorOut(Schema):
    """Every 4xx of the API: ``{"detail", "errors": [{"field", "message"}]}``; a 409 may add ``state``."""

    model_config = ConfigDict(extra="allow")

    detail: str
    errors: list[FieldErrorOut] = []


class PatchSchema(Schema):
    """A PATCH body. Every field is optional (``X | None = None``): a key left out leaves the field as it is.
    An explicit ``null`` clears the field only where the field is listed in ``nullable`` (the model's
    ``null=True`` columns); for any other field it is refused with 422 naming the field, instead of reaching
    the database as NULL (a 500). The OpenAPI description says the same: only ``nullable`` fields allow null.
    """

    nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="after")
    @classmethod
    def _null_only_where_nullable(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.nullable:
            raise ValueError("不能为 null（不修改此项请省略该字段）")
        return value

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        for name, prop in target.get("properties", {}).items():
            options = prop.get("anyOf")
            if name in cls.nullable or not options:
                continue
            kept = [o for o in options if o.get("type") != "null"]
            if len(kept) == 1:
                prop.pop("anyOf")
                prop.update(kept[0])
            else:
                prop["anyOf"] = kept
            if prop.get("default", "") is None:
                prop.pop("default")
        return schema


class AuditOut(Schema):
    id: int
    at: datetime
    actor_name: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    changes: dict[str, Any]
    ip: str | None = None
    note: str
