"""Triggers that move the per-process caches' change stamps (see wangge.core.cache)."""

from django.db import migrations

from wangge.core.cache import install_triggers

SPECS = [
    (
        "accounts_user",
        "user",
        ["UPDATE", "DELETE"],
        ["is_superuser", "username", "is_staff", "is_active", "role", "display_name", "phone", "unit_id"],
    ),
    ("accounts_post", "post", ["INSERT", "UPDATE", "DELETE"], []),
    ("accounts_apitoken", "token", ["UPDATE", "DELETE"], ["user_id", "key_hash", "revoked"]),
]


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    install_triggers(schema_editor, SPECS)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("core", "0002_cache_version")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
