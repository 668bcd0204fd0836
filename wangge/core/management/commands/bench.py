"""``wangge bench <name> [args…]``: run ``bench/<name>.py`` (its ``main(argv)``) with Django set up.
Benchmarks print their figures; they are never part of the test run."""

import importlib.util
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

BENCH_DIR = Path(settings.BASE_DIR).parent / "bench"


class Command(BaseCommand):
    help = "Run a benchmark from bench/: locate, import, appeals, signups, votes …"

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("name")
        parser.add_argument("bench_args", nargs="*", metavar="ARG", help="passed to the benchmark's main()")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        name = options["name"]
        path = BENCH_DIR / f"{name}.py"
        if not path.exists():
            available = ", ".join(
                sorted(p.stem for p in BENCH_DIR.glob("*.py") if not p.stem.startswith("_"))
            )
            raise CommandError(f"no benchmark {name!r} in {BENCH_DIR}; available: {available}")
        if str(BENCH_DIR) not in sys.path:  # the benchmarks share bench/_harness.py
            sys.path.insert(0, str(BENCH_DIR))
        spec = importlib.util.spec_from_file_location(f"wangge_bench_{name}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        module.main(list(options["bench_args"]))
