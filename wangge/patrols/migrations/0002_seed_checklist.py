"""Seed the default patrol checklist (data: administrators edit it, and give a grid its own, in the admin)."""

from django.db import migrations

ITEMS = [
    ("fire_lane", "消防通道"),
    ("flying_wire", "飞线充电"),
    ("rubbish", "垃圾堆放"),
    ("hazard", "安全隐患"),
    ("facilities", "公共设施"),
    ("illegal_build", "违章搭建"),
]


def seed(apps, schema_editor):
    Item = apps.get_model("patrols", "PatrolChecklistItem")
    for order, (code, label) in enumerate(ITEMS):
        Item.objects.update_or_create(
            area=None, code=code, defaults={"label": label, "sort_order": order * 10, "active": True}
        )


def unseed(apps, schema_editor):
    apps.get_model("patrols", "PatrolChecklistItem").objects.filter(
        area=None, code__in=[c for c, _ in ITEMS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("patrols", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
