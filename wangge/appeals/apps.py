from django.apps import AppConfig


class AppealsConfig(AppConfig):
    name = "wangge.appeals"
    label = "appeals"
    verbose_name = "诉求"
