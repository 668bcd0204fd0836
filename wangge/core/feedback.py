"""Service errors on plain (non-htmx) forms that redirect after POST: the message is shown on the next page
and, for each field it names, also next to that field (static/wangge/app.js reads ``data-fields``).

    try:
        services.signup_check_in(...)
    except ServiceError as exc:
        error_message(request, exc)   # instead of messages.error(request, exc.detail)
        return redirect(...)
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest

from .errors import ServiceError

FIELD_TAG = "fields:"


def error_message(request: HttpRequest, exc: ServiceError) -> None:
    """The error's detail as a message; the names of its fields ride along in ``extra_tags``."""
    names = [str(e["field"]) for e in exc.errors if isinstance(e, dict) and e.get("field")]
    messages.error(request, exc.detail, extra_tags=(FIELD_TAG + ",".join(names)) if names else "")
