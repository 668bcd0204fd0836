"""Sign-up with a phone code: the code is hashed, expires, dies after too many tries, is used once; consent
is required and recorded; a registered phone is refused; the forgotten password by phone code; throttles."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from wangge.accounts.models import User
from wangge.accounts.roles import Role
from wangge.core.errors import Conflict, InvalidInput
from wangge.core.ratelimit import RateLimited
from wangge.notifications.models import OutboxMessage
from wangge.signup import services
from wangge.signup.models import Consent, PhoneCode, SelfSignup
from wangge.testing import make_user

pytestmark = pytest.mark.django_db
PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _clean(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()


def last_code(phone: str = PHONE) -> str:
    msg = OutboxMessage.objects.filter(channel="sms").order_by("-pk").first()
    assert msg is not None and msg.phone == phone
    return str(msg.payload["code"])


def test_the_code_goes_through_the_outbox_and_only_its_hash_is_stored() -> None:
    row = services.code_send(phone=PHONE, purpose="signup", ip="10.0.0.1")
    code = last_code()
    assert len(code) == 6 and code.isdigit()
    assert code in OutboxMessage.objects.get().payload["title"]
    assert row.code_hash != code and code not in row.code_hash and PHONE not in row.phone_hash


def test_signup_with_the_code_makes_a_resident_who_logs_in_by_phone_and_consent_is_recorded() -> None:
    services.code_send(phone=PHONE, purpose="signup", ip="10.0.0.1")
    user = services.signup(
        phone=PHONE,
        code=last_code(),
        password="Gridpass-2026",
        display_name="周自注",
        consent=True,
        ip="10.0.0.1",
        user_agent="pytest",
    )
    assert user.role == Role.RESIDENT and user.phone == PHONE
    consent = Consent.objects.get(user=user)
    assert (consent.notice_version, consent.ip, consent.user_agent) == (
        services.NOTICE_VERSION,
        "10.0.0.1",
        "pytest",
    )
    assert SelfSignup.objects.filter(user=user).exists()
    client = Client()
    res = client.post("/accounts/login/", {"username": PHONE, "password": "Gridpass-2026"})
    assert res.status_code == 302


def test_no_consent_no_account_and_the_code_is_not_spent() -> None:
    services.code_send(phone=PHONE, purpose="signup")
    code = last_code()
    with pytest.raises(InvalidInput) as exc:
        services.signup(phone=PHONE, code=code, password="Gridpass-2026", display_name="周", consent=False)
    assert exc.value.errors[0]["field"] == "consent"
    assert not User.objects.filter(role=Role.RESIDENT).exists()
    assert PhoneCode.objects.get().attempts == 0
    assert services.signup(phone=PHONE, code=code, password="Gridpass-2026", display_name="周", consent=True)


def test_wrong_codes_are_counted_and_the_code_dies_after_the_limit(settings: Any) -> None:
    settings.WANGGE_SIGNUP_CODE_ATTEMPTS = 3
    services.code_send(phone=PHONE, purpose="signup")
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    messages = []
    for _ in range(3):
        with pytest.raises(InvalidInput) as exc:
            services.signup(
                phone=PHONE, code=wrong, password="Gridpass-2026", display_name="周", consent=True
            )
        messages.append(exc.value.errors[0]["message"])
    assert messages == [
        "验证码不正确，还可再试 2 次",
        "验证码不正确，还可再试 1 次",
        "验证码不正确，请重新获取验证码",
    ]
    assert PhoneCode.objects.get().attempts == 3  # counted although each sign-up failed
    with pytest.raises(InvalidInput) as exc:  # the right code, too late
        services.signup(phone=PHONE, code=code, password="Gridpass-2026", display_name="周", consent=True)
    assert exc.value.errors[0] == {"field": "code", "message": "错误次数过多，请重新获取验证码"}


def test_an_expired_code_is_refused() -> None:
    then = timezone.now() - dt.timedelta(minutes=11)
    services.code_send(phone=PHONE, purpose="signup", now=then)
    with pytest.raises(InvalidInput) as exc:
        services.signup(
            phone=PHONE, code=last_code(), password="Gridpass-2026", display_name="周", consent=True
        )
    assert exc.value.errors[0] == {"field": "code", "message": "验证码已过期，请重新获取"}


def test_a_code_is_used_once_and_a_registered_phone_is_refused() -> None:
    services.code_send(phone=PHONE, purpose="signup")
    code = last_code()
    services.signup(phone=PHONE, code=code, password="Gridpass-2026", display_name="周", consent=True)
    with pytest.raises(Conflict) as exc:
        services.signup(phone=PHONE, code=code, password="Gridpass-2026", display_name="周", consent=True)
    assert exc.value.errors[0]["field"] == "phone"
    with pytest.raises(Conflict):
        services.code_send(phone=PHONE, purpose="signup")
    assert User.objects.filter(role=Role.RESIDENT).count() == 1


def test_one_code_a_minute_per_phone_and_a_cap_per_address(settings: Any) -> None:
    t0 = timezone.now()
    services.code_send(phone=PHONE, purpose="signup", now=t0)
    with pytest.raises(RateLimited):
        services.code_send(phone=PHONE, purpose="signup", now=t0 + dt.timedelta(seconds=30))
    services.code_send(phone=PHONE, purpose="signup", now=t0 + dt.timedelta(seconds=61))
    assert OutboxMessage.objects.count() == 2
    # Per address (django-ratelimit, counted on the request): the third request from one address is refused.
    settings.WANGGE_RATE_SIGNUP_CODES_IP = "2/h"
    client = Client(REMOTE_ADDR="10.9.9.9")
    for i, expected in enumerate((200, 200, 429)):
        res = client.post("/signup/", {"phone": f"1370000000{i}", "action": "send"})
        assert res.status_code == expected, res.content.decode()[:300]
    assert "操作过于频繁" in res.content.decode()


def test_only_the_newest_code_is_valid() -> None:
    t0 = timezone.now() - dt.timedelta(minutes=2)
    services.code_send(phone=PHONE, purpose="signup", now=t0)
    first = last_code()
    services.code_send(phone=PHONE, purpose="signup")
    second = last_code()
    if first != second:
        with pytest.raises(InvalidInput):
            services.signup(
                phone=PHONE, code=first, password="Gridpass-2026", display_name="周", consent=True
            )
    assert services.signup(
        phone=PHONE, code=second, password="Gridpass-2026", display_name="周", consent=True
    )


def test_forgotten_password_by_phone_code() -> None:
    user = make_user(Role.RESIDENT, username="old", phone=PHONE)
    services.code_send(phone=PHONE, purpose="reset")
    services.password_reset(phone=PHONE, code=last_code(), password="Newpass-2026x")
    user.refresh_from_db()
    assert user.check_password("Newpass-2026x")
    # An unknown phone: the same answer, and nothing sent.
    services.code_send(phone="13700001111", purpose="reset")
    assert OutboxMessage.objects.count() == 1


def test_signup_page_shows_each_error_next_to_its_field() -> None:
    client = Client()
    res = client.post("/signup/", {"phone": "123", "action": "send"})
    assert res.status_code == 422 and "请输入11位手机号" in res.content.decode()
    client.post("/signup/", {"phone": PHONE, "action": "send"})
    res = client.post(
        "/signup/",
        {
            "phone": PHONE,
            "code": last_code(),
            "display_name": "周",
            "password": "Gridpass-2026",
            "action": "signup",
        },
    )
    body = res.content.decode()
    assert res.status_code == 422 and 'id="id_consent-error"' in body and "请阅读并同意" in body
    res = client.post(
        "/signup/",
        {
            "phone": PHONE,
            "code": last_code(),
            "display_name": "周",
            "password": "Gridpass-2026",
            "consent": "on",
            "action": "signup",
        },
    )
    assert res.status_code == 302 and res["Location"] == "/"
