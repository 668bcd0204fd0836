from django.apps import AppConfig


class OfflineConfig(AppConfig):
    name = "wangge.offline"
    label = "offline"
    verbose_name = "离线使用"
