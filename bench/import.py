"""``wangge bench import [rows=N] [grids=G] [formats=csv,xlsx] [runs=R]``: time the registry import engine.

Generates N valid residents (default 100,000) spread over G grids (default 250, one building each … many
rooms), writes them as the import sheet (.csv and/or .xlsx) and imports them with
``wangge.registry.excel.import_registry`` (validation + bulk writes, one transaction).

It never touches your database: every run happens in a child process whose ``WANGGE_DATA_DIR`` is a fresh
temporary folder with its own SQLite file (or ``WANGGE_BENCH_DATABASE_URL`` if you set one: it must be a
throwaway database, it is migrated and filled).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any


def _parse(argv: list[str]) -> argparse.Namespace:
    # ``wangge bench`` passes positional words only: accept ``rows=1000`` as well as ``-- --rows 1000``.
    argv = [f"--{a}" if "=" in a and not a.startswith("-") else a for a in argv if a != "--"]
    p = argparse.ArgumentParser(prog="wangge bench import")
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--grids", type=int, default=250)
    p.add_argument("--formats", default="csv,xlsx")
    p.add_argument("--runs", type=int, default=1, help="runs per format (the median is reported)")
    p.add_argument("--child", default="", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str]) -> None:
    args = _parse(argv)
    if args.child:
        _child(args)
        return
    print(f"registry import benchmark: {args.rows:,} residents in {args.grids} grids")
    for fmt in [f.strip() for f in args.formats.split(",") if f.strip()]:
        times = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory(prefix="wangge-bench-import-") as tmp:
                env = dict(os.environ)
                env["WANGGE_DATA_DIR"] = tmp
                env["DATABASE_URL"] = os.environ.get(
                    "WANGGE_BENCH_DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3"
                )
                env.pop("WANGGE_PII_KEY", None)
                cmd = [
                    sys.executable,
                    __file__,
                    "--rows",
                    str(args.rows),
                    "--grids",
                    str(args.grids),
                    "--child",
                    fmt,
                ]
                out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
                if out.returncode != 0:
                    print(out.stdout, out.stderr, file=sys.stderr)
                    raise SystemExit(out.returncode)
                line = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")][-1]
                _, rows, seconds, cpu = line.split()
                times.append(float(seconds))
                print(
                    f"  {fmt}: {int(rows):,} rows in {float(seconds):.1f} s "
                    f"({int(rows) / float(seconds):,.0f} rows/s; CPU {float(cpu):.1f} s, "
                    "which is what counts when other work shares the machine)"
                )
        if len(times) > 1:
            med = statistics.median(times)
            print(f"  {fmt} median of {len(times)}: {med:.1f} s ({args.rows / med:,.0f} rows/s)")


# --- the child process: a throwaway database -----------------------------------------------------


def _child(args: argparse.Namespace) -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    grids = _make_grids(args.grids)
    headers, rows = _make_rows(args.rows, grids)
    fmt = args.child
    data, name = (
        (_as_csv(headers, rows), "bench.csv") if fmt == "csv" else (_as_xlsx(headers, rows), "bench.xlsx")
    )
    del rows

    from wangge.registry.excel import import_registry
    from wangge.registry.models import Resident

    t0, c0 = time.perf_counter(), time.process_time()
    result = import_registry(data, name, by=None, annotate_errors=False)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    if not result.ok:
        print("errors:", [e.as_dict() for e in result.errors[:5]], file=sys.stderr)
        raise SystemExit(1)
    assert Resident.objects.count() == args.rows
    print(f"RESULT {result.rows} {seconds:.3f} {cpu:.3f}")


def _make_grids(n: int) -> list[str]:
    from wangge.areas.models import Area, Level

    district = Area.objects.create(code="320621", name="海安市", level=Level.DISTRICT)
    codes = []
    streets: dict[int, Any] = {}
    communities: dict[tuple[int, int], Any] = {}
    grids = []
    for i in range(n):
        s, c, g = i // 100 + 1, (i // 10) % 10 + 1, i % 10 + 1
        if s not in streets:
            streets[s] = Area.objects.create(
                code=f"320621{s:03d}", name=f"第{s}街道", level=Level.STREET, parent=district
            )
        if (s, c) not in communities:
            communities[(s, c)] = Area.objects.create(
                code=f"320621{s:03d}{c:03d}",
                name=f"第{s}街道第{c}社区",
                level=Level.COMMUNITY,
                parent=streets[s],
            )
        code = f"320621{s:03d}{c:03d}{g:03d}"
        grids.append(Area(code=code, name=f"网格{code[-6:]}", level=Level.GRID, parent=communities[(s, c)]))
        codes.append(code)
    Area.objects.bulk_create(grids)
    return codes


def _make_rows(n: int, grids: list[str]) -> tuple[list[str], list[list[str]]]:
    from wangge.core.pii import id_check_digit
    from wangge.registry.excel import COLUMNS

    headers = [c.header for c in COLUMNS]
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
    political = ["群众"] * 8 + ["中共党员", "共青团员"]
    residence = ["常住"] * 6 + ["户籍"] * 2 + ["租住", "流动"]
    tags = [""] * 12 + ["空巢", "独居老人", "低保", "残疾", "长居"]
    rows = []
    per_grid = -(-n // len(grids))
    for i in range(n):
        grid = grids[i // per_grid]
        k = i % per_grid
        room_no = k // 3  # three residents per household
        body = f"320621{1940 + i % 70:04d}{1 + i % 12:02d}{1 + i % 28:02d}{i // 420 % 1000:03d}"
        id_number = body + id_check_digit(body)
        gender = "男" if int(id_number[16]) % 2 else "女"
        rows.append(
            [
                grid,
                f"海安市城东街道{grid[-6:]}路{room_no // 60 + 1}号",
                f"{grid[-3:]}小区{room_no // 60 + 1}幢",
                str(room_no % 60 // 20 + 1),
                f"{room_no % 20 // 4 + 1}0{room_no % 4 + 1}",
                f"{room_no % 200 * 0.5 + 60:.2f}",
                f"H{grid}{room_no:04d}",
                surnames[i % len(surnames)] + given[i * 7 % len(given)] + (given[i % 13] if i % 3 else ""),
                gender,
                id_number,
                f"13{i % 10}{i:08d}"[:11],
                political[i % len(political)],
                "户主" if k % 3 == 0 else "配偶" if k % 3 == 1 else "子女",
                residence[i % len(residence)],
                tags[i % len(tags)],
                "是" if room_no % 97 == 0 else "否",
            ]
        )
    return headers, rows


def _as_csv(headers: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headers)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _as_xlsx(headers: list[str], rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("居民信息")
    ws.append(headers)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


if __name__ == "__main__":  # the child process (see ``main``)
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings")
    django.setup()
    main(sys.argv[1:])
