"""Open311 GeoReport v2 views: parse → ``open311`` → JSON or XML. Errors in the spec's shape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from wangge.appeals import open311
from wangge.appeals.open311 import Open311Error
from wangge.core.ratelimit import RateLimited, check_rate

CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


def _render(fmt: str, kind: str, data: Any, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        return HttpResponse(open311.to_xml(kind, data), content_type=CONTENT_TYPES["xml"], status=status)
    return JsonResponse(
        data,
        safe=False,
        status=status,
        json_dumps_params={"ensure_ascii": False},
        content_type=CONTENT_TYPES["json"],
    )


def _error(fmt: str, code: int, description: str) -> HttpResponse:
    return _render(fmt, "errors", [{"code": code, "description": description}], status=code)


def _spec_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            for params in (request.GET, request.POST):
                for name, values in params.lists():
                    open311.clean_param("parameter", name)
                    for value in values:
                        open311.clean_param(name, value)
            return view(request, *args, **kwargs)
        except Open311Error as exc:
            return _error(kwargs.get("fmt", "json"), exc.code, exc.description)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@require_http_methods(["GET"])
@_spec_errors
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri("/open311/v2/")
    return _render(fmt, "discovery", open311.discovery(base))


@require_http_methods(["GET"])
@_spec_errors
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    return _render(fmt, "services", open311.service_list())


@require_http_methods(["GET"])
@_spec_errors
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    return _render(fmt, "service_definition", open311.service_definition(code))


@csrf_exempt  # a machine API authenticated by api_key, not a browser session
@require_http_methods(["GET", "POST"])
@_spec_errors
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        from wangge.accounts.services import token_authenticate

        key = (request.POST.get("api_key") or "").strip()
        user = token_authenticate(key) if key else None
        if user is None:
            raise Open311Error(403, "api_key is missing or invalid")
        try:
            check_rate(request, "submissions", user=user)
        except RateLimited as exc:
            raise Open311Error(429, exc.detail) from None
        data = {k: request.POST.get(k, "") for k in request.POST}
        rows = open311.request_create(
            user=user, data=data, idempotency_key=request.headers.get("Idempotency-Key")
        )
        return _render(fmt, "requests", rows, status=201)
    return _render(fmt, "requests", open311.request_search({k: request.GET.get(k, "") for k in request.GET}))


@require_http_methods(["GET"])
@_spec_errors
def request_detail(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    return _render(fmt, "requests", open311.request_get(request_id))


@require_http_methods(["GET"])
@_spec_errors
def token(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    return _render(fmt, "requests", open311.token_lookup(token))
