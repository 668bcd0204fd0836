"""Generic input guards at the edge: each class of bad input is refused in one place, for every endpoint.

Two hooks share the checks below:

* ``guard_operation`` wraps every operation of the NinjaAPI (``api.add_decorator``) and walks the values
  ninja has already parsed — path, query, JSON body, form fields — so it sees the typed values: text with
  NUL bytes, lone surrogates or control characters (PostgreSQL refuses NUL; openpyxl refuses the control
  characters, so one bad name would break every later .xlsx export), integers beyond a 64-bit column,
  NaN/infinite numbers, dates outside a sane range, and ``limit``/``offset`` outside the page bounds.
* ``InputGuardMiddleware`` checks the raw text of every request — the path, the query string and the form
  fields of the pages' posts (and Open311's form posts) — before any view runs.

Each refusal names the field and the reason: 422 ``{"detail", "errors": [{"field", "message"}]}`` on the API,
the error page (or the HTMX fragment) on pages, the GeoReport error list on Open311.
"""

from __future__ import annotations

import functools
import math
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from pydantic import BaseModel

from .error_views import service_error_response
from .errors import InvalidInput

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# NUL and the C0 controls that XML (so .xlsx) cannot hold — tab, LF and CR stay allowed — and any UTF-16
# surrogate code point: in a Python str it can only be a lone one, which no UTF-8 database or file accepts.
_BAD_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def max_page_size() -> int:
    """The largest ``limit`` any list accepts (``WANGGE_API_MAX_PAGE_SIZE``, default 200)."""
    return int(getattr(settings, "WANGGE_API_MAX_PAGE_SIZE", 200))


def year_range() -> tuple[int, int]:
    """Dates and datetimes accepted in any input (``WANGGE_MIN_YEAR``/``WANGGE_MAX_YEAR``, 1900–2100)."""
    return int(getattr(settings, "WANGGE_MIN_YEAR", 1900)), int(getattr(settings, "WANGGE_MAX_YEAR", 2100))


def printable(value: str) -> str:
    """``value`` with every refused character written as an escape, safe to echo in an error message."""
    return _BAD_TEXT.sub(lambda m: f"\\u{ord(m.group()):04x}", value)


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None."""
    match = _BAD_TEXT.search(value)
    if match is None:
        return None
    char = match.group()
    if char == "\x00":
        return _("含有空字符（NUL）")
    if "\ud800" <= char <= "\udfff":
        return _("含有无效的 Unicode 字符（孤立代理项）")
    return _("含有控制字符（U+%(code)04X）") % {"code": ord(char)}


def value_problem(value: Any) -> str | None:
    """Why a parsed scalar cannot be accepted, or None. Booleans are ints in Python and are always fine."""
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            return _("数值超出范围")
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else _("须为有限数值（不能是 NaN 或无穷大）")
    if isinstance(value, Decimal):
        return None if value.is_finite() else _("须为有限数值（不能是 NaN 或无穷大）")
    if isinstance(value, date):  # datetime is a date too
        low, high = year_range()
        if not low <= value.year <= high:
            return _("日期须在 %(low)s–%(high)s 年之间") % {"low": low, "high": high}
    return None


def _page_problem(name: str, value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    if name == "limit":
        top = max_page_size()
        if not 1 <= value <= top:
            return _("limit 须在 1–%(top)s 之间") % {"top": top}
    elif name == "offset" and value < 0:
        return _("offset 不能为负数")
    return None


def _walk(value: Any, path: tuple[str, ...], depth: int) -> Iterator[tuple[str, str]]:
    """Yield (field, message) for every unacceptable value inside ``value``."""
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _walk(getattr(value, name, None), (*path, name), depth + 1)
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            key_str = printable(str(key))
            if isinstance(key, str) and (problem := text_problem(key)):
                yield ".".join((*path, key_str)), problem
            yield from _walk(item, (*path, key_str), depth + 1)
        return
    if isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            yield from _walk(item, (*path, str(index)), depth + 1)
        return
    problem = value_problem(value)
    if problem is None and depth <= 1 and path:
        problem = _page_problem(path[-1], value)
    if problem:
        yield ".".join(path), problem


def input_problems(values: Mapping[str, Any]) -> list[dict[str, str]]:
    """The errors for a view's parsed keyword arguments. A top-level schema (the body ``payload``, a
    ``Query[Filter]``, ninja's pagination input) is not part of the field name, as in ninja's own 422s."""
    errors: list[dict[str, str]] = []
    for name, value in values.items():
        path: tuple[str, ...] = () if isinstance(value, BaseModel) else (name,)
        for field, message in _walk(value, path, 0):
            errors.append({"field": field, "message": message})
    return errors


def refuse(errors: list[dict[str, str]]) -> InvalidInput:
    return InvalidInput.fields(errors, _("输入有误"))


def guard_operation(view_func: Callable[..., Any]) -> Callable[..., Any]:
    """A ninja operation decorator: refuse the request with 422 before the view runs if any parsed value is
    unacceptable. Applied to every operation with ``api.add_decorator(guard_operation)``."""

    @functools.wraps(view_func)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        errors = input_problems(kwargs)
        if errors:
            raise refuse(errors)
        return view_func(request, *args, **kwargs)

    return guarded


def request_problems(request: HttpRequest) -> list[dict[str, str]]:
    """Bad text in the raw request: the path, query parameters and form fields (names and values)."""
    errors: list[dict[str, str]] = []
    if problem := text_problem(request.path_info):
        errors.append({"field": "path", "message": problem})
    sources: list[dict[str, list[str]]] = [dict(request.GET.lists())]
    content_type = request.content_type or ""
    if request.method not in ("GET", "HEAD", "OPTIONS") and content_type.startswith(_FORM_TYPES):
        sources.append(dict(request.POST.lists()))
        sources.append({f: [u.name or "" for u in request.FILES.getlist(f)] for f in request.FILES})
    for source in sources:
        for key, values in source.items():
            if problem := text_problem(key):
                errors.append({"field": printable(key), "message": problem})
                continue
            for value in values:
                if isinstance(value, str) and (problem := text_problem(value)):
                    errors.append({"field": key, "message": problem})
                    break
    return errors


_API_STATUS_DETAIL = {
    400: "请求格式有误",
    401: "未登录或令牌无效",
    403: "无权访问",
    404: "未找到",
    405: "不支持该请求方法",
    413: "请求体过大",
}


class InputGuardMiddleware:
    """Refuses bad text in any request's path, query or form fields before a view sees it (see module doc).
    Also keeps the API's one error shape for the 4xx that Django answers before the API is reached — a path
    no route matches (``/api/v1/pairings/abc``), a method a path does not allow — which would be HTML."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            errors = request_problems(request)
        except (SuspiciousOperation, MultiPartParserError):
            # A body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields, a broken multipart: Django's 400/413.
            if not request.path_info.startswith("/api/"):
                raise
            too_big = isinstance(sys.exc_info()[1], RequestDataTooBig)
            return self._api_error(HttpResponse(status=413 if too_big else 400))
        if not errors:
            response = self.get_response(request)
            if (
                request.path_info.startswith("/api/")
                and 400 <= response.status_code < 500
                and not response.get("Content-Type", "").startswith("application/json")
            ):
                return self._api_error(response)
            return response
        exc = refuse(errors)
        path = request.path_info
        if path.startswith("/api/"):
            return JsonResponse(
                exc.as_dict(), status=exc.status_code, json_dumps_params={"ensure_ascii": False}
            )
        if path.startswith("/open311/"):
            # Open311 clients are machines: they get the parameter names of the GeoReport spec.
            names = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors)
            body = [{"code": 400, "description": names or exc.detail}]
            return JsonResponse(body, status=400, safe=False, json_dumps_params={"ensure_ascii": False})
        return service_error_response(request, exc)

    @staticmethod
    def _api_error(response: HttpResponse) -> HttpResponse:
        detail = _API_STATUS_DETAIL.get(response.status_code, "请求有误")
        out = JsonResponse(
            {"detail": detail, "errors": []},
            status=response.status_code,
            json_dumps_params={"ensure_ascii": False},
        )
        if response.has_header("Allow"):
            out["Allow"] = response["Allow"]
        return out
