"""Sign-up's part of the home pages: staff see the household-link requests to confirm; a self-signed-up
resident not yet linked is offered the link."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from wangge.accounts.roles import Role, user_can
from wangge.core.home import Counter, Section

from . import selectors


def sections(user: Any) -> list[Section]:
    url = reverse("signup:links")
    if user_can(user, "registry.write"):
        n = selectors.link_requests_pending_count(viewer=user)
        return [
            Section(
                key="signups",
                title=_("居民注册"),
                counters=[Counter(key="signups-pending", label=_("待确认的关联户申请"), count=n, url=url)],
            )
        ]
    if getattr(user, "role", "") == Role.RESIDENT:
        return [
            Section(
                key="link",
                title=_("关联我的户"),
                text=_("关联到您的户后，可使用与户相关的服务。"),
                action_url=url,
                action_label=_("申请关联"),
            )
        ]
    return []
