"""Request-wide concerns of the pages and the API:

- the client's address (``client_ip``), kept in a context variable so services can audit "from where" without
  every service taking the request;
- a service error raised in a page becomes an error page with its status code;
- responses to a signed-in user are never stored by a browser or a proxy cache (``PrivateResponseMiddleware``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

from .error_views import service_error_response
from .errors import ServiceError

current_ip: ContextVar[str | None] = ContextVar("wangge_current_ip", default=None)

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, networks: Iterable[IPNetwork]) -> bool:
    return any(address in net for net in networks)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. ``X-Forwarded-For`` is believed only when the request comes from a configured
    proxy (``WANGGE_TRUSTED_PROXIES``); then the header is read from the right, skipping the trusted proxies,
    and the first other address is the client's — entries further left were written by the client itself
    and may be forged. Anything unparseable stops the walk at the last address that a trusted hop vouched for.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    networks = _networks(tuple(getattr(settings, "WANGGE_TRUSTED_PROXIES", ()) or ()))
    peer = _parse(remote) if remote else None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if peer is None or not networks or not forwarded or not _trusted(peer, networks):
        return remote
    client = peer
    for hop in reversed(forwarded.split(",")):
        address = _parse(hop)
        if address is None:
            break
        client = address
        if not _trusted(address, networks):
            break
    return str(client)


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_ip.set(client_ip(request))
        try:
            response = self.get_response(request)
        finally:
            current_ip.reset(token)
        # A rate limit (core/ratelimit.py) says when to come back, on pages and API answers alike.
        retry_after = getattr(request, "wangge_retry_after", None)
        if retry_after and response.status_code == 429 and not response.has_header("Retry-After"):
            response["Retry-After"] = str(retry_after)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """Pages: a service's Forbidden/NotFound/Conflict/InvalidInput becomes a page (or an HTMX fragment)
        with its status code, never a 500. The API has its own handlers in wangge/api.py."""
        if not isinstance(exception, ServiceError):
            return None
        return service_error_response(request, exception)


class PrivateResponseMiddleware:
    """``Cache-Control: no-store`` (with ``private``) on every response to a signed-in user — page, fragment,
    export or API answer alike. Whatever a signed-in user sees may hold personal data, and a shared computer's
    browser cache, the back button after logging out, or a caching proxy must not keep it. Static files are
    served before this (WhiteNoise) and keep their long-lived caching."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Read after the view: the API's bearer authentication sets request.user while the view runs.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response
