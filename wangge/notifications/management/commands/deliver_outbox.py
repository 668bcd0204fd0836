"""Send pending SMS/WeChat outbox messages (cron, or the periodic `wangge tick`)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from wangge.notifications.services import deliver_pending


class Command(BaseCommand):
    help = "Deliver pending outbox messages with the logging sender (plug a gateway adapter in production)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--channel", choices=["sms", "wechat"], default=None)
        parser.add_argument("--limit", type=int, default=500)

    def handle(self, *args: Any, **opts: Any) -> None:
        counts = deliver_pending(channel=opts["channel"], limit=opts["limit"])
        self.stdout.write(f"sent {counts['sent']}, retry {counts['retry']}, failed {counts['failed']}")
