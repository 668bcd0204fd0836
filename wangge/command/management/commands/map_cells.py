"""``wangge map_cells``: rebuild the map's case cells (the periodic job does it every 10 minutes)."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Rebuild the one map's case cell table from the cases."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        from wangge.command.cells import rebuild

        result = rebuild()
        self.stdout.write(f"{result['cases']} cases in {result['seconds']} s")
