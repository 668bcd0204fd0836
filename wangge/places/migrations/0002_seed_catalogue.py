"""Seed the service catalogue of places (the seeds' 驿站 amenities and 代办 services) and the case category
that service requests at a place are filed under. Both are editable in the admin afterwards."""

from django.db import migrations

SERVICES = [
    ("water", "饮水", "amenity"),
    ("charging", "充电", "amenity"),
    ("rest", "休息", "amenity"),
    ("microwave", "热饭", "amenity"),
    ("toilet", "如厕", "amenity"),
    ("first_aid", "应急药箱", "amenity"),
    ("repair_kit", "维修工具", "amenity"),
    ("reading", "阅读", "amenity"),
    ("legal_aid", "法律咨询", "amenity"),
    ("dibao_cert", "低保证明代办", "errand"),
    ("party_transfer", "组织关系转接", "errand"),
    ("medical_insurance", "医保参保代办", "errand"),
    ("pension_cert", "养老资格认证", "errand"),
    ("disability_cert", "残疾人证代办", "errand"),
    ("escort", "陪同就医", "errand"),
    ("home_service", "上门办理", "errand"),
]


def seed(apps, schema_editor):
    PlaceService = apps.get_model("places", "PlaceService")
    for i, (code, name, kind) in enumerate(SERVICES):
        PlaceService.objects.get_or_create(code=code, defaults={"name": name, "kind": kind, "sort_order": i})
    Category = apps.get_model("appeals", "Category")
    parent, _ = Category.objects.get_or_create(
        code="FW01", defaults={"name": "便民代办", "source": "community", "sort_order": 900}
    )
    Category.objects.get_or_create(
        code="FW0101",
        defaults={
            "name": "代办服务",
            "parent": parent,
            "source": "community",
            "handler_type": "community",
            "response_amount": 4,
            "response_unit": "working_hours",
            "resolve_amount": 5,
            "resolve_unit": "working_days",
            "needs_onsite_check": False,
            "severity": "small",
            "open_condition": "居民在服务阵地申请代办、陪办或上门办理",
            "close_condition": "事项办结并告知居民",
            "sort_order": 901,
        },
    )


def unseed(apps, schema_editor):
    apps.get_model("places", "PlaceService").objects.filter(code__in=[c for c, *_ in SERVICES]).delete()


class Migration(migrations.Migration):
    dependencies = [("places", "0001_initial"), ("appeals", "0006_cache_stamps")]
    operations = [migrations.RunPython(seed, unseed)]
