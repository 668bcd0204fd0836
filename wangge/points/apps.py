from django.apps import AppConfig


class PointsConfig(AppConfig):
    name = "wangge.points"
    label = "points"
    verbose_name = "积分"
