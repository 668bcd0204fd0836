"""The pages people see when something goes wrong: 400, 403, 404, 429, 500 and a failed CSRF check.

Each is styled, in Chinese, with a way back, and extends ``errors/base.html``, which needs no database and no
context processor (a 500 may be the database failing). An htmx request gets the small error fragment instead,
marked with ``X-Wangge-Error`` so the shared script (static/wangge/app.js) puts it in the form or the banner.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import ServiceError

ERROR_HEADER = "X-Wangge-Error"

_HEADINGS = {
    400: gettext_lazy("请求有误"),
    409: gettext_lazy("状态已变化"),
    413: gettext_lazy("文件过大"),
    422: gettext_lazy("输入有误"),
}


def _is_htmx(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request"))


def error_fragment(request: HttpRequest | None, error: Any, status: int) -> HttpResponse:
    """The fragment an htmx request gets for a 4xx: the detail and each field's message (with its label)."""
    body = loader.get_template("_error_fragment.html").render({"error": error}, request)
    response = HttpResponse(body, status=status)
    response[ERROR_HEADER] = "1"
    return response


def service_error_response(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    """A service's error raised in a page (core.middleware): the fragment for htmx, else a page."""
    if _is_htmx(request):
        return error_fragment(request, exc, exc.status_code)
    if exc.status_code in (403, 404, 429):
        name = f"errors/{exc.status_code}.html"
        context: dict[str, Any] = {"detail": exc.detail}
    else:
        name = "error.html"
        context = {"error": exc, "heading": _HEADINGS.get(exc.status_code, _HEADINGS[422])}
    body = loader.get_template(name).render(context, request)
    return HttpResponse(body, status=exc.status_code)


def _page(request: HttpRequest, status: int, name: str, detail: str) -> HttpResponse:
    if _is_htmx(request):
        return error_fragment(request, {"detail": detail, "errors": []}, status)
    # No context processors (plain dict context, no request): the page renders even when they would fail.
    body = loader.get_template(name).render({"detail": ""})
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 400, "errors/400.html", _("请求有误，请刷新页面后重试"))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 403, "errors/403.html", _("无权访问"))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 404, "errors/404.html", _("未找到，或不在您负责的范围内"))


def server_error(request: HttpRequest) -> HttpResponse:
    try:
        body = loader.get_template("errors/500.html").render({})
    except Exception:  # the last resort must not fail in turn
        body = "<!doctype html><meta charset=utf-8><title>500</title><h1>服务器出错了</h1><p><a href='/'>回到首页</a></p>"
    return HttpResponse(body, status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _page(request, 403, "errors/csrf.html", _("页面已过期，请刷新页面后重新提交"))
