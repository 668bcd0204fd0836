from django.apps import AppConfig


class PatrolsConfig(AppConfig):
    name = "wangge.patrols"
    label = "patrols"
    verbose_name = "网格巡查"
