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
    def field(cls, field: str, message: str, *, label: str | None = None) -> InvalidInput:
        """One bad field. ``field`` is the machine name API clients match on; people read its label
        (``core.labels.field_label``), so the detail says "签到码：签到码不正确", never "code: …"."""
        entry = {"field": field, "message": message}
        return cls(describe([labelled(entry, label)]), [entry])

    @classmethod
    def fields(cls, errors: list[dict[str, Any]], fallback: str = "输入有误") -> InvalidInput:
        """Several bad fields at once; the detail lists each by its label."""
        return cls(describe([labelled(e) for e in errors]) or fallback, errors)


class Forbidden(ServiceError):
    status_code = 403


class NotFound(ServiceError):
    """Also raised for records outside the viewer's scope: we do not reveal that they exist."""

    status_code = 404


class Conflict(ServiceError):
    """A race lost or a transition from the wrong state; carries the current state where there is one."""

    status_code = 409


def labelled(error: dict[str, Any], label: str | None = None) -> dict[str, Any]:
    """A copy of the error with its field's ``label`` (the API's entries stay ``{"field", "message"}``; the
    pages add the label when they show them, see templatetags/wangge_ui.py)."""
    from .labels import field_label

    if error.get("label"):
        return error
    return {**error, "label": str(label) if label else field_label(str(error.get("field") or ""))}


def describe(errors: list[dict[str, Any]]) -> str:
    """One line for people: "标签：原因；标签：原因". A message that already starts with its label is not
    prefixed twice."""
    parts = []
    for e in errors:
        label, message = str(e.get("label") or ""), str(e.get("message") or "")
        parts.append(f"{label}：{message}" if label and not message.startswith(label) else message)
    return "；".join(parts)


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
    return InvalidInput(describe([labelled(e) for e in errors]) or "输入有误", errors)
