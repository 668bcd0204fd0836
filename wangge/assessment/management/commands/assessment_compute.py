"""``wangge assessment_compute --period 2026-10 [--scheme ID]``: compute (or recompute) a period's scores of
every active scheme (or of one scheme, active or retired) with the same service the pages call."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from wangge.assessment import services
from wangge.assessment.models import PeriodKind, Scheme
from wangge.core.errors import ServiceError


class Command(BaseCommand):
    help = "Compute the assessment scores of a period (YYYY-MM for monthly schemes, YYYY for yearly ones)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--period", required=True, help="YYYY-MM (monthly) or YYYY (yearly)")
        parser.add_argument("--scheme", type=int, help="one scheme's id (default: every active scheme)")

    def handle(self, *args: Any, **options: Any) -> None:
        period: str = options["period"]
        if options["scheme"]:
            schemes = list(Scheme.objects.filter(pk=options["scheme"]))
            if not schemes:
                raise CommandError("no such scheme")
        else:
            kind = PeriodKind.YEARLY if len(period) == 4 else PeriodKind.MONTHLY
            schemes = list(Scheme.objects.filter(state=Scheme.State.ACTIVE, period=kind))
        for scheme in schemes:
            try:
                start = services.period_parse(scheme.period, period)
                run = services.score_compute(scheme=scheme, period_start=start)
            except ServiceError as exc:
                raise CommandError(f"{scheme}: {exc.detail}") from exc
            self.stdout.write(f"{scheme} {period}: {run.subjects} subjects")
