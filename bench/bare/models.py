from django.db import models


class Report(models.Model):
    """One row per request (the table is created by ``python -m bare.make_table``, no migrations)."""

    category = models.CharField(max_length=16)
    description = models.CharField(max_length=2000)
    lat = models.FloatField()
    lng = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "bare"

    def __str__(self) -> str:
        return self.category
