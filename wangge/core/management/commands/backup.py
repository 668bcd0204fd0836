"""``wangge backup DIR``: a consistent copy of the database, the media files and a manifest — no keys."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wangge.core.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database and the media files into DIR (new or empty), with a manifest. Not the keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backup(options["directory"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        summary = {
            "directory": options["directory"],
            "engine": manifest["engine"],
            "tables": len(manifest["tables"]),
            "rows": sum(manifest["tables"].values()),
            "media_files": len(manifest["media"]),
            "bytes": manifest["database"]["bytes"],
        }
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
        self.stdout.write("密钥不在备份中：WANGGE_SECRET_KEY 与 WANGGE_PII_KEY(S) 须另行保管。")
