"""A station's check-in code (签到码): ``<place id>-<6 hex of an HMAC keyed by SECRET_KEY>``, printed at the
station (and as a QR). Short enough to type on a phone; nobody can make up the code of a station they have not
visited, and no column is needed (the code is derived, so rotating SECRET_KEY rotates every code)."""

from __future__ import annotations

import hmac

from django.utils.crypto import salted_hmac

from .models import Place

SALT = "wangge.places.station_code"


def station_code(place_id: int) -> str:
    return f"{place_id}-{salted_hmac(SALT, str(place_id)).hexdigest()[:6]}"


def place_for_code(raw: str) -> Place | None:
    """The active place of a code, or None for anything else (a bare id, a wrong HMAC, junk)."""
    raw = (raw or "").strip().lower()
    if len(raw) > 30 or "-" not in raw:
        return None
    pk, _sep, mac = raw.partition("-")
    if not pk.isdigit() or len(pk) > 12:
        return None
    if not hmac.compare_digest(station_code(int(pk)), f"{int(pk)}-{mac}"):
        return None
    return Place.objects.filter(pk=int(pk), active=True).select_related("area").first()
