from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import ConfigDict


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
