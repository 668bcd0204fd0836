"""Template helpers of the shared UI layer (docs/ui.md)."""

from __future__ import annotations

from django import template

from wangge.core.labels import field_label as _field_label

register = template.Library()


@register.filter
def field_label(name: str) -> str:
    """``{{ e.field|field_label }}`` → the field's label in the user's words ("code" → "签到码")."""
    return _field_label(str(name or ""))


@register.filter
def error_label(error: dict[str, object]) -> str:
    """The label to show before an error's message; "" when the message already starts with it."""
    label = _field_label(str(error.get("field") or ""))
    return "" if str(error.get("message") or "").startswith(label) else label
