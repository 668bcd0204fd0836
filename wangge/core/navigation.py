"""Role-aware navigation. Each app registers its entries in NAV below (url name, label, permission)."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from wangge.core.roles import user_can

# (url name, label, permission or None for every signed-in user). Order is the menu order.
NAV: list[tuple[str, Any, str | None]] = [
    ("home", _("首页"), None),
    ("areas:tree", _("区域网格"), "areas.read"),
    ("command:map", _("全市一张图"), "registry.read"),
    ("registry:residents", _("居民"), "registry.read"),
    ("registry:households", _("户"), "registry.read"),
    ("registry:buildings", _("楼栋"), "registry.read"),
    ("registry:import", _("导入"), "registry.import"),
    ("appeals:home", _("诉求"), None),
    ("volunteers:home", _("志愿服务"), None),
    ("wishes:wall", _("微心愿"), None),
    ("pairing:home", _("结对帮扶"), None),
    ("party:home", _("党组织"), "mobilisation.read"),
    ("deliberation:home", _("议事协商"), None),
    ("voting:home", _("表决与征集"), None),
    ("property:home", _("红色物业"), None),
    ("visits:today", _("网格员今日"), "registry.write"),
    ("places:home", _("服务阵地"), None),
    ("projects:home", _("项目清单"), "projects.read"),
    ("attendance:checkin", _("驻村签到"), "attendance.checkin"),
    ("attendance:cadres", _("下沉干部考勤"), "attendance.manage"),
    ("offline:households", _("离线准备"), "registry.write"),
    ("patrols:home", _("网格巡查"), "registry.write"),
    ("visits:figures", _("走访数据"), "registry.read"),
    ("cards:index", _("便民服务卡"), "registry.read"),
    ("command:screen", _("指挥大屏"), "metrics.read_all"),
    ("assessment:home", _("考评"), "assessment.read"),
    ("core:audit", _("审计日志"), "audit.read"),
]


def nav_for(user: Any) -> list[dict[str, str]]:
    if user is None or not user.is_authenticated:
        return []
    items = []
    for name, label, perm in NAV:
        if perm and not user_can(user, perm):
            continue
        try:
            items.append({"url": reverse(name), "label": str(label), "name": name})
        except NoReverseMatch:  # an app whose pages are not built yet
            continue
    return items
