"""The registry's part of the home pages: corrections awaiting approval (for those who approve) and conflicts
to settle, each a link to the filtered queue."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from wangge.core.home import Counter, Section
from wangge.core.roles import user_can

from .models import RegistryChange


def sections(user: Any) -> list[Section]:
    if not user_can(user, "registry.write"):
        return []
    qs = RegistryChange.objects.visible_to(user).filter(status__in=["pending", "conflict"])
    counts = {row["status"]: row["n"] for row in _grouped(qs)}
    url = reverse("registry:changes")
    counters = [Counter(key="corrections-conflict", label=_("待处理的冲突"), count=counts.get("conflict", 0),
                        url=f"{url}?status=conflict", urgent=True)]  # fmt: skip
    if user_can(user, "registry.approve"):
        counters.insert(
            0,
            Counter(key="corrections-pending", label=_("待审核的更正"), count=counts.get("pending", 0),
                    url=f"{url}?status=pending"),
        )  # fmt: skip
    return [Section(key="registry_corrections", title=_("登记更正"), counters=counters)]


def _grouped(qs: Any) -> Any:
    from django.db.models import Count

    return qs.order_by().values("status").annotate(n=Count("id"))
