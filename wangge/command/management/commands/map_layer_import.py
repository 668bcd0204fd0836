"""``wangge map_layer_import KEY NAME FILE.geojson``: import another network's layer (警格…) from GeoJSON."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from wangge.core.errors import InvalidInput


class Command(BaseCommand):
    help = "Import (or replace) a layer of another network (a police grid…) from a GeoJSON FeatureCollection."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("key")
        parser.add_argument("name")
        parser.add_argument("file")
        parser.add_argument("--kind", default="police")
        parser.add_argument("--code-field", default="code")
        parser.add_argument("--name-field", default="name")

    def handle(self, *args, **o):  # type: ignore[no-untyped-def]
        from wangge.command.services import layer_import

        try:
            layer = layer_import(
                key=o["key"],
                name=o["name"],
                kind=o["kind"],
                geojson=Path(o["file"]).read_bytes(),
                source=Path(o["file"]).name,
                code_field=o["code_field"],
                name_field=o["name_field"],
                by=None,
            )
        except InvalidInput as exc:
            raise CommandError(str(exc.as_dict())) from exc
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        links = sum(f.links.count() for f in layer.features.all())
        self.stdout.write(f"{layer.key}: {layer.features.count()} features, {links} grid links")
