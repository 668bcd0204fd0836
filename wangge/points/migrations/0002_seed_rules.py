from django.db import migrations


# The fields this migration's model has (later migrations add the rules' limits).
BASE_FIELDS = ("name", "points_per_unit", "unit_label")


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    from wangge.points.rules import DEFAULT_EARNING_RULES

    EarningRule = apps.get_model("points", "EarningRule")
    for row in DEFAULT_EARNING_RULES:
        EarningRule.objects.get_or_create(code=row["code"], defaults={k: v for k, v in row.items() if k in BASE_FIELDS})


class Migration(migrations.Migration):
    dependencies = [("points", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
