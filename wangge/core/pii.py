"""Personal data at rest: encryption, keyed look-up hashes and display masking (PIPL art. 28, 51).

- ``encrypt``/``decrypt``: Fernet (AES-128-CBC + HMAC-SHA256) with keys derived from the master keys:
  ``settings.PII_KEY`` encrypts, it and every key of ``settings.PII_PREVIOUS_KEYS`` decrypt (MultiFernet).
  ``WANGGE_PII_KEYS=new,old`` sets both; ``wangge rotate_pii_key`` then re-encrypts every field under the
  new key (``wangge.core.rotation``), after which the old key can be dropped.
- ``blind_index``: HMAC-SHA256 of the normalised value under the current key, for exact look-ups ("find by
  ID number") without storing the value in plaintext. While a rotation is under way some rows still carry
  the old key's hash: look-ups use ``blind_indexes`` (one hash per configured key).
- ``mask_*``: the display conventions of DOMAIN.md (ID front 6 + back 4, phone 138****5678, name 张*).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import date
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@lru_cache(maxsize=16)
def _keys(master: str) -> tuple[Fernet, bytes]:
    enc = hashlib.sha256(b"wangge-pii-encrypt:" + master.encode()).digest()
    mac = hashlib.sha256(b"wangge-pii-index:" + master.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(enc)), mac


def master_keys() -> tuple[str, ...]:
    """The configured master keys, the current (encrypting) one first, without repeats."""
    keys = [settings.PII_KEY, *getattr(settings, "PII_PREVIOUS_KEYS", [])]
    return tuple(dict.fromkeys(k for k in keys if k))


@lru_cache(maxsize=8)
def _multi(masters: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([_keys(m)[0] for m in masters])


def _fernet() -> MultiFernet:
    return _multi(master_keys())


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # wrong key or tampered data: never return garbage silently
        raise ValueError("personal data cannot be decrypted with the configured WANGGE_PII_KEY") from exc


def reencrypt(token: str) -> str:
    """The same value encrypted under the current key (decrypts with any configured key)."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("personal data cannot be decrypted with the configured WANGGE_PII_KEY") from exc


def is_current(token: str) -> bool:
    """True when ``token`` decrypts with the current key alone (a rotation has reached it)."""
    try:
        _keys(master_keys()[0])[0].decrypt(token.encode())
        return True
    except InvalidToken:
        return False


def normalise(value: str) -> str:
    return re.sub(r"\s+", "", value).upper()


def _mac(master: str, value: str, purpose: str) -> str:
    return hmac.new(_keys(master)[1], f"{purpose}:{normalise(value)}".encode(), hashlib.sha256).hexdigest()


def blind_index(value: str, purpose: str = "") -> str:
    return _mac(master_keys()[0], value, purpose)


def blind_indexes(value: str, purpose: str = "") -> list[str]:
    """The hash under every configured key, current first: what a look-up matches during a rotation."""
    return [_mac(m, value, purpose) for m in master_keys()]


class EncryptedTextField(models.TextField):
    """A text column stored encrypted; Python code sees the plaintext. Not filterable: use a blind index."""

    description = "Encrypted text"

    def from_db_value(self, value, expression, connection):  # type: ignore[no-untyped-def]
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):  # type: ignore[no-untyped-def]
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))


# --- validation ------------------------------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def id_check_digit(first17: str) -> str:
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def validate_id_number(value: str) -> str | None:
    """Return the reason an 18-digit resident ID number (GB 11643) is invalid, or None if it is valid."""
    v = normalise(value)
    if not re.fullmatch(r"\d{17}[\dX]", v):
        return "身份证号须为18位，前17位为数字，末位为数字或X"
    try:
        date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return "身份证号中的出生日期无效"
    if id_check_digit(v[:17]) != v[17]:
        return "身份证号校验位错误"
    return None


def validate_phone(value: str) -> str | None:
    if not PHONE_RE.match(normalise(value)):
        return "电话号码格式不正确（手机11位，或带区号的固定电话）"
    return None


def birth_date_from_id(value: str) -> date:
    v = normalise(value)
    return date(int(v[6:10]), int(v[10:12]), int(v[12:14]))


# --- masking ---------------------------------------------------------------------------------------


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    v = normalise(value)
    return v[:6] + "*" * (len(v) - 10) + v[-4:] if len(v) > 10 else "*" * len(v)


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    v = normalise(value)
    return v[:3] + "****" + v[-4:] if len(v) >= 8 else "****"


def mask_name(value: str | None) -> str:
    if not value:
        return ""
    return value[0] + "*" * max(1, len(value) - 1)


_DISTRICT_RE = re.compile(r"^(.*?(?:区|县|市))")


def mask_address(value: str | None) -> str:
    """Cut an address after the district (DOMAIN.md): 海安市城东街道… → 海安市***."""
    if not value:
        return ""
    m = _DISTRICT_RE.match(value)
    return (m.group(1) if m else value[:2]) + "***"


# --- keyed look-up hashes used across apps (one purpose string each, so equal values differ per use) ---


def id_hash(id_number: str) -> str:
    return blind_index(id_number, "id")


def id_hashes(id_number: str) -> list[str]:
    return blind_indexes(id_number, "id")


def phone_hash(phone: str) -> str:
    return blind_index(phone, "phone")


def phone_hashes(phone: str) -> list[str]:
    return blind_indexes(phone, "phone")


def tag_token(tag_code: str) -> str:
    """What a tag assignment stores instead of the tag: the database alone never says who is 低保 or 残疾."""
    return blind_index(tag_code, "tag")


# --- what a key rotation rewrites (``wangge.core.rotation``) ------------------------------------------------
# Every EncryptedTextField is found by itself. Blind indexes are declared here (core imports no app, so by
# label): (model, hash field, plaintext field, purpose). An empty plaintext keeps the hash field as it is.
BLIND_INDEXES: list[tuple[str, str, str, str]] = [
    ("registry.Resident", "id_hash", "id_number", "id"),
    ("registry.Resident", "phone_hash", "phone", "phone"),
    ("registry.HouseOwner", "id_hash", "id_number", "id"),
    ("accounts.User", "phone_hash", "phone", "phone"),
]
# Tokens whose plaintext lives in another table: (model, token field, source model, source field, purpose).
TOKEN_INDEXES: list[tuple[str, str, str, str, str]] = [
    ("registry.Tagging", "token", "registry.Tag", "code", "tag"),
]
