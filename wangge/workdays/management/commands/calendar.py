"""``wangge calendar seed [--year Y …]`` and ``wangge calendar status``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Working-day calendar: seed from the chinesecalendar package, or show which years are covered."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["seed", "status"])
        parser.add_argument("--year", type=int, action="append", dest="years")

    def handle(self, *args: Any, **options: Any) -> None:
        from wangge.workdays.selectors import calendar_current, calendar_missing_years
        from wangge.workdays.services import calendar_seed

        if options["action"] == "seed":
            result = calendar_seed(years=options["years"])
            if options["years"] and result["years"] < len(options["years"]):
                raise CommandError("chinesecalendar does not cover some of the years asked for")
            self.stdout.write(
                f"seeded {result['years']} years: {result['created']} days created, {result['updated']} updated"
            )
            return
        cal = calendar_current()
        years = sorted(cal.covered_years)
        self.stdout.write(f"covered years: {years[0]}–{years[-1]}" if years else "no years covered")
        for y in calendar_missing_years():
            self.stderr.write(self.style.WARNING(f"MISSING: {y} (deadlines assume Mon–Fri and are flagged)"))
