"""``{% area_picker "area" selected %}``: the area picker (``AreaPicker``) for a hand-written filter form, over
the areas the viewing user may see (district down to grid), with a blank "all areas" choice first."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from wangge.areas.models import Area, Level
from wangge.areas.widgets import AreaPicker, area_option_label

register = template.Library()


@register.simple_tag(takes_context=True)
def area_picker(
    context: dict[str, Any], name: str, selected: str | None = None, blank: str = "", label: str = ""
) -> str:
    request = context.get("request")
    user = getattr(request, "user", None)
    rows = (
        Area.objects.visible_to(user)
        .filter(level__in=[Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID])
        .order_by("code")
        .values_list("code", "name", "level")
    )
    choices = [("", blank or _("全部区域"))] + [(c, area_option_label(n, lv)) for c, n, lv in rows]
    widget = AreaPicker(attrs={"id": f"id_{name}", "aria-label": label or _("区域")}, filter_label=label)
    widget.choices = choices
    return widget.render(name, selected or "")
