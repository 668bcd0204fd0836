"""The figures a scheme can use, discovered per app like the other per-app hooks.

Contract (other apps rely on it): for each installed ``wangge.<app>``, a module ``wangge/<app>/assessment.py``
may define ``FIGURES = {"<key>": {"label": "<中文>", "subjects": (<subject kinds>), "fn": <callable>}}`` with
``fn(*, subject, start: date, end: date) -> {"value": float | None, "numerator": int, "denominator": int,
"evidence": [{"kind": str, "id": int, "label": str, "url": str}]}`` (``value`` None without a sample).
Subject kinds: ``grid_worker`` (subject = accounts.User), ``grid``, ``community``, ``street`` (an areas.Area).
Plain dicts: a provider imports nothing from this app.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import logging
import math
from dataclasses import dataclass
from typing import Any

from django.apps import apps

log = logging.getLogger("wangge.assessment")

SUBJECT_KINDS = ("grid_worker", "grid", "community", "street")


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    subjects: tuple[str, ...]
    fn: Any
    app: str


_cache: dict[str, Figure] | None = None


def discover(*, refresh: bool = False) -> dict[str, Figure]:
    """Every figure of every installed wangge app's ``assessment.py`` (cached per process)."""
    global _cache
    if _cache is not None and not refresh:
        return _cache
    found: dict[str, Figure] = {}
    for config in apps.get_app_configs():
        if not config.name.startswith("wangge.") or config.name == "wangge.assessment":
            continue
        module_name = f"{config.name}.assessment"
        try:
            if importlib.util.find_spec(module_name) is None:
                continue
        except ModuleNotFoundError:  # pragma: no cover - a parent package that cannot be imported
            continue
        module = importlib.import_module(module_name)
        for key, spec in (getattr(module, "FIGURES", None) or {}).items():
            try:
                subjects = tuple(str(s) for s in spec["subjects"] if str(s) in SUBJECT_KINDS)
                found[str(key)] = Figure(str(key), str(spec["label"]), subjects, spec["fn"], config.label)
            except (KeyError, TypeError):
                log.warning("assessment figure %s of %s is malformed; skipped", key, module_name)
    _cache = dict(sorted(found.items()))
    return _cache


def figure_for(key: str) -> Figure | None:
    return discover().get(key)


def compute(figure: Figure, *, subject: Any, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Call the figure and normalise its answer (a provider bug becomes no sample, never a bad score)."""
    raw = figure.fn(subject=subject, start=start, end=end)
    value = raw.get("value")
    if value is not None:
        value = float(value)
        if math.isnan(value) or math.isinf(value):
            value = None
    evidence = []
    for e in raw.get("evidence") or ():
        evidence.append(
            {
                "kind": str(e["kind"])[:30],
                "id": int(e["id"]),
                "label": str(e.get("label") or "")[:200],
                "url": str(e.get("url") or "")[:200],
            }
        )
    return {
        "value": value,
        "numerator": max(0, int(raw.get("numerator") or 0)),
        "denominator": max(0, int(raw.get("denominator") or 0)),
        "evidence": evidence,
    }
