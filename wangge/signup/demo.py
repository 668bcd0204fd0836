"""Demo: a community's QR invitation, and a few residents who signed up by themselves (phone code, consent)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from wangge.core.transactions import batch
from wangge.notifications.models import OutboxMessage

from . import services
from .models import Invitation

SELF_SIGNED = [("13700000001", "陈晓燕"), ("13700000002", "吴建国"), ("13700000003", "孙丽华")]


def populate_demo(ctx: Any) -> None:
    community = ctx.communities[0]
    invitation, _ = Invitation.objects.get_or_create(area=community)
    with batch():
        for i, (phone, name) in enumerate(SELF_SIGNED):
            at = ctx.now - dt.timedelta(days=3 - i, hours=ctx.rng.randint(1, 8))
            services.code_send(phone=phone, purpose="signup", ip=f"10.0.8.{20 + i}", now=at)
            sms = OutboxMessage.objects.filter(event="signup.signup_code").order_by("-pk").first()
            assert sms is not None
            services.signup(
                phone=phone,
                code=str(sms.payload["code"]),
                password=ctx.password,
                display_name=name,
                consent=True,
                invite=invitation.code if i == 0 else "",
                ip=f"10.0.8.{20 + i}",
                user_agent="Mozilla/5.0 (Linux; Android 13) 微信",
                now=at + dt.timedelta(minutes=1),
            )
            OutboxMessage.objects.filter(pk=sms.pk).update(status=OutboxMessage.Status.SENT, sent_at=at)
    ctx.log(
        f"signup: {len(SELF_SIGNED)} residents signed up by themselves; invitation /signup/?invite={invitation.code}"
    )
