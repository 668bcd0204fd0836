"""On PostgreSQL the in-app notifications become a table partitioned by month on ``created_at``
(wangge.core.partitions); SQLite keeps the plain table. Its rows, indexes, constraints and identity are kept."""

from django.db import migrations


def forward(apps, schema_editor):
    from wangge.core.partitions import partition_table

    partition_table(schema_editor.connection, "notifications_notification", "created_at")


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop, elidable=False)]
