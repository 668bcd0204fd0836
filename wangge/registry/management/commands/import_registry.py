"""``wangge import_registry FILE [--as USERNAME]``: the same all-or-nothing import as the page, with a
progress bar. Without ``--as`` it runs as the system (the whole tree)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from wangge.accounts.models import User
from wangge.registry import excel


class Command(BaseCommand):
    help = "Import buildings, houses, households and residents from the flat sheet (.xlsx or .csv)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument("--as", dest="username", help="import as this user (their area scope applies)")
        parser.add_argument("--annotated", help="where to write the annotated workbook when there are errors")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.exists():
            raise CommandError(f"no such file: {path}")
        by = None
        if options.get("username"):
            by = User.objects.filter(username=options["username"]).first()
            if by is None:
                raise CommandError(f"no such user: {options['username']}")
        bars: dict[str, tqdm] = {}

        def progress(stage: str, done: int, total: int) -> None:
            bar = bars.get(stage)
            if bar is None:
                label = {"validate": "校验", "write": "写入"}.get(stage, stage)
                bar = bars[stage] = tqdm(total=total or None, desc=label, unit="行", file=self.stderr._out)
            bar.update(done - bar.n)

        try:
            result = excel.import_registry(path.read_bytes(), path.name, by=by, progress=progress)
        except excel.ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            for bar in bars.values():
                bar.close()
        if result.ok:
            created = "、".join(f"{k} {v}" for k, v in result.created.items())
            self.stdout.write(self.style.SUCCESS(f"导入 {result.rows} 行：{created}"))
            return
        for e in result.errors[:200]:
            d = e.as_dict()
            self.stderr.write(f"第{d['row']}行 {d['column']}「{d['value']}」：{d['message']}")
        if len(result.errors) > 200:
            self.stderr.write(f"… 另有 {len(result.errors) - 200} 处错误")
        if result.annotated and options.get("annotated"):
            Path(options["annotated"]).write_bytes(excel.annotated_load(result.annotated, None))
            self.stderr.write(f"错误标注文件：{options['annotated']}")
        raise CommandError(f"{len(result.errors)} 处错误，未导入任何数据")
