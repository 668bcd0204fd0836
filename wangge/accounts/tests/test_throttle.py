"""Login throttling (django-axes) on the login page and the token endpoint: lockout per account and per address,
the cool-off, the messages, and the audit rows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.db.models import F
from django.test import Client

from wangge.accounts.roles import Role
from wangge.core.models import AuditLog
from wangge.testing import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any) -> None:
    # Hundreds of password checks: a fast hasher keeps this file quick; the throttle does not depend on it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


LOGIN = "/accounts/login/"
TOKEN = "/api/v1/auth/token"


def page_login(client: Client, username: str, password: str, **extra: Any) -> Any:
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def token_login(client: Client, username: str, password: str, **extra: Any) -> Any:
    return client.post(
        TOKEN, {"username": username, "password": password}, content_type="application/json", **extra
    )


def age_failures(by: timedelta) -> None:
    """Move the clock: every recorded failure happened ``by`` earlier."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - by)


def cooloff() -> timedelta:
    return timedelta(minutes=django_settings.WANGGE_LOGIN_COOLOFF_MINUTES)


def test_fifty_wrong_passwords_lock_the_account_until_the_cooloff_on_the_page() -> None:
    user = make_user(Role.GRID_WORKER, username="wangwu")
    client = Client()
    statuses = [page_login(client, "wangwu", f"wrong-{i}").status_code for i in range(50)]
    limit = django_settings.WANGGE_LOGIN_FAILURES_PER_ACCOUNT
    assert statuses[: limit - 1] == [200] * (limit - 1)  # the form again, "wrong username or password"
    assert statuses[limit - 1 :] == [429] * (50 - limit + 1)

    # The right password is refused while the lock holds, with the reason next to the form (not a bare 403).
    res = page_login(client, "wangwu", PASSWORD)
    assert res.status_code == 429
    body = res.content.decode()
    assert "登录失败次数过多" in body and 'name="password"' in body and 'name="username"' in body
    assert res["Retry-After"] == str(round(django_settings.WANGGE_LOGIN_COOLOFF_MINUTES) * 60)
    assert "_auth_user_id" not in client.session

    # One minute before the cool-off ends: still refused.
    age_failures(cooloff() - timedelta(minutes=1))
    assert page_login(client, "wangwu", PASSWORD).status_code == 429
    # Once it has passed, the right password logs in.
    age_failures(timedelta(minutes=2))
    res = page_login(client, "wangwu", PASSWORD)
    assert res.status_code == 302 and int(client.session["_auth_user_id"]) == user.pk

    rows = AuditLog.objects.filter(object_type="accounts.user", object_id=str(user.pk)).exclude(
        action="create"
    )
    actions = list(rows.order_by("id").values_list("action", flat=True))
    assert actions.count("login_failed") == limit - 1
    assert actions.count("lockout") == 1
    assert actions.count("login_refused") == 50 - limit + 2  # the rest of the 50, and the two right ones
    assert actions[-1] == "login"
    assert set(rows.values_list("ip", flat=True)) == {"127.0.0.1"}
    assert set(rows.exclude(action="login").values_list("actor_name", flat=True)) == {"wangwu"}


def test_fifty_wrong_passwords_lock_the_token_endpoint_with_a_json_429() -> None:
    make_user(Role.COMMUNITY_STAFF, username="lisi")
    client = Client()
    last = None
    for i in range(50):
        last = token_login(client, "lisi", f"wrong-{i}")
        assert last.status_code in (401, 429)
    assert last is not None and last.status_code == 429
    res = token_login(client, "lisi", PASSWORD)
    assert res.status_code == 429
    body = res.json()
    assert "登录失败次数过多" in body["detail"] and body["errors"][0]["field"] == "username"
    assert "token" not in body

    age_failures(cooloff() + timedelta(seconds=5))
    res = token_login(client, "lisi", PASSWORD)
    assert res.status_code == 200 and res.json()["token"]
    assert AuditLog.objects.filter(action="lockout", actor_name="lisi").count() == 1
    assert AuditLog.objects.filter(action="login", actor_name="lisi", note="获取 API 令牌").exists()


def test_the_page_and_the_api_share_one_count_and_so_do_username_and_phone() -> None:
    make_user(Role.RESIDENT, username="zhaoliu", phone="13912345678")
    client = Client()
    limit = django_settings.WANGGE_LOGIN_FAILURES_PER_ACCOUNT
    for i in range(limit - 1):
        login = "zhaoliu" if i % 2 else "13912345678"
        (page_login if i % 3 else token_login)(client, login, "nope")
    assert token_login(client, "13912345678", "nope").status_code == 429
    assert page_login(client, "zhaoliu", PASSWORD).status_code == 429
    # A phone number typed as the login is masked in the audit log.
    assert AuditLog.objects.filter(actor_name="139****5678").exists()
    assert not AuditLog.objects.filter(actor_name__contains="13912345678").exists()


def test_an_address_is_locked_after_fifty_failures_against_any_accounts() -> None:
    per_account = django_settings.WANGGE_LOGIN_FAILURES_PER_ACCOUNT
    per_address = django_settings.WANGGE_LOGIN_FAILURES_PER_ADDRESS
    victim = make_user(Role.RESIDENT, username="victim")
    attacker = Client(REMOTE_ADDR="203.0.113.50")
    names = [f"guess{i}" for i in range(per_address)]
    # Spread over many accounts so that no account reaches its own limit.
    statuses = [
        token_login(attacker, names[i % (per_account - 1)], "x").status_code for i in range(per_address)
    ]
    assert statuses[: per_address - 1] == [401] * (per_address - 1) and statuses[-1] == 429
    assert token_login(attacker, "victim", PASSWORD).status_code == 429
    # The same account from another address is not affected.
    elsewhere = Client(REMOTE_ADDR="198.51.100.20")
    assert token_login(elsewhere, "victim", PASSWORD).status_code == 200
    assert AuditLog.objects.filter(
        action="login_refused", ip="203.0.113.50", object_id=str(victim.pk)
    ).exists()


def test_a_successful_login_clears_the_account_count_but_not_other_accounts_failures_from_the_address() -> (
    None
):
    make_user(Role.RESIDENT, username="mine")
    make_user(Role.RESIDENT, username="other")
    client = Client()
    limit = django_settings.WANGGE_LOGIN_FAILURES_PER_ACCOUNT
    for _ in range(limit - 1):
        page_login(client, "mine", "typo")
        token_login(client, "other", "guess")
    assert page_login(client, "mine", PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username="mine").exists()
    assert AccessAttempt.objects.get(username="other").failures_since_start == limit - 1
    for _ in range(limit - 1):
        assert page_login(Client(), "mine", "typo").status_code == 200
    assert token_login(client, "other", "guess").status_code == 429


def test_the_failure_message_before_the_lock_is_the_ordinary_one() -> None:
    make_user(Role.RESIDENT, username="plain")
    res = page_login(Client(), "plain", "wrong")
    assert res.status_code == 200
    assert "登录失败次数过多" not in res.content.decode()
    assert AuditLog.objects.get(action="login_failed").note == "用户名或密码错误"


def test_unknown_logins_are_counted_and_audited_without_an_account() -> None:
    res = token_login(Client(), "nobody-here", "x")
    assert res.status_code == 401
    row = AuditLog.objects.get(action="login_failed")
    assert row.actor is None and row.actor_name == "nobody-here" and row.object_id == ""
    assert AccessAttempt.objects.get(username="nobody-here").failures_since_start == 1


def test_an_unknown_phone_number_is_never_stored_or_logged_in_plaintext(caplog: Any) -> None:
    caplog.set_level("INFO")
    res = token_login(Client(), "13800001111", "x")
    assert res.status_code == 401
    attempt = AccessAttempt.objects.get()
    assert "13800001111" not in attempt.username and attempt.username.startswith("phone:")
    assert "13800001111" not in attempt.post_data + attempt.get_data
    assert "13800001111" not in caplog.text
    assert AuditLog.objects.get(action="login_failed").actor_name == "138****1111"
