from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from wangge.core.pii import phone_hashes, validate_phone

from .models import User


def find_login_user(login: str) -> User | None:
    """A user by username, or by phone number (through its keyed hash)."""
    login = (login or "").strip()
    if not login:
        return None
    user = User.objects.filter(username=login).first()
    if user is None and validate_phone(login) is None:
        user = User.objects.filter(phone_hash__in=phone_hashes(login)).first()
    return user


class UsernameOrPhoneBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):  # type: ignore[no-untyped-def]
        user = find_login_user(username or kwargs.get("phone") or "")
        if user is None:
            User().set_password(password or "")  # same cost as a real check: no user enumeration by timing
            return None
        if user.check_password(password or "") and self.user_can_authenticate(user):
            return user
        return None
