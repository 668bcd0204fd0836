"""Default earning rules (data). Seeded by a data migration and re-created on first use if missing, so
a flushed test database or a fresh install always pays the documented amounts. Edit the rows, not this
list, to change what a deployment pays."""

from __future__ import annotations

DEFAULT_EARNING_RULES: list[dict[str, object]] = [
    {"code": "volunteer_hour", "name": "志愿服务（每小时）", "points_per_unit": 10, "unit_label": "小时"},
    {"code": "wish_fulfilled", "name": "认领并完成微心愿", "points_per_unit": 20, "unit_label": "个"},
    {"code": "snapshot_case", "name": "随手拍立案", "points_per_unit": 5, "unit_label": "件"},
    {"code": "pairing_visit", "name": "结对帮扶走访", "points_per_unit": 5, "unit_label": "次"},
    {"code": "micro_project", "name": "自设服务项目被预约完成", "points_per_unit": 8, "unit_label": "次"},
]

# Limits against farming (data too: edit the rule rows). ``min_minutes``: an event shorter than this earns
# nothing and is refused; ``max_per_period``: at most this many earnings per period the caller names (one
# pairing visit per scheduled visit period, per volunteer); ``max_per_day``: per person per day.
DEFAULT_LIMITS: dict[str, dict[str, int]] = {
    "volunteer_hour": {"max_per_day": 4},
    "wish_fulfilled": {"max_per_day": 3},
    "snapshot_case": {"max_per_day": 5},
    "pairing_visit": {"min_minutes": 10, "max_per_period": 1, "max_per_day": 4},
    "micro_project": {"max_per_day": 5},
}
for _rule in DEFAULT_EARNING_RULES:
    _rule.update(DEFAULT_LIMITS.get(str(_rule["code"]), {}))

# Rating (1–5) → factor applied to volunteer-hour points. Data, like the rules.
RATING_FACTORS: dict[int, float] = {1: 0.6, 2: 0.8, 3: 1.0, 4: 1.1, 5: 1.2}
