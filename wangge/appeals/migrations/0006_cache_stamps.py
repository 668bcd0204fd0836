"""Triggers that move the per-process caches' change stamps (see wangge.core.cache)."""

from django.db import migrations

from wangge.core.cache import install_triggers

SPECS = [("appeals_category", "category", ["INSERT", "UPDATE", "DELETE"], [])]


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    install_triggers(schema_editor, SPECS)


class Migration(migrations.Migration):
    dependencies = [("appeals", "0005_scope_and_self_check"), ("core", "0002_cache_version")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
