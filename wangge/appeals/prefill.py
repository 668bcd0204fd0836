"""The report page opened from a 便民服务卡's QR code: the building filled in.

The QR carries a signed token of the building's id, not the bare id, so the page reveals a building's address
only to whoever holds a printed card for it — no one can walk the ids to list every address. The building is
read without ``visible_to`` on purpose: the card on that door already shows the address, and a resident may
report about any place."""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.urls import reverse

SALT = "wangge.appeals.report.building"


def report_path_for_building(building_id: int) -> str:
    token = signing.Signer(salt=SALT).sign(str(building_id))
    return f"{reverse('appeals:report')}?building={token}"


def building_prefill(raw: str | None) -> dict[str, Any] | None:
    """The address and location for a signed building token; None for anything else (a bare id included)."""
    if not raw or len(raw) > 100 or not raw.isascii():
        return None
    try:
        value = signing.Signer(salt=SALT).unsign(raw)
    except signing.BadSignature:
        return None
    if not value.isdigit() or len(value) > 12:
        return None
    from wangge.registry.models import Building

    return Building.objects.filter(pk=int(value)).values("address", "lat", "lng").first()
