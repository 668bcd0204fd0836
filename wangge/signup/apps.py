from django.apps import AppConfig


class SignupConfig(AppConfig):
    name = "wangge.signup"
    label = "signup"
    verbose_name = "居民自助注册"
