"""Template hygiene: Django's ``{# … #}`` comment is one line only — spread over lines it is printed on the
page as text (it once put a paragraph of developer notes above every page)."""

from __future__ import annotations

import re
from pathlib import Path

import wangge

ROOT = Path(wangge.__file__).parent
COMMENT = re.compile(r"\{#(.*?)#\}", re.S)


def test_no_template_has_a_comment_over_several_lines() -> None:
    found = []
    templates = [p for p in ROOT.rglob("*.html") if "templates" in p.parts]
    assert len(templates) > 100
    for path in templates:
        text = path.read_text(encoding="utf-8")
        for m in COMMENT.finditer(text):
            if "\n" in m.group(1):
                found.append(f"{path.relative_to(ROOT)}:{text[: m.start()].count(chr(10)) + 1}")
    assert found == [], "use {% comment %}…{% endcomment %} for a comment over several lines: " + ", ".join(
        found
    )
