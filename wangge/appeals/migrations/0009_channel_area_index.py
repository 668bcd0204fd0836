"""One channel's cases of an area and period: the 12345 trend and the ``channel`` filter of the case lists
and the figures (docs/metrics.md, "Trend and breakdowns")."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("appeals", "0008_partition_timeline")]

    operations = [
        migrations.AddIndex(
            model_name="appeal",
            index=models.Index(
                fields=["channel", "area_code", "reported_at"], name="appeal_channel_area_reported"
            ),
        ),
    ]
