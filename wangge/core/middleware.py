"""Keeps the current request's client address in a context variable, so services can audit 'from where'
without every service taking the request."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .errors import ServiceError

current_ip: ContextVar[str | None] = ContextVar("wangge_current_ip", default=None)


def client_ip(request: HttpRequest) -> str | None:
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if forwarded:
        return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """Pages: a service's Forbidden/NotFound/Conflict/InvalidInput becomes a page (or an HTMX fragment)
        with its status code, never a 500. The API has its own handlers in wangge/api.py."""
        if not isinstance(exception, ServiceError):
            return None
        template = "_error_fragment.html" if request.headers.get("HX-Request") else "error.html"
        return render(request, template, {"error": exception}, status=exception.status_code)
