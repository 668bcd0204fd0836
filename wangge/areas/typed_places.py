"""The rule behind "nobody types an area code or a coordinate" (issue 9): a page's visible free-text input
must not ask for a place by code or by number. Used by the test that walks every template, form and page.

A visible free-text input is an ``<input>`` whose ``type`` is missing or one of text, number, search, tel
(hidden inputs, selects, checkboxes, files and the like are not typed places). It is a typed place when
- its ``name`` is an area code or a coordinate: ``area``, ``area_code``, ``grid``, ``grid_code``,
  ``community``, ``community_code``, ``street_code``, ``lat``, ``lng``, ``lon``, ``latitude``, ``longitude``,
  or ends in ``_area``, ``_area_code``, ``_lat``, ``_lng``, ``_latitude``, ``_longitude``; or
- its placeholder or aria-label says so: 区域编码, 网格编码, 社区编码, 行政区划代码, 经度, 纬度, 坐标.
(``code`` alone is not a place: the check-in page asks for a 6-digit one-time code.)"""

from __future__ import annotations

import re
from html.parser import HTMLParser

TYPED = {"", "text", "number", "search", "tel"}
PLACE_NAME = re.compile(
    r"^(area|area_code|grid|grid_code|community|community_code|street_code|lat|lng|lon|latitude|longitude"
    r"|.*_area|.*_area_code|.*_lat|.*_lng|.*_latitude|.*_longitude)$",
    re.IGNORECASE,
)
PLACE_WORDS = ("区域编码", "网格编码", "社区编码", "行政区划代码", "经度", "纬度", "坐标")


def typed_place(attrs: dict[str, str]) -> str | None:
    """Why this input's attributes make it a typed place, or None."""
    kind = (attrs.get("type") or "").strip().lower()
    if kind not in TYPED or "{" in kind:
        return None
    name = (attrs.get("name") or "").strip()
    if name and "{" not in name and PLACE_NAME.match(name):
        return f'name="{name}"'
    for attr in ("placeholder", "aria-label"):
        text = attrs.get(attr) or ""
        for word in PLACE_WORDS:
            if word in text:
                return f'{attr} says "{word}"'
    return None


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "input":
            return
        why = typed_place({k.lower(): v or "" for k, v in attrs})
        if why:
            self.found.append((self.getpos()[0], why))


def typed_places_in_html(html: str) -> list[tuple[int, str]]:
    """(line, reason) of every input in ``html`` that asks for a typed place."""
    parser = _Inputs()
    parser.feed(html)
    parser.close()
    return parser.found
