"""Rendering cards: the QR code (segno) and the printable PDF (WeasyPrint), eight cards to an A4 page.

WeasyPrint lays out Chinese text with the system's fonts through Pango: the server needs a CJK font
(Debian ``fonts-noto-cjk``, see docs/deploy.md), or every character prints as a box.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from .selectors import Card

PER_PAGE = 8


def public_base(request: Any) -> str:
    """The address the printed QR codes open: ``WANGGE_PUBLIC_URL`` when set (cards printed on an intranet
    host are scanned from the internet), else the host this request came to."""
    base = getattr(settings, "WANGGE_PUBLIC_URL", "") or request.build_absolute_uri("/")
    return str(base).rstrip("/")


def qr(url: str) -> segno.QRCode:
    return segno.make(url, error="m", micro=False)


def qr_svg(url: str) -> str:
    """The QR code as inline SVG (the resident's page: no image request, no script)."""
    return mark_safe(qr(url).svg_inline(scale=4, border=2, dark="#000", omitsize=True))  # segno's own markup


def qr_data_uri(url: str) -> str:
    return str(qr(url).svg_data_uri(scale=4, border=2))


def pages(cards: Sequence[Card], base: str) -> list[list[dict[str, Any]]]:
    rows = [{"card": c, "url": base + c.report_path, "qr": qr_data_uri(base + c.report_path)} for c in cards]
    return [rows[i : i + PER_PAGE] for i in range(0, len(rows), PER_PAGE)]


def cards_pdf(cards: Sequence[Card], base: str, title: str) -> bytes:
    """A PDF of the cards, eight to an A4 page."""
    from weasyprint import HTML

    html = render_to_string("cards/sheet.html", {"pages": pages(cards, base), "title": title})
    return bytes(HTML(string=html, base_url=base).write_pdf())
