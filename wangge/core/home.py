"""What a role's home page says is waiting today: sections contributed by the apps.

Each app that has something to say adds one line to ``SECTIONS`` naming a function ``(user) -> list[Section]``
(an empty list when it has nothing for this user). A module that is missing (an app not installed, or not
built yet — e.g. the registry's corrections to approve) is skipped, so a counter simply does not show.
Every function must run a bounded number of queries, never one per row: the home pages' query counts are
asserted (``core/tests/test_home.py``).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("wangge.home")

# (key, "module:function"), in page order.
SECTIONS: list[tuple[str, str]] = [
    ("appeals", "wangge.appeals.home:sections"),
    ("signup", "wangge.signup.home:sections"),
    ("registry_corrections", "wangge.registry.home:sections"),
    ("mobilisation", "wangge.volunteers.home:sections"),
]


@dataclass(frozen=True)
class Counter:
    """One number on the home page and the filtered list it links to."""

    key: str
    label: str
    count: int
    url: str
    urgent: bool = False  # drawn in the warning colour when non-zero


@dataclass(frozen=True)
class Row:
    text: str
    url: str = ""
    note: str = ""  # what it waits for, when it is due …


@dataclass
class Section:
    key: str
    title: str
    counters: list[Counter] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    empty: str = ""  # said when there are no rows
    text: str = ""  # a line of plain information (e.g. how to reach one's grid worker)
    action_url: str = ""  # a link after the text
    action_label: str = ""


def _load(target: str) -> Callable[[Any], list[Section]] | None:
    module, _, name = target.partition(":")
    try:
        return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]
    except (ModuleNotFoundError, AttributeError):
        return None


def sections_for(user: Any) -> list[Section]:
    out: list[Section] = []
    for _key, target in SECTIONS:
        fn = _load(target)
        if fn is None:
            continue
        out.extend(fn(user))
    return out
