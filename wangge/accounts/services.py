"""Writes for accounts: users, posts, API tokens."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from wangge.core.audit import audit
from wangge.core.errors import Conflict, InvalidInput, from_django_validation
from wangge.core.pii import mask_phone, normalise, phone_hash, validate_phone

from .models import ApiToken, Post, Unit, User


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    role: str,
    display_name: str = "",
    phone: str = "",
    unit: Unit | None = None,
    by: Any = None,
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    if phone:
        reason = validate_phone(phone)
        if reason:
            raise InvalidInput.field("phone", reason)
        phone = normalise(phone)
    user = User(
        username=username,
        role=role,
        display_name=display_name,
        phone=phone,
        unit=unit,
        is_staff=is_staff,
        is_superuser=is_superuser,
        phone_hash=phone_hash(phone) if phone else None,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        raise from_django_validation(exc) from exc
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise Conflict(
            "username or phone already in use", [{"field": "username", "message": "已被使用"}]
        ) from exc
    audit("create", user, by=by, changes={"role": role, "phone": mask_phone(phone)})
    return user


@transaction.atomic
def post_assign(*, user: User, area: Any, kind: str, by: Any = None) -> Post:
    post, created = Post.objects.get_or_create(user=user, area=area, kind=kind, defaults={"active": True})
    if not created and not post.active:
        post.active = True
        post.save(update_fields=["active", "updated_at"])
    audit("create" if created else "update", post, by=by)
    return post


def _hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_create(*, user: User, name: str = "") -> str:
    """Create an API token and return its key; only the hash is kept, so this is the only time it is seen."""
    key = "wg_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, key_hash=_hash_token(key), prefix=key[:8], name=name)
    return key


def token_authenticate(key: str) -> User | None:
    token = ApiToken.objects.select_related("user").filter(key_hash=_hash_token(key), revoked=False).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    # Touch at most once a minute: a token used by a busy client must not write on every request.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
