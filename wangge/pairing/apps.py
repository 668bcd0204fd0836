from django.apps import AppConfig


class PairingConfig(AppConfig):
    name = "wangge.pairing"
    label = "pairing"
    verbose_name = "结对帮扶"
