"""On PostgreSQL the case timeline (``appeals_appealevent``) becomes a table partitioned by month on ``at``
(wangge.core.partitions); SQLite keeps the plain table. Rows, indexes, constraints and identity are kept. First the
attachment's foreign key to the timeline loses its database constraint: a foreign key into a partitioned table
would need the whole key (id, at), and Django has no composite keys."""

import django.db.models.deletion
from django.db import migrations, models


def forward(apps, schema_editor):
    from wangge.core.partitions import partition_table

    partition_table(schema_editor.connection, "appeals_appealevent", "at")


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0007_errandagent"),
    ]

    operations = [
        migrations.AlterField(
            model_name="attachment",
            name="event",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="attachments",
                to="appeals.appealevent",
            ),
        ),
        migrations.RunPython(forward, migrations.RunPython.noop, elidable=False),
    ]
