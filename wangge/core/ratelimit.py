"""Per-user rate limits on what costs the most to receive: new cases and uploaded files.

Two buckets, each a rate ``"<count>/<s|m|h|d>"`` from the settings (empty switches it off):

- ``submissions`` (``WANGGE_RATE_SUBMISSIONS``, default 10 a minute): every attempt to submit a case — the
  report page, ``POST /api/v1/appeals``, Open311 ``POST requests``;
- ``uploads`` (``WANGGE_RATE_UPLOADS``, default 120 an hour): every request that carries files — photos of
  cases and wishes, registry imports.

Counted per user (per address for a request without one) in fixed windows by django-ratelimit, in the cache
named by ``RATELIMIT_USE_CACHE``: this process's memory by default (no query on the submission path; each
gunicorn worker counts on its own), Redis when ``WANGGE_REDIS_URL`` is set (shared and atomic: use it when
several workers or machines must enforce one exact limit).

Over the limit: ``RateLimited`` (429) — a page shows the error page (or the htmx fragment), the API answers
``{"detail", "errors"}``; both carry ``Retry-After``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_ratelimit import ALL
from django_ratelimit.core import get_usage

from .errors import ServiceError
from .middleware import client_ip
from .schemas import ErrorOut

BUCKETS: dict[str, tuple[str, str]] = {
    "submissions": ("WANGGE_RATE_SUBMISSIONS", "10/m"),
    "uploads": ("WANGGE_RATE_UPLOADS", "120/h"),
}
_UNITS = {
    "s": gettext_lazy("秒"),
    "m": gettext_lazy("分钟"),
    "h": gettext_lazy("小时"),
    "d": gettext_lazy("天"),
}

F = TypeVar("F", bound=Callable[..., Any])


class RateLimited(ServiceError):
    status_code = 429


# For an API operation's ``response=``: documents the 429 that ``rate_limit`` may answer.
RATE_LIMITED: dict[int, Any] = {429: ErrorOut}


def rate_of(bucket: str) -> str | None:
    setting, default = BUCKETS[bucket]
    rate = str(getattr(settings, setting, default) or "").strip()
    return rate or None


def _key(user: Any, request: HttpRequest) -> str:
    if user is not None and getattr(user, "is_authenticated", False):
        # The join time keeps a counter from outliving its account (ids can be reused after a delete).
        joined = user.date_joined.timestamp() if getattr(user, "date_joined", None) else 0
        return f"user:{user.pk}:{joined}"
    return f"ip:{client_ip(request) or '-'}"


def _message(bucket: str, rate: str) -> str:
    """ "10/m" → "每分钟最多提交 10 次"; "5/10m" → "每10分钟…"."""
    count, _sep, per = rate.partition("/")
    unit = str(_UNITS.get(per[-1:], per))
    span = f"{per[:-1]}{unit}" if per[:-1].isdigit() else unit
    if bucket == "submissions":
        text = _("提交过于频繁：每%(span)s最多提交 %(count)s 次，请稍后再试。")
    else:
        text = _("上传过于频繁：每%(span)s最多上传 %(count)s 次，请稍后再试。")
    return text % {"span": span, "count": count}


def check_rate(request: HttpRequest, bucket: str, *, user: Any = None) -> None:
    """Count one ``bucket`` action for ``user`` (default: the request's user) and raise ``RateLimited`` once
    the limit is passed. Call it before the work, so a refused request costs next to nothing."""
    rate = rate_of(bucket)
    if rate is None:
        return
    who = user if user is not None else getattr(request, "user", None)
    key = _key(who, request)
    usage = get_usage(
        request, group=f"wangge.{bucket}", key=lambda group, req: key, rate=rate, method=ALL, increment=True
    )
    if usage is None or not usage["should_limit"]:
        return
    retry_after = max(1, int(usage["time_left"]))
    request.wangge_retry_after = retry_after  # type: ignore[attr-defined]  # RequestContextMiddleware sets the header
    message = _message(bucket, rate)
    raise RateLimited(message, [{"field": "", "message": message}])


def rate_limit(bucket: str) -> Callable[[F], F]:
    """Limit a page or an API operation (both take the request first). ``uploads`` counts only requests that
    carry files; ``submissions`` counts every POST."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if request.method == "POST" and (bucket != "uploads" or request.FILES):
                check_rate(request, bucket)
            return view(request, *args, **kwargs)

        return cast(F, wrapper)

    return decorator
