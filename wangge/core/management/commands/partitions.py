"""``wangge partitions``: the monthly partitions of the event tables (PostgreSQL; docs/scale.md).

    wangge partitions                          # list: table, partition, month, estimated rows
    wangge partitions --ensure                 # create the months ahead now (the daily step does it too)
    wangge partitions --detach-before 2025-01  # detach every month before January 2025, all tables
    wangge partitions --detach-before 2025-01 --table appeals_appealevent

A detached month is a plain table (``<table>_pYYYYMM``) outside the partitioned one: dump it
(``pg_dump -t appeals_appealevent_p202412``), then drop it. The DEFAULT partition is never detached."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from wangge.core import partitions


class Command(BaseCommand):
    help = (
        "List, create ahead or detach (for archive) the monthly partitions of the event tables (PostgreSQL)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--ensure", action="store_true", help="create this month and the months ahead")
        parser.add_argument("--detach-before", metavar="YYYY-MM", help="detach every month before this one")
        parser.add_argument("--table", help="only this table (default: every partitioned event table)")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            self.stdout.write("SQLite: the event tables are plain tables; nothing to do.")
            return
        tables = [t for t in partitions.PARTITIONED if partitions.is_partitioned(t)]
        if options["table"]:
            if options["table"] not in tables:
                raise CommandError(
                    f"not a partitioned event table: {options['table']} (one of {', '.join(tables)})"
                )
            tables = [options["table"]]
        if options["ensure"]:
            created = partitions.ensure(tables={t: partitions.PARTITIONED[t] for t in tables})
            self.stdout.write(json.dumps({"created": created}))
            return
        if options["detach_before"]:
            try:
                before = dt.datetime.strptime(options["detach_before"], "%Y-%m").date()
            except ValueError:
                raise CommandError("--detach-before: expected YYYY-MM") from None
            if before > partitions._month(dt.datetime.now(dt.UTC)):
                raise CommandError("--detach-before: only past months can be archived")
            detached = [
                partitions.detach(table, month)
                for table in tables
                for _name, month, _rows in partitions.months(table)
                if month is not None and month < before
            ]
            self.stdout.write(json.dumps({"detached": detached}))
            return
        for table in tables:
            for name, month, rows in partitions.months(table):
                self.stdout.write(f"{table}\t{name}\t{month or 'DEFAULT'}\t{rows}")
