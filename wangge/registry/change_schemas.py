"""Schemas of the change log API (``/api/v1/registry/changes``); names prefixed ``Registry`` (unique)."""

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema

from . import change_selectors, change_services


def _viewer(context: Any) -> Any:
    request = (context or {}).get("request")
    return getattr(request, "user", None)


class RegistryChangeIn(Schema):
    """One correction (see docs/registry-changes.md for each kind's ``data``)."""

    client_id: str = Field(..., min_length=1, max_length=64)
    target: Literal["resident", "household"]
    target_id: int = Field(..., ge=1, le=2**63 - 1)
    kind: str = Field(..., min_length=1, max_length=16)
    base_version: int = Field(..., ge=1, le=2**31 - 1)
    data: dict[str, Any] = {}


class RegistryChangeOut(Schema):
    id: int
    client_id: str | None = None
    kind: str
    target: str
    target_id: int
    status: str
    base_version: int | None = None
    version: int | None = None  # the target's version once applied
    before: dict[str, Any]
    after: dict[str, Any]
    author: int
    author_name: str
    created_at: datetime
    decided_by: int | None = None
    decided_at: datetime | None = None
    reason: str

    @staticmethod
    def resolve_target_id(obj: Any) -> int:
        return int(obj.resident_id if obj.target == "resident" else obj.household_id)

    @staticmethod
    def resolve_version(obj: Any) -> int | None:
        return obj.version_after  # type: ignore[no-any-return]

    @staticmethod
    def resolve_before(obj: Any, context: Any) -> dict[str, Any]:
        return change_selectors.values_for(change_services.load(obj.before), _viewer(context))

    @staticmethod
    def resolve_after(obj: Any, context: Any) -> dict[str, Any]:
        return change_selectors.values_for(change_services.load(obj.after), _viewer(context))

    @staticmethod
    def resolve_author(obj: Any) -> int:
        return int(obj.author_id)

    @staticmethod
    def resolve_author_name(obj: Any) -> str:
        return str(obj.author.display_name or obj.author.username)

    @staticmethod
    def resolve_decided_by(obj: Any) -> int | None:
        return obj.decided_by_id  # type: ignore[no-any-return]


class RegistryChangeFilter(Schema):
    status: str | None = Field(None, max_length=60)
    area: str | None = Field(None, max_length=17)
    resident: int | None = Field(None, ge=1, le=2**63 - 1)
    household: int | None = Field(None, ge=1, le=2**63 - 1)


class RegistryChangeSettleIn(Schema):
    action: Literal["apply", "discard"]
    reason: str = Field("", max_length=200)


class RegistryChangeDecideIn(Schema):
    reason: str = Field("", max_length=200)
