"""``wangge restore DIR``: replace the database with a backup made by ``wangge backup`` and copy its media
files back, after checking every checksum; then check the row counts against the manifest."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wangge.core.backup import BackupError, restore, verify


class Command(BaseCommand):
    help = "Restore the database and media files from a backup directory (replaces the current database)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        parser.add_argument("--verify-only", action="store_true", help="only check the checksums")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["verify_only"]:
                manifest = verify(options["directory"])
            else:
                if not options["yes"] and input("这将覆盖当前数据库。继续？输入 yes：").strip() != "yes":
                    raise CommandError("cancelled")
                manifest = restore(options["directory"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            json.dumps({"finished_at": manifest["finished_at"], "rows": rows}, ensure_ascii=False)
        )
