"""Login throttling with django-axes: the login page, the admin's login and ``POST /api/v1/auth/token``.

- An account is locked after ``WANGGE_LOGIN_FAILURES_PER_ACCOUNT`` failures (from anywhere), an address after
  ``WANGGE_LOGIN_FAILURES_PER_ADDRESS`` failures (against any accounts); either lock refuses every login,
  the right password included, until ``WANGGE_LOGIN_COOLOFF_MINUTES`` after the last counted failure.
- A username and the phone number of the same account count as one account (``login_key``).
- Every failure, every lockout and every refused attempt is a row in our audit log, with the client address
  as ``client_ip`` sees it (``X-Forwarded-For`` only from a trusted proxy).
- The page shows the reason next to the form (429); the API answers 429 with ``{"detail", "errors"}``.

Settings are in ``wangge/settings.py`` (``AXES_*`` derive from the ``WANGGE_LOGIN_*`` tunables).
An administrator lifts a lock early with ``wangge axes_reset_username <username>`` (or ``axes_reset_ip``).
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from wangge.core.audit import audit
from wangge.core.pii import mask_phone, phone_hash, validate_phone

from .backends import find_login_user


def cooloff_minutes() -> int:
    return max(1, round(settings.WANGGE_LOGIN_COOLOFF_MINUTES))


def lockout_message() -> str:
    return _("登录失败次数过多，已暂时锁定。请 %(minutes)s 分钟后再试，或联系管理员解锁。") % {
        "minutes": cooloff_minutes()
    }


def _login_from(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    if credentials and credentials.get("username") is not None:
        return str(credentials["username"]).strip()
    if request is not None and request.method == "POST":
        return str(request.POST.get("username", "")).strip()
    return ""


def login_key(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """The account a login names, so that its username and its phone number share one count. A login that
    names no account counts under what was typed (those attempts can never succeed), a phone number under
    its keyed hash."""
    login = _login_from(request, credentials)
    if not login:
        return None
    cache: dict[str, str] = getattr(request, "_wangge_login_keys", {}) if request is not None else {}
    if login not in cache:
        user = find_login_user(login)
        if user is not None:
            cache[login] = user.username
        elif validate_phone(login) is None:
            # A phone number that names no account: counted under its keyed hash, so that no plaintext phone
            # reaches axes' table or its log lines.
            cache[login] = "phone:" + phone_hash(login)[:24]
        else:
            cache[login] = login[:150]
        if request is not None:
            request._wangge_login_keys = cache  # type: ignore[attr-defined]
    return cache[login]


class LockoutBackend(AxesStandaloneBackend):
    """Refuses every login while the account or the address is locked out. A login without a request (the
    test client's ``Client.login``, scripts) has no address to count and is passed on unthrottled; every
    login over HTTP — the page, the admin, the token endpoint — carries its request."""

    def authenticate(  # type: ignore[no-untyped-def, override]
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs
    ):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class LockoutHandler(AxesDatabaseHandler):
    """django-axes' database handler with two limits instead of one: per account and per address.

    axes compares one number (the largest failure count over the lock-out parameters) with one limit
    (``AXES_FAILURE_LIMIT``, the per-account limit). The address's count is put on that scale, so it reaches the
    limit exactly at ``WANGGE_LOGIN_FAILURES_PER_ADDRESS`` failures: ``n * per_account // per_address``."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        per_account = settings.WANGGE_LOGIN_FAILURES_PER_ACCOUNT
        per_address = settings.WANGGE_LOGIN_FAILURES_PER_ADDRESS
        parameters = get_lockout_parameters(request, credentials)
        worst = 0
        for parameter, attempts in zip(parameters, self.get_user_attempts(request, credentials), strict=True):
            count = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            if parameter == "ip_address":
                count = count * per_account // per_address
            worst = max(worst, count)
        return worst

    def reset_user_attempts(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        """A successful login clears its account's failures only. (axes would also clear every failure from
        the address, so one valid account would let an attacker reset the per-address count at will.)"""
        username = login_key(request, credentials)
        if username is None:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """What a locked-out login gets: the API a 429 in its error shape, a page the login form with the reason."""
    message = lockout_message()
    retry_after = str(cooloff_minutes() * 60)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"detail": message, "errors": [{"field": "username", "message": message}]}, status=429
        )
    else:
        from .forms import LoginForm

        # An unbound form: binding the posted data would run authenticate() again while rendering.
        form = LoginForm(request, initial={"username": _login_from(request, credentials)})
        context = {"form": form, "lockout_message": message, "next": request.POST.get("next", "")}
        response = render(request, "accounts/login.html", context, status=429)
    response["Retry-After"] = retry_after
    return response


# --- audit ------------------------------------------------------------------------------------------------


def _shown_login(login: str) -> str:
    """What the audit log shows of a typed login: a phone number masked, anything else cut short."""
    if login and validate_phone(login) is None:
        return mask_phone(login)
    return login[:150]


def audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kw: Any
) -> None:
    """Runs after django-axes' own receiver, so the request says whether this attempt was counted, tripped
    the lock, or was refused because the lock was already on."""
    if request is None:  # a login without a request (scripts, the test client) is not an HTTP attempt
        return
    login = _login_from(request, credentials)
    user = find_login_user(login) if login else None
    if getattr(request, "axes_locked_out", False):
        counted = getattr(request, "axes_failures_since_start", None)
        if counted is not None:
            action, note = "lockout", f"连续登录失败 {counted} 次，锁定 {cooloff_minutes()} 分钟"
        else:
            action, note = "login_refused", "锁定期间的登录被拒绝"
    else:
        action, note = "login_failed", "用户名或密码错误"
    audit(
        action,
        by=None,
        actor_name=_shown_login(login) or "-",
        object_type="accounts.user",
        object_id=user.pk if user is not None else "",
        note=note,
    )


def audit_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kw: Any) -> None:
    if request is None:
        return
    audit("login", user, by=user, note="获取 API 令牌" if request.path.startswith("/api/") else "登录")
