"""The table of demo accounts printed by ``wangge demo`` and ``wangge serve``."""

from __future__ import annotations

from django.conf import settings

from wangge.accounts.models import User

FIXED = ["admin", "district", "street", "community", "department", "property", "resident"]


def demo_accounts_table() -> str:
    """A plain-text table of the demo accounts that exist, or "" when there are none."""
    users = {
        u.username: u
        for u in User.objects.filter(username__in=FIXED + ["gridworker001", "volunteer001"])
        .select_related("unit")
        .prefetch_related("posts__area")
    }
    if not users:
        return ""
    grid_workers = User.objects.filter(username__startswith="gridworker").count()
    volunteers = User.objects.filter(username__startswith="volunteer").count()
    lines = [f"演示账号（密码均为 {settings.WANGGE_DEMO_PASSWORD}）:", f"  {'账号':<16}{'角色':<12}范围"]
    for name in FIXED + ["gridworker001", "volunteer001"]:
        u = users.get(name)
        if u is None:
            continue
        where = ", ".join(p.area.name for p in u.posts.all()) or (u.unit.name if u.unit else "")
        label = name
        if name == "gridworker001" and grid_workers > 1:
            label = f"gridworker001…{grid_workers:03d}"
            where += "（每人一个网格）"
        if name == "volunteer001" and volunteers > 1:
            label = f"volunteer001…{volunteers:03d}"
        lines.append(f"  {label:<18}{u.get_role_display():<10}{where}")
    return "\n".join(lines)
