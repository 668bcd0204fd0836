"""What the public may see of a case (Open311's unauthenticated reads, any public page).

Only reviewed cases: opened (立案) or later. A ``submitted`` case is what a resident typed before anyone
looked at it — it may name neighbours, carry a phone number or be plain wrong — and a case cancelled or
merged before it was opened was never reviewed as a public matter.

Public text (description, address, status notes) is passed through ``redact``: mobile and landline numbers,
18-digit ID numbers and the names known on the case (the reporter's) are masked with the display
conventions of ``wangge.core.pii``.
"""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from wangge.core.pii import mask_id_number, mask_name, mask_phone

from .models import Appeal, State

# Digits may be written with spaces or dashes between them ("139 0000 1111", "139-0000-1111").
_SEP = r"[\s\-]?"
MOBILE_RE = re.compile(r"(?<![\dA-Za-z])1[3-9]\d(?:" + _SEP + r"\d){8}(?![\dA-Za-z])")
ID_RE = re.compile(r"(?<![\dA-Za-z])\d{6}(?:" + _SEP + r"\d){11}" + _SEP + r"[\dXx](?![\dA-Za-z])")
LANDLINE_RE = re.compile(r"(?<![\dA-Za-z])0\d{2,3}[\s\-]?\d{7,8}(?![\dA-Za-z])")


def reviewed_q() -> Q:
    """Opened (立案) or later: never submitted, nor cancelled/merged before opening."""
    return Q(opened_at__isnull=False) & ~Q(state=State.SUBMITTED)


def reviewed(qs: QuerySet[Appeal]) -> QuerySet[Appeal]:
    return qs.filter(reviewed_q())


def known_names(appeal: Appeal) -> list[str]:
    """The people's names the case knows: the reporter's (typed by staff, or the reporter's account)."""
    names = {appeal.reporter_name or ""}
    if appeal.reporter_id and appeal.reporter is not None:
        names.add(getattr(appeal.reporter, "display_name", "") or "")
    # Longest first, so "王小明" is masked before a shorter name inside it.
    return sorted((n.strip() for n in names if len(n.strip()) >= 2), key=len, reverse=True)


def _digits(match: re.Match[str]) -> str:
    return re.sub(r"[\s\-]", "", match.group(0))


def redact(text: str | None, names: list[str] | tuple[str, ...] = ()) -> str:
    """``text`` with ID numbers, phone numbers and the given names masked."""
    if not text:
        return ""
    out = ID_RE.sub(lambda m: mask_id_number(_digits(m)), text)
    out = MOBILE_RE.sub(lambda m: mask_phone(_digits(m)), out)
    out = LANDLINE_RE.sub(lambda m: mask_phone(_digits(m)), out)
    for name in names:
        out = out.replace(name, mask_name(name))
    return out
