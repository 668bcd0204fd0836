"""Seed the calendar tables from the chinesecalendar package (the years it covers)."""

from django.db import migrations


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    from wangge.workdays.calendar import package_baseline

    DayOverride = apps.get_model("workdays", "DayOverride")
    CalendarYear = apps.get_model("workdays", "CalendarYear")
    days, names, years = package_baseline()
    existing = set(DayOverride.objects.values_list("date", flat=True))
    DayOverride.objects.bulk_create(
        [
            DayOverride(date=d, is_working_day=w, name=names.get(d, ""), source="chinesecalendar")
            for d, w in sorted(days.items())
            if d not in existing
        ],
        batch_size=500,
    )
    known = set(CalendarYear.objects.values_list("year", flat=True))
    CalendarYear.objects.bulk_create(
        [
            CalendarYear(year=y, complete=True, source="chinesecalendar", note="chinesecalendar")
            for y in sorted(years)
            if y not in known
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("workdays", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
