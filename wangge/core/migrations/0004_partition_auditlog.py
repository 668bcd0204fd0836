"""On PostgreSQL the audit log becomes a table partitioned by month on ``at`` (wangge.core.partitions);
SQLite keeps the plain table. Its rows, indexes, constraints and identity are kept."""

from django.db import migrations


def forward(apps, schema_editor):
    from wangge.core.partitions import partition_table

    partition_table(schema_editor.connection, "core_auditlog", "at")


class Migration(migrations.Migration):
    dependencies = [("core", "0003_jobs")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop, elidable=False)]
