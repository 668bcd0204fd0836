"""Text hygiene for the registry: what may be stored, and how text is written into a spreadsheet.

Control characters (\\x00, \\x07 bell, \\x1b escape …) are invisible on screen, forbidden in XML 1.0 (an .xlsx is
XML: one such name made the export fail for everyone) and refused by PostgreSQL (NUL). Services and the import
refuse them; ``xlsx_safe`` removes any that are already stored. Text Excel would run as a formula is escaped.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_LINE_BREAKS = frozenset("\n\r\t")
# XML 1.0 allows \t \n \r and nothing else below U+0020; U+FFFE/U+FFFF and lone surrogates are not characters.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def control_char_problem(value: Any, *, one_line: bool) -> str | None:
    """Why ``value`` may not be stored (it holds a control character), or None. ``one_line`` text (names,
    numbers, rooms) admits no line breaks either."""
    if not isinstance(value, str):
        return None
    for ch in value:
        cat = unicodedata.category(ch)
        if cat == "Cs" or (cat == "Cc" and (one_line or ch not in _LINE_BREAKS)):
            return f"不能包含控制字符（U+{ord(ch):04X}）"
    return None


def xlsx_safe(v: Any) -> Any:
    """A cell value that comes back as the same inert text: characters XML cannot hold are dropped, and
    text Excel would run as a formula (=, +, -, @, or a leading tab/line break) is prefixed with '."""
    if not isinstance(v, str):
        return v
    v = _XML_ILLEGAL.sub("", v)
    if v.startswith(_FORMULA_START):
        return "'" + v
    return v
