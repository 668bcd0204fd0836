"""Writes for accounts: users, posts, API tokens."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from wangge.core.audit import audit
from wangge.core.cache import VersionedCache, instance
from wangge.core.errors import Conflict, InvalidInput, NotFound, from_django_validation
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


_USER_FIELDS = [f.attname for f in User._meta.concrete_fields]
# Token hash → (token id, last touch, the user's column values). Flushed when a token is revoked or
# re-pointed, or a user's role, activity or identity changes (triggers move the ``token``/``user`` stamps).
_tokens: VersionedCache[tuple[int, Any, dict[str, Any]] | None] = VersionedCache(["token", "user"])


def _token_row(key_hash: str) -> tuple[int, Any, dict[str, Any]] | None:
    token = ApiToken.objects.select_related("user").filter(key_hash=key_hash, revoked=False).first()
    if token is None:
        return None
    return token.pk, token.last_used_at, {n: getattr(token.user, n) for n in _USER_FIELDS}


def token_authenticate(key: str) -> User | None:
    """The active user of a live token. Served from the per-process token cache (one stamp check per request);
    a revocation, a deactivation or a role change is seen by the next request in every process."""
    key_hash = _hash_token(key)
    row = _tokens.get(key_hash, lambda: _token_row(key_hash))
    if row is None:
        return None
    token_id, last_used_at, values = row
    if not values["is_active"]:
        return None
    now = timezone.now()
    # Touch at most once a minute: a token used by a busy client must not write on every request.
    if last_used_at is None or (now - last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
        _tokens.put(key_hash, (token_id, now, values))
    user: User = instance(User, values)
    return user


@transaction.atomic
def token_revoke(*, token_id: int, by: Any) -> ApiToken:
    """Revoke a token (the owner's own, or any as an admin). Every process stops accepting it at its next
    request (the trigger on ``revoked`` moves the token stamp)."""
    from .roles import Role

    token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
    if token is None or not (
        token.user_id == by.pk or by.is_superuser or getattr(by, "role", "") == Role.ADMIN
    ):
        raise NotFound("令牌不存在")
    if not token.revoked:
        token.revoked = True
        token.save(update_fields=["revoked"])
        audit("update", token, by=by, changes={"revoked": True})
    return token
