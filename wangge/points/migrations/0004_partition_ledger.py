"""On PostgreSQL the points ledger (``points_pointentry``) becomes a table partitioned by month on ``created_at``
(wangge.core.partitions); SQLite keeps the plain table. PostgreSQL wants the partition key in every unique key
and in the key a foreign key points to, so the ledger's two uniqueness rules move to ``PointEntryKey`` (on both
databases, filled here from the existing rows): "a (rule, source) earns once" (was the partial unique constraint
``points_earn_once_per_source``) and "an entry is reversed once" (was the one-to-one ``reverses``). The foreign
keys into the ledger (``reverses``, ``Redemption.spend_entry``) lose their database constraint; entries are
append-only, so the ids never dangle. Balance rules stay check constraints (``balance_after >= 0``,
``PointAccount.balance >= 0``, the sign by kind) and hold on every partition."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def keys(apps, schema_editor):
    PointEntry = apps.get_model("points", "PointEntry")
    PointEntryKey = apps.get_model("points", "PointEntryKey")
    rows = [
        PointEntryKey(key=f"earn:{rule}:{source}", entry_id=pk)
        for pk, rule, source in PointEntry.objects.filter(kind="earn").values_list(
            "pk", "rule_code", "source_key"
        )
    ]
    rows += [
        PointEntryKey(key=f"reverses:{target}", entry_id=pk)
        for pk, target in PointEntry.objects.filter(reverses__isnull=False).values_list("pk", "reverses_id")
    ]
    PointEntryKey.objects.bulk_create(rows, batch_size=2000)


def partition(apps, schema_editor):
    from wangge.core.partitions import partition_table

    partition_table(schema_editor.connection, "points_pointentry", "created_at")


class Migration(migrations.Migration):
    dependencies = [
        ("points", "0003_earning_limits"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PointEntryKey",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=160, unique=True)),
                ("entry_id", models.BigIntegerField()),
            ],
            options={
                "verbose_name": "积分流水唯一键",
                "verbose_name_plural": "积分流水唯一键",
            },
        ),
        migrations.RemoveConstraint(
            model_name="pointentry",
            name="points_earn_once_per_source",
        ),
        migrations.AlterField(
            model_name="pointentry",
            name="reverses",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reversed_by",
                to="points.pointentry",
                verbose_name="冲正对象",
            ),
        ),
        migrations.AlterField(
            model_name="redemption",
            name="spend_entry",
            field=models.OneToOneField(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="redemption",
                to="points.pointentry",
            ),
        ),
        migrations.AddIndex(
            model_name="pointentry",
            index=models.Index(fields=["user", "-created_at"], name="points_entry_user_created"),
        ),
        migrations.RunPython(keys, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(partition, migrations.RunPython.noop, elidable=False),
    ]
