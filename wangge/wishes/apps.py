from django.apps import AppConfig


class WishesConfig(AppConfig):
    name = "wangge.wishes"
    label = "wishes"
    verbose_name = "微心愿"
