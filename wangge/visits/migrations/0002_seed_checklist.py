"""Seed the door-step checklist per tag (data: administrators edit it in the admin)."""

from django.db import migrations

# tag code (None: every household), item code, label
ITEMS = [
    ("elderly_alone", "elderly_health", "身体状况"),
    ("elderly_alone", "elderly_heating", "取暖/降温"),
    ("elderly_alone", "elderly_food", "饮食起居"),
    ("elderly_alone", "elderly_medicine", "用药情况"),
    ("empty_nest", "empty_nest_health", "身体状况"),
    ("empty_nest", "empty_nest_contact", "子女联系"),
    ("left_behind_child", "child_guardian", "监护人在家"),
    ("left_behind_child", "child_school", "上学情况"),
    ("low_income", "low_income_allowance", "低保金按时领取"),
    ("low_income", "low_income_living", "基本生活保障"),
    ("disabled", "disabled_aids", "辅具与康复"),
    ("disabled", "disabled_care", "照护情况"),
    ("serious_illness", "illness_treatment", "治疗情况"),
    ("serious_illness", "illness_costs", "医疗费用负担"),
    (None, "residents_check", "在住人员核实"),
    (None, "home_safety", "用火用电用气安全"),
]


def seed(apps, schema_editor):
    Tag = apps.get_model("registry", "Tag")
    Item = apps.get_model("visits", "ChecklistItem")
    tags = {t.code: t for t in Tag.objects.all()}
    for order, (tag, code, label) in enumerate(ITEMS):
        if tag is not None and tag not in tags:
            continue
        Item.objects.update_or_create(
            code=code, defaults={"tag": tags.get(tag) if tag else None, "label": label, "sort_order": order * 10}
        )


def unseed(apps, schema_editor):
    apps.get_model("visits", "ChecklistItem").objects.filter(code__in=[i[1] for i in ITEMS]).delete()


class Migration(migrations.Migration):
    dependencies = [("visits", "0001_initial"), ("registry", "0002_seed_tags")]

    operations = [migrations.RunPython(seed, unseed)]
