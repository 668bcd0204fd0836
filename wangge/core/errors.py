"""Errors raised by services and selectors; the API and the pages turn them into one response shape.

API shape (ARCHITECTURE.md): ``{"detail": str, "errors": [{"field": str, "message": str}]}`` with a 4xx code.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status_code = 400

    def __init__(self, detail: str, errors: list[dict[str, Any]] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra

    def as_dict(self) -> dict[str, Any]:
        return {"detail": self.detail, "errors": self.errors, **self.extra}


class InvalidInput(ServiceError):
    """Bad input: names the field(s) and the reason; nothing was written."""

    status_code = 422

    @classmethod
    def field(cls, field: str, message: str) -> InvalidInput:
        return cls(f"{field}: {message}", [{"field": field, "message": message}])


class Forbidden(ServiceError):
    status_code = 403


class NotFound(ServiceError):
    """Also raised for records outside the viewer's scope: we do not reveal that they exist."""

    status_code = 404


class Conflict(ServiceError):
    """A race lost or a transition from the wrong state; carries the current state where there is one."""

    status_code = 409


def from_django_validation(exc: Any) -> InvalidInput:
    """Turn a django ValidationError (from full_clean) into InvalidInput naming each field."""
    errors: list[dict[str, Any]] = []
    if hasattr(exc, "message_dict"):
        for field, messages in exc.message_dict.items():
            for message in messages:
                errors.append({"field": "" if field == "__all__" else field, "message": str(message)})
    else:
        for message in exc.messages:
            errors.append({"field": "", "message": str(message)})
    detail = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors)
    return InvalidInput(detail or "invalid input", errors)
