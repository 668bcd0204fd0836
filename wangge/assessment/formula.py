"""The formulas of scheme items: plain data (a kind and two parameters), never evaluated code.

``linear``: points = weight × clamp((value − floor) / (target − floor), 0, 1). A target below the floor means
lower is better (e.g. an overdue rate: floor 0.3, target 0). ``threshold``: the whole weight when the value
reaches the target (in the target's direction from the floor), else 0. No sample (value None): 0 points.
Points are rounded to 0.01 here, once; a score's total is the sum of these rounded points.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def fraction(kind: str, value: float | None, floor: float, target: float) -> float:
    """The share of the weight earned, in [0, 1]."""
    if value is None or target == floor:
        return 0.0
    if kind == "threshold":
        reached = value >= target if target > floor else value <= target
        return 1.0 if reached else 0.0
    share = (value - floor) / (target - floor)
    return min(1.0, max(0.0, share))


def points(kind: str, weight: Decimal, value: float | None, floor: float, target: float) -> Decimal:
    earned = Decimal(str(fraction(kind, value, floor, target))) * Decimal(weight)
    return min(Decimal(weight), max(Decimal(0), earned.quantize(CENT, rounding=ROUND_HALF_UP)))


def _num(x: float) -> str:
    return f"{x:g}"


def in_words(kind: str, weight: Decimal, floor: float, target: float) -> str:
    """The formula as people read it, e.g. "≤0.6 得 0 分，≥0.95 得满分 30 分，其间按比例"."""
    w = f"{Decimal(weight).normalize():f}"
    up = target > floor
    if kind == "threshold":
        return f"{'≥' if up else '≤'}{_num(target)} 得 {w} 分，否则 0 分；无样本 0 分"
    lo, hi = ("≤", "≥") if up else ("≥", "≤")
    return f"{lo}{_num(floor)} 得 0 分，{hi}{_num(target)} 得满分 {w} 分，其间按比例；无样本 0 分"
