"""``{% patrol_card %}``: the patrol card of the 网格员今日 page (visits renders it without importing patrols)."""

from __future__ import annotations

from typing import Any

from django import template

from wangge.patrols import selectors

register = template.Library()


@register.inclusion_tag("patrols/_card.html", takes_context=True)
def patrol_card(context: Any) -> dict[str, Any]:
    return selectors.today_card(viewer=context["request"].user)
