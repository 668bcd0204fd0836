"""``wangge demo --size small|district [--if-empty] [--seed N]``: load the demo district."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wangge.areas.models import Area
from wangge.demo.accounts import demo_accounts_table
from wangge.demo.build import build_demo
from wangge.demo.geometry import SIZES


class Command(BaseCommand):
    help = "Load a deterministic demo district (areas, registry, accounts) into an empty database."
    requires_system_checks: list[str] = []  # `make run` runs it right after migrate, which checked

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", choices=sorted(SIZES), default="small")
        parser.add_argument("--seed", type=int, default=2024)
        parser.add_argument("--if-empty", action="store_true", help="do nothing when areas already exist")
        parser.add_argument("--no-hooks", action="store_true", help="skip the other apps' demo data")
        parser.add_argument("--strict", action="store_true", help="fail when an app's demo hook fails")

    def handle(self, *args: Any, **options: Any) -> None:
        if Area.objects.exists():
            if options["if_empty"]:
                self.stdout.write("数据库中已有区域数据，跳过演示数据生成（--if-empty）。")
                return
            raise CommandError("数据库中已有区域数据：演示数据只能载入空数据库（或使用 --if-empty）")
        built = build_demo(
            size=options["size"], seed=options["seed"], stdout=self.stdout, run_hooks=not options["no_hooks"]
        )
        counts = ", ".join(f"{k} {v:,}" for k, v in built.counts.items())
        self.stdout.write(f"已生成演示数据（{options['size']}，seed {options['seed']}）：{counts}")
        self.stdout.write(demo_accounts_table())
        if built.hook_errors and options["strict"]:
            raise CommandError("demo hooks failed: " + ", ".join(e.split(":")[0] for e in built.hook_errors))
