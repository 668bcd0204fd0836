from django.apps import AppConfig


class CardsConfig(AppConfig):
    name = "wangge.cards"
    label = "cards"
    verbose_name = "便民服务卡"
