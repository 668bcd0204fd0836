"""Seed the tag catalogue: the seven-colour plates (七色信息牌) and other common household/resident tags.

Rows are configuration: administrators edit colours, visit frequencies and sensitivity in the admin.
Special households (空巢, 独居老人, 残疾, 留守儿童, 低保 …) are visited at least weekly (DOMAIN.md §2).
Disability, minimum allowance, health and minors are sensitive personal information (PIPL art. 28).
"""

from django.db import migrations

# code, name, colour, visit every (days), sensitive, applies to, needs care
TAGS = [
    ("party_center", "党员中心户", "#D7263D", 30, False, "household", False),
    ("long_term", "长居", "#2E7D32", 90, False, "household", False),
    ("short_rent", "短租", "#1565C0", 30, False, "household", False),
    ("empty_nest", "空巢", "#F9A825", 7, False, "household", True),
    ("elderly_alone", "独居老人", "#EF6C00", 7, False, "both", True),
    ("disabled", "残疾", "#6A1B9A", 7, True, "resident", True),
    ("left_behind_child", "留守儿童", "#00838F", 7, True, "resident", True),
    ("low_income", "低保", "#5D4037", 7, True, "household", True),
    ("serious_illness", "大病", "#AD1457", 7, True, "resident", True),
    ("veteran", "退役军人", "#37474F", 30, False, "resident", False),
]


def seed(apps, schema_editor):
    Tag = apps.get_model("registry", "Tag")
    for order, (code, name, colour, every, sensitive, applies_to, care) in enumerate(TAGS):
        Tag.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "colour": colour,
                "visit_every_days": every,
                "sensitive": sensitive,
                "applies_to": applies_to,
                "needs_care": care,
                "sort_order": (order + 1) * 10,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("registry", "Tag").objects.filter(code__in=[t[0] for t in TAGS]).delete()


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
