"""Pages of the 便民服务卡: the staff's print list, a grid's PDF, and a resident's own card."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from wangge.accounts.roles import user_can

from . import render as card_render
from . import selectors


@login_required
def index(request: HttpRequest) -> HttpResponse:
    if not user_can(request.user, "registry.read"):
        raise Http404
    return render(request, "cards/index.html", {"communities": selectors.grid_choices(viewer=request.user)})


def attachment(filename: str, fallback: str) -> str:
    """``Content-Disposition`` with an ASCII ``filename`` and the Chinese name in ``filename*`` (RFC 6266 §4.3,
    RFC 5987 encoding): browsers that know ``filename*`` use it, older clients the fallback."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@login_required
def grid_pdf(request: HttpRequest, code: str) -> HttpResponse:
    """Every household's card of one grid in scope as one PDF (out of scope or not a grid: 404)."""
    area, cards = selectors.grid_cards(viewer=request.user, code=code)
    title = f"便民服务卡-{area.name}"
    pdf = card_render.cards_pdf(cards, card_render.public_base(request), title)
    response = HttpResponse(pdf, content_type="application/pdf")
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = attachment(f"{title}-{stamp}.pdf", f"cards-{area.code}-{stamp}.pdf")
    return response


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """The resident's own card: a page, or (htmx, on the home page) just the card — nothing when none."""
    card = selectors.my_card(viewer=request.user)
    ctx = {
        "card": card,
        "qr_svg": card_render.qr_svg(card_render.public_base(request) + card.report_path) if card else "",
    }
    template = "cards/_home_card.html" if getattr(request, "htmx", False) else "cards/mine.html"
    return render(request, template, ctx)
